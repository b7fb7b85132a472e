#!/usr/bin/env bash
# Builds the Go SDK offline in GOPATH mode, with Debian's Go toolchain and its packaged gRPC and protobuf
# (golang-go golang-google-grpc-dev golang-github-golang-protobuf-1-5-dev, under /usr/share/gocode): a temporary
# GOPATH holds a symlink github.com/batonhq/baton -> this repository. Module users need none of this:
# clients/go/go.mod names the same versions.
#
#   clients/go/build.sh                         go vet + go build of the SDK and its conformance worker
#   clients/go/build.sh test [go test flags]    ...then go test of the SDK
#   clients/go/build.sh binary OUT DIR          go vet + go build of the main package in DIR (repository-relative)
#   source clients/go/build.sh env              sets GOPATH etc. in the calling shell; it removes nothing itself
# BATON_GO_BUILD_FLAGS adds go build flags to `binary` (e.g. -race).
set -euo pipefail

sdk_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd "$sdk_dir/../.." && pwd)"
module=github.com/batonhq/baton

if ! command -v go >/dev/null; then
  echo "clients/go/build.sh: go not found; run scripts/install-test-deps.sh" >&2
  exit 1
fi

BATON_GOPATH="$(mktemp -d "${TMPDIR:-/tmp}/baton-gopath.XXXXXX")"
mkdir -p "$BATON_GOPATH/src/github.com/batonhq"
ln -s "$repo_dir" "$BATON_GOPATH/src/$module"
export GOPATH="$BATON_GOPATH:/usr/share/gocode" GO111MODULE=off GOFLAGS= GOPROXY=off
# Reuse Go's build cache between builds when there is one (a cold build takes several seconds).
if [ -z "${GOCACHE:-}" ]; then
  GOCACHE="$(go env GOCACHE 2>/dev/null || true)"
  if [ -z "$GOCACHE" ] || [ "$GOCACHE" = off ]; then GOCACHE="$BATON_GOPATH/cache"; fi
  export GOCACHE
fi
if [ "${1:-}" = env ]; then
  return 0 2>/dev/null || exit 0
fi
trap 'rm -rf "$BATON_GOPATH"' EXIT
cd "$BATON_GOPATH/src/$module"

case "${1:-}" in
  binary)
    out="${2:?usage: build.sh binary OUT_BINARY DIR}"
    dir="${3:?usage: build.sh binary OUT_BINARY DIR}"
    case "$out" in /*) ;; *) out="$OLDPWD/$out" ;; esac
    go vet "$module/${dir#./}"
    # BATON_GO_BUILD_FLAGS, e.g. -race, for checking builds.
    # shellcheck disable=SC2086
    go build ${BATON_GO_BUILD_FLAGS:-} -o "$out" "$module/${dir#./}"
    ;;
  "" | test)
    go vet "$module/clients/go" "$module/clients/go/conformance"
    go build "$module/clients/go" "$module/clients/go/conformance"
    if [ "${1:-}" = test ]; then
      go test -count=1 "${@:2}" "$module/clients/go"
    fi
    ;;
  *)
    echo "clients/go/build.sh: unknown command $1" >&2
    exit 2
    ;;
esac

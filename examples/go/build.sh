#!/usr/bin/env bash
# Builds the Go worker and producer fully offline from Debian packages, in GOPATH mode:
#   golang-go golang-google-grpc-dev golang-github-golang-protobuf-1-5-dev protoc-gen-go protoc-gen-go-grpc
#   protobuf-compiler   (scripts/install-test-deps.sh installs them)
# Stubs are generated from the repository's proto/ into .build/gopath (not committed); binaries land in .build/bin.
#
#   examples/go/build.sh && examples/go/.build/bin/baton-worker -server localhost:50051 -queue demo
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
proto_dir="$(cd "$here/../../proto" && pwd)"
build="${BATON_GO_BUILD:-$here/.build}"
gopath="$build/gopath"
pkg="batonexample/batonv1"

for tool in go protoc protoc-gen-go protoc-gen-go-grpc; do
  if ! command -v "$tool" >/dev/null; then
    echo "build.sh: $tool not found; run scripts/install-test-deps.sh" >&2
    exit 1
  fi
done

# The protos carry no go_package option: map each file to our import path instead.
mappings=()
for file in baton/v1/task.proto baton/v1/task_service.proto baton/v1/worker_service.proto; do
  mappings+=("M$file=$pkg")
done
go_opts="$(IFS=,; echo "${mappings[*]}")"

rm -rf "$gopath/src/$pkg"
mkdir -p "$gopath/src" "$build/bin"
# /usr/include has google/protobuf/{timestamp,duration}.proto from protobuf-compiler.
protoc -I "$proto_dir" -I /usr/include \
  --go_out="$gopath/src" --go_opt="$go_opts" \
  --go-grpc_out="$gopath/src" --go-grpc_opt="$go_opts" \
  baton/v1/task.proto baton/v1/task_service.proto baton/v1/worker_service.proto

export GOPATH="$gopath:/usr/share/gocode" GO111MODULE=off GOFLAGS= GOPROXY=off
# Reuse Go's build cache between builds when there is one (a cold build takes several seconds).
if [ -z "${GOCACHE:-}" ]; then
  GOCACHE="$(go env GOCACHE 2>/dev/null || true)"
  if [ -z "$GOCACHE" ] || [ "$GOCACHE" = off ]; then GOCACHE="$build/cache"; fi
  export GOCACHE
fi
cd "$here"
go vet ./worker ./producer
go build -o "$build/bin/baton-worker" ./worker
go build -o "$build/bin/baton-producer" ./producer
echo "$build/bin"

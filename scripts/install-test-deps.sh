#!/usr/bin/env bash
# Installs what the test suite needs beyond Node and redis-server, from Debian packages, when missing: promtool
# and prometheus (metrics checks), Chromium (dashboard browser tests), and the Python and Go toolchains of the polyglot workers. Runs before `npm test`
# (pretest). Idempotent and non-interactive; a no-op when everything is there. Needs root (or sudo) for apt-get.
#
#   Metrics: prometheus (promtool, and the server for the real-consumer test; its daemon is not started)
#   Python: python3-grpcio, python3-grpc-tools, python3-protobuf, mypy   (used through /usr/bin/python3; mypy
#           type-checks the Python SDK)
#   Browser: chromium   (the web dashboard's browser tests drive it through playwright-core, which downloads
#           no browser of its own)
#   Go:     golang-go, golang-google-grpc-dev, golang-github-golang-protobuf-1-5-dev,
#           protoc-gen-go, protoc-gen-go-grpc, protobuf-compiler, golang-opentelemetry-otel-dev (handler spans)
#           (built offline in GOPATH mode)
#
# Never installs golang-goprotobuf-dev: it conflicts with protoc-gen-go.
set -euo pipefail

packages=(
  prometheus
  chromium
  python3-grpcio
  python3-grpc-tools
  python3-protobuf
  mypy
  golang-go
  golang-google-grpc-dev
  golang-github-golang-protobuf-1-5-dev
  protoc-gen-go
  protoc-gen-go-grpc
  protobuf-compiler
  golang-opentelemetry-otel-dev
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "test dependencies: all present"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "test dependencies missing: ${missing[*]}" >&2
    echo "install them as root: apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "test dependencies: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Install without starting daemons (prometheus would take port 9090): a policy-rc.d that denies starts.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${sudo[@]}" chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [ "$created_policy" = 1 ]; then "${sudo[@]}" rm -f /usr/sbin/policy-rc.d; fi

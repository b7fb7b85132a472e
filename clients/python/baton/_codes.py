"""How a worker reads the server's answers: which codes end a lease, which end the worker, and how long to wait
before trying again. Shared by the session loop, the heartbeat keeper and the outcome reporters."""
from __future__ import annotations

import random

import grpc

from baton.v1 import task_pb2

#: Answers (to a heartbeat or an outcome) that mean the lease is gone for good.
LEASE_GONE = frozenset({grpc.StatusCode.ABORTED, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION})
#: Session errors retrying will not fix: the worker stops and run() raises.
FATAL = frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED})


def backoff(attempt: int) -> float:
    """Seconds before retry number `attempt` (from 0): doubling from 0.1 s up to 5 s, with jitter."""
    return min(5.0, 0.1 * 2**attempt) * (0.5 + random.random() / 2)


def state_name(state: int) -> str:
    return task_pb2.TaskState.Name(state)

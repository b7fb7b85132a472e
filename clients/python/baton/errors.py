"""The SDK's errors: one BatonError for every failed call, and what handlers raise to steer an outcome."""
from __future__ import annotations

from datetime import timedelta
from typing import Optional, Union

import grpc

_BY_VALUE = {code.value[0]: code for code in grpc.StatusCode}


def status_code(value: int) -> grpc.StatusCode:
    """The grpc.StatusCode for a google.rpc.Code number (UNKNOWN for a number this grpcio does not know)."""
    return _BY_VALUE.get(value, grpc.StatusCode.UNKNOWN)


class BatonError(Exception):
    """A Baton call failed: `code` is the gRPC status (grpc.StatusCode), `details` the server's message.

    Raised for a failed call, and for one item of a batch that the server refused (a submit, a completion).
    """

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details

    @classmethod
    def from_rpc(cls, error: grpc.RpcError) -> "BatonError":
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        details = error.details() if hasattr(error, "details") else str(error)
        return cls(code or grpc.StatusCode.UNKNOWN, details or "")

    @classmethod
    def from_item(cls, code: int, message: str) -> "BatonError":
        return cls(status_code(code), message)


def code_of(error: BaseException) -> Optional[grpc.StatusCode]:
    """The gRPC status code of a BatonError or grpc.RpcError, else None."""
    if isinstance(error, BatonError):
        return error.code
    if isinstance(error, grpc.RpcError) and hasattr(error, "code"):
        code: grpc.StatusCode = error.code()
        return code
    return None


class PermanentError(Exception):
    """Raise from a handler when retrying cannot help (bad input): the task becomes FAILED at once."""


class RetryError(Exception):
    """Raise from a handler to fail this attempt and retry after `retry_delay` (seconds or a timedelta) instead of
    the task's own backoff. Without a delay it is an ordinary retryable failure."""

    def __init__(self, message: str = "", *, retry_delay: Union[float, timedelta, None] = None) -> None:
        super().__init__(message)
        if isinstance(retry_delay, timedelta):
            retry_delay = retry_delay.total_seconds()
        if retry_delay is not None and retry_delay < 0:
            raise ValueError("retry_delay must not be negative")
        self.retry_delay: Optional[float] = retry_delay


class TaskCancelled(Exception):
    """Why a handler was told to stop: an operator cancelled the task (CancelTask)."""


class LeaseLost(Exception):
    """Why a handler was told to stop: the worker no longer holds the task's lease; its outcome is discarded."""


class WorkerClosing(Exception):
    """Why a handler was told to stop: the worker shut down before it finished; the task was given back."""

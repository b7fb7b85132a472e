"""Reporting how a handler ended. A completion rides the session (batched with others that finish together) and
falls back to a unary CompleteTasks when there is no session to carry it; a failure is a unary FailTask. Both are
retried while the lease lasts, and stop at once when the server says the lease is gone."""
from __future__ import annotations

import asyncio
import time
import traceback
from typing import TYPE_CHECKING, Optional

import grpc

from baton._codes import LEASE_GONE, backoff, state_name
from baton._convert import duration, to_bytes
from baton._handling import Result, _Entry
from baton.errors import BatonError, PermanentError, RetryError
from baton.v1 import task_pb2
from baton.v1 import worker_service_pb2 as ws

if TYPE_CHECKING:
    from baton.worker import Worker


def finish(w: "Worker", entry: _Entry, result: Result, error: Optional[BaseException]) -> None:
    """A handler ended: its log lines are stored first (off the handler's thread, which may be the asyncio loop's),
    then the task is completed with its result or failed with its error."""
    if entry.log is not None:
        w._outcomes.submit(_flush_then_report, w, entry, result, error)
    else:
        _report(w, entry, result, error)


def _flush_then_report(w: "Worker", entry: _Entry, result: Result, error: Optional[BaseException]) -> None:
    if entry.log is not None:
        entry.log.flush()
    _report(w, entry, result, error)


def _report(w: "Worker", entry: _Entry, result: Result, error: Optional[BaseException]) -> None:
    with w._lock:
        if entry.released or entry.phase != "running":
            return  # release() or a lost lease ended it
        if entry.lost:
            lost = True
        else:
            lost = False
            entry.phase = "reporting"
    if lost:
        w._over(entry)
        return
    if error is None:
        try:
            payload = b"" if result is None else to_bytes(result)
        except TypeError:
            error = TypeError(f"a handler must return bytes, str or None, not {type(result).__name__}")
        else:
            request = ws.CompleteTaskRequest(queue=entry.task.queue, task_id=entry.task.id, lease_token=entry.token, result=payload)
            credit = w._let_go(entry, grant=False)
            session = w._session
            if session is None or not session.complete(request, lambda r, e: _completed(w, entry, request, r, e, 0), credit):
                if credit:
                    session = w._session
                    if session is not None:
                        session.grant(credit)
                w._outcomes.submit(_complete_unary, w, entry, request, 0)
            return
    w._let_go(entry)
    w._outcomes.submit(_fail, w, entry, error)


def _completed(w: "Worker", entry: _Entry, request: ws.CompleteTaskRequest, result: Optional[ws.CompleteTasksResult], error: Optional[BatonError], attempt: int) -> None:
    if result is not None and result.HasField("error"):
        error = BatonError.from_item(result.error.code, result.error.message)
    if error is None:
        w._event("completed", task_id=entry.task.id)
        w._over(entry)
        return
    if error.code in LEASE_GONE:
        w._lose(entry, f"the server refused the completion: {error}")
        return
    if error.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) and time.monotonic() + backoff(attempt) < entry.deadline:
        w._outcomes.submit(_complete_unary, w, entry, request, attempt + 1)
        return
    w._event("error", task_id=entry.task.id, message=f"could not complete: {error}", code=error.code.name)
    w._over(entry)  # the lease runs out and the server requeues the task


def _complete_unary(w: "Worker", entry: _Entry, request: ws.CompleteTaskRequest, attempt: int) -> None:
    if attempt > 0:
        time.sleep(backoff(attempt - 1))
    try:
        response = w._client.complete_tasks([request], retry=False, timeout=max(0.5, min(10.0, entry.deadline - time.monotonic())))
    except BatonError as error:
        _completed(w, entry, request, None, error, attempt)
        return
    _completed(w, entry, request, response.results[0] if response.results else None, None, attempt)


def _fail(w: "Worker", entry: _Entry, error: BaseException) -> None:
    cancelled = entry.cancel_requested
    if isinstance(error, asyncio.CancelledError) and cancelled:
        kind, message = "Cancelled", "the task was cancelled"
    else:
        kind, message = type(error).__name__, str(error)
    request = ws.FailTaskRequest(
        queue=entry.task.queue,
        task_id=entry.task.id,
        lease_token=entry.token,
        error=task_pb2.TaskError(type=kind, message=message, details="".join(traceback.format_exception(type(error), error, error.__traceback__))[-4000:]),
        # A cancelled task ends CANCELLED whatever the flag says; a PermanentError ends it FAILED.
        permanent=cancelled or isinstance(error, PermanentError),
    )
    if isinstance(error, RetryError) and error.retry_delay is not None:
        request.retry_delay.CopyFrom(duration(error.retry_delay))
    for attempt in range(100):
        if entry.lost:
            break
        try:
            response = w._client.fail_task(request, retry=False)
        except BatonError as failure:
            if failure.code == grpc.StatusCode.ABORTED and attempt > 0:
                break  # an earlier try got through
            if failure.code in LEASE_GONE:
                w._lose(entry, f"the server refused the failure: {failure}")
                return
            wait = backoff(attempt)
            if failure.code != grpc.StatusCode.UNAVAILABLE or time.monotonic() + wait >= entry.deadline:
                w._event("error", task_id=entry.task.id, message=f"could not fail: {failure}", code=failure.code.name)
                break
            time.sleep(wait)
            continue
        w._event("failed", task_id=entry.task.id, state=state_name(response.task.state), error=message, type=kind)
        break
    w._over(entry)

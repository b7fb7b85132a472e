"""What a handler sees (its Context) and how a task finds its handler; the worker's bookkeeping for one held task
(_Entry) lives here too because the Context is a window onto it."""
from __future__ import annotations

import json as jsonlib
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Mapping, Optional, Union

from baton._logs import TaskLog
from baton._tracing import traceparent_of, tracestate_of
from baton.errors import PermanentError, TaskCancelled
from baton.flows import child_results
from baton.v1 import task_pb2, task_service_pb2
from baton.v1.task_pb2 import Task

if TYPE_CHECKING:
    from baton.worker import Worker

#: What a handler may return: bytes, a str (stored as UTF-8) or None (an empty result).
Result = Union[bytes, bytearray, memoryview, str, None]
#: A plain function (run in the worker's thread pool) or an `async def` (run on the worker's asyncio loop).
Handler = Callable[[Task, "Context"], Union[Result, Awaitable[Result]]]
#: Told of what the worker does: (event name, its fields). See Worker.
EventHook = Callable[[str, Dict[str, Any]], None]


def type_of(task: Task) -> str:
    """The task's type (Task.type; "" from a contract without it)."""
    return str(getattr(task, "type", ""))


def route(handlers: Mapping[str, Handler], default: Optional[Handler], task_type: str) -> Optional[Handler]:
    """The handler for a task of this type: the one registered for it, else the default, else none (the task then
    fails permanently)."""
    if task_type and task_type in handlers:
        return handlers[task_type]
    if default is not None:
        return default
    return handlers.get(task_type) if task_type == "" else None


def print_event(name: str, fields: Dict[str, Any]) -> None:
    """An on_event hook printing each event as one JSON line on stdout: {"event": ..., "lang": "python", ...}."""
    print(jsonlib.dumps({"event": name, "lang": "python", **fields}), flush=True)


class Context:
    """The handler's window onto its running task."""

    __slots__ = ("task", "worker_id", "cancelled", "reason", "_worker", "_entry")

    def __init__(self, worker: "Worker", entry: "_Entry") -> None:
        self.task: Task = entry.task
        self.worker_id = worker.worker_id
        #: Set when the handler should stop: the task was cancelled, the lease lost, or the worker shut down before
        #: the handler finished (`reason` says which). An `async def` handler is also cancelled (CancelledError).
        self.cancelled = threading.Event()
        self.reason: Optional[BaseException] = None
        self._worker = worker
        self._entry = entry

    @property
    def attempt(self) -> int:
        return self.task.attempt

    @property
    def traceparent(self) -> str:
        """The W3C traceparent the producer submitted the task with ("" when none): the parent of this handler's
        span when opentelemetry is importable, and for passing on by hand when it is not."""
        return traceparent_of(self.task)

    @property
    def tracestate(self) -> str:
        """The W3C tracestate that came with the traceparent ("" when none)."""
        return tracestate_of(self.task)

    def progress(self, current: int, total: int = 0, message: str = "") -> None:
        """Reports progress with a heartbeat sent at once (it does not wait for the server's answer)."""
        self._worker._heartbeats.progress(self._entry, task_pb2.Progress(current=current, total=total, message=message))

    def log(self, *args: Any) -> None:
        """Appends to the task's log (read with `baton logs`, GetTaskLogs or the dashboard), formatted as print()
        does; each line of the text is one log line, cut to 4 KiB. Lines are batched and stored before the task's
        outcome. Never raises: a failed append is an "error" event."""
        entry = self._entry
        log = entry.log
        if log is None:
            log = entry.log = TaskLog(self._worker, entry, self._worker.log_flush_interval)
        log.log(*args)

    def json(self) -> Any:
        """The payload parsed as UTF-8 JSON (as `submit_task(json=...)` stores it); PermanentError when it is not,
        so a handler that lets it propagate fails the task at once rather than retry input that will not change."""
        try:
            return jsonlib.loads(self.task.payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise PermanentError(f"task {self.task.id} (queue {self.task.queue}): the payload is not JSON: {error}") from error

    def child_results(self) -> List[task_service_pb2.ChildTask]:
        """A parent's children (submit_flow) in submit order, with the state each finished in and its result or last
        error; empty for a task without children."""
        if self.task.child_count == 0:
            return []
        return child_results(self._worker.client, self.task.queue, self.task.id)

    def raise_if_cancelled(self) -> None:
        """Raises the reason the handler should stop, if it should."""
        if self.cancelled.is_set():
            raise self.reason or TaskCancelled("the task was cancelled")


class _Entry:
    """One task while this worker holds it."""

    __slots__ = ("task", "token", "ctx", "phase", "deadline", "next_beat", "beating", "cancel_requested", "lost",
                 "released", "started", "let_go", "progress", "async_future", "over_event", "log")

    def __init__(self, task: Task, token: str, received_at: float, lease: float, interval: float) -> None:
        self.task = task
        self.token = token
        self.ctx: Optional[Context] = None
        #: waiting (handler not started) -> running -> reporting (outcome on its way) -> over
        self.phase = "waiting"
        self.deadline = received_at + lease
        self.next_beat = received_at + interval
        self.beating = False
        self.cancel_requested = False
        self.lost = False
        self.released = False
        self.started = False
        self.let_go = False
        self.progress: Optional[task_pb2.Progress] = None
        self.async_future: "Optional[Future[Result]]" = None
        self.over_event: Optional[threading.Event] = None
        #: Its log lines (ctx.log), made at the first.
        self.log: Optional[TaskLog] = None

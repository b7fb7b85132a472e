"""Worker: runs handlers on the tasks a WorkTasks session pushes, keeps their leases alive, reports outcomes.

This module holds the session loop and the bookkeeping of held tasks (the window of credit and the handler slots);
the rest lives beside it: _handling (Context, routing), _runners (thread pool, asyncio loop), _heartbeats,
_outcomes (complete and fail) and _shutdown (release)."""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import grpc

from baton._codes import FATAL, LEASE_GONE, backoff, state_name
from baton._convert import duration
from baton._handling import Context, EventHook, Handler, Result, _Entry, print_event, route, type_of
from baton._heartbeats import Heartbeats
from baton._outcomes import finish
from baton._runners import Runners
from baton._shutdown import release, shutdown
from baton.client import Client
from baton.errors import LeaseLost, PermanentError
from baton.session import Session
from baton.v1 import worker_service_pb2 as ws
from baton.v1.task_pb2 import Task

# Re-exported: `from baton.worker import ...` keeps working for every name it offered before the split.
__all__ = ["Context", "EventHook", "FATAL", "Handler", "LEASE_GONE", "Result", "Worker", "_Entry", "backoff", "print_event", "state_name"]

log = logging.getLogger("baton.worker")


class Worker:
    """Claims tasks on a WorkTasks session and runs a handler on each, `concurrency` at once.

        def resize(task, ctx):
            ...
            return b"done"

        Worker("localhost:50051", queues="images", handlers={"resize": resize}, concurrency=8).run()

    - credit = concurrency + prefetch: that many tasks are held at once (running or waiting for a slot);
    - completions that finish together go to the server in one message on the session;
    - leases are renewed by Heartbeat at most a third of the lease apart; a heartbeat that brings back
      cancel_requested sets `ctx.cancelled` (and cancels an `async def` handler);
    - a handler raising PermanentError fails the task for good, RetryError(retry_delay=...) retries it after that
      delay, anything else retries it with the task's backoff;
    - handlers are picked by task type (`handlers`), else `handler`; a task of a type with no handler fails
      permanently with a message naming the type (`task_type` reads the type another way, e.g. from metadata);
    - run() handles SIGTERM and SIGINT (from the main thread): stop taking tasks, let handlers finish for up to
      `shutdown_timeout` seconds, release (ReleaseTask) what is still held, return;
    - `address` may be a list: when a session is lost, the worker moves to the next address in turn.

    `on_event(name, fields)` hears: ready (session open), claimed, completed, failed, cancel_requested, lost,
    released, error, stopping, stopped (see `print_event` for JSON lines).
    """

    def __init__(
        self,
        address: Union[str, Sequence[str], None] = None,
        *,
        queues: Union[str, Sequence[str]],
        handler: Optional[Handler] = None,
        handlers: Optional[Mapping[str, Handler]] = None,
        concurrency: int = 1,
        prefetch: Optional[int] = None,
        lease_duration: float = 30.0,
        heartbeat_interval: Optional[float] = None,
        worker_id: Optional[str] = None,
        shutdown_timeout: float = 10.0,
        register_interval: float = 10.0,
        labels: Optional[Mapping[str, str]] = None,
        on_event: Optional[EventHook] = None,
        credentials: Optional[grpc.ChannelCredentials] = None,
        task_type: Optional[Callable[[Task], str]] = None,
        log_flush_interval: float = 0.5,
    ) -> None:
        if address is None:
            address = os.environ.get("BATON_SERVER", "localhost:50051")
        addresses = [a.strip() for a in address.split(",")] if isinstance(address, str) else list(address)
        self.addresses: List[str] = [a for a in addresses if a]
        if not self.addresses:
            raise ValueError("Worker: give at least one server address")
        self.queues: List[str] = [queues] if isinstance(queues, str) else list(queues)
        if not self.queues:
            raise ValueError("Worker: name at least one queue")
        if handler is None and not handlers:
            raise ValueError("Worker: give a handler, or handlers by task type")
        self.handler = handler
        self.handlers: Dict[str, Handler] = dict(handlers or {})
        if concurrency < 1:
            raise ValueError(f"Worker: concurrency must be at least 1, got {concurrency}")
        self.concurrency = concurrency
        self.prefetch = concurrency if prefetch is None else prefetch
        if self.prefetch < 0:
            raise ValueError(f"Worker: prefetch must not be negative, got {self.prefetch}")
        if lease_duration < 1:
            raise ValueError(f"Worker: lease_duration must be at least 1 s, got {lease_duration}")
        self.lease_duration = float(lease_duration)
        self.heartbeat_interval = min(heartbeat_interval or self.lease_duration / 3, self.lease_duration / 3)
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{os.urandom(3).hex()}"
        self.shutdown_timeout = shutdown_timeout
        self.register_interval = register_interval
        #: How long a ctx.log line may wait to be sent with the lines after it, in seconds.
        self.log_flush_interval = log_flush_interval
        self.labels = dict(labels or {})
        self._on_event = on_event
        self._task_type: Callable[[Task], str] = task_type or type_of
        self._credentials = credentials
        self._clients: Dict[str, Client] = {}
        self._client = self._client_for(self.addresses[0])
        self._window = self.concurrency + self.prefetch

        self._lock = threading.RLock()
        self._held: Dict[int, _Entry] = {}  # by id(entry), in arrival order
        self._waiting: List[_Entry] = []
        self._busy = 0
        self._session: Optional[Session] = None
        self._stopping = threading.Event()
        self._stop_requested = threading.Event()
        self._fatal: Optional[BaseException] = None
        self._runners = Runners()
        self._heartbeats = Heartbeats(self)
        self._outcomes = ThreadPoolExecutor(max_workers=8, thread_name_prefix="baton-outcome")
        self._ran = False
        self._closed = threading.Event()

    # --- public -------------------------------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The client of the server the worker talks to now."""
        return self._client

    @property
    def active_count(self) -> int:
        with self._lock:
            return sum(1 for e in self._held.values() if e.phase == "running")

    def run(self, *, install_signal_handlers: bool = True) -> None:
        """Works until stop() or a signal, then shuts down gracefully. Raises BatonError if the server refuses the
        session for good (e.g. INVALID_ARGUMENT for a bad queue name)."""
        if self._ran:
            raise RuntimeError("worker.run() was already called")
        self._ran = True
        previous: Dict[signal.Signals, Any] = {}
        if install_signal_handlers and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, self._on_signal)
        try:
            self._start_threads()
            session_thread = threading.Thread(target=self._session_loop, name="baton-session", daemon=True)
            session_thread.start()
            while not self._stop_requested.wait(0.2):
                pass
            shutdown(self, session_thread)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if self._fatal is not None:
            raise self._fatal

    def stop(self) -> None:
        """Asks run() to shut down gracefully (safe from any thread or a signal handler)."""
        self._stop_requested.set()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self._event("stopping", signal=signal.Signals(signum).name)
        self.stop()

    # --- threads ------------------------------------------------------------------------------------------------

    def _start_threads(self) -> None:
        self._runners.start(list(self.handlers.values()) + ([self.handler] if self.handler else []), self.concurrency)
        self._heartbeats.start()

    def _client_for(self, address: str) -> Client:
        client = self._clients.get(address)
        if client is None:
            client = Client(address, credentials=self._credentials)
            self._clients[address] = client
        return client

    # --- the session --------------------------------------------------------------------------------------------

    def _session_loop(self) -> None:
        failures = 0
        index = 0
        while not self._stopping.is_set():
            address = self.addresses[index % len(self.addresses)]
            client = self._client_for(address)
            self._client = client
            try:
                grpc.channel_ready_future(client.channel).result(timeout=min(5.0, self.lease_duration / 3))
            except grpc.FutureTimeoutError:
                self._event("error", message=f"{address}: not reachable", code="UNAVAILABLE")
                index += 1
                failures += 1
                if self._stopping.wait(backoff(failures)):
                    break
                continue
            with self._lock:
                credit = self._window - len(self._held)
            session = Session(
                client,
                ws.WorkTasksStart(queues=self.queues, worker_id=self.worker_id, lease_duration=duration(self.lease_duration)),
                credit,
                self._accept,
            )
            self._session = session
            self._event("ready", address=address)
            error = session.run()
            self._session = None
            if self._stopping.is_set():
                break
            if session.tasks_received > 0:
                failures = 0
            if error is not None and error.code in FATAL:
                self._fatal = error
                self._event("error", message=str(error), code=error.code.name)
                self.stop()
                break
            self._event("error", message=f"{address}: session ended: {error or 'OK'}", code=error.code.name if error else "OK")
            index += 1  # a lost server: the next one in turn
            failures += 1
            if self._stopping.wait(backoff(failures - 1) if len(self.addresses) == 1 or failures > len(self.addresses) else 0.0):
                break

    def _accept(self, tasks: Sequence[ws.ClaimedTask]) -> None:
        now = time.monotonic()
        give_back: List[_Entry] = []
        with self._lock:
            for claimed in tasks:
                entry = _Entry(claimed.task, claimed.lease_token, now, self.lease_duration, self.heartbeat_interval)
                self._held[id(entry)] = entry
                if self._stopping.is_set():
                    give_back.append(entry)  # pushed while shutting down: straight back
                else:
                    self._waiting.append(entry)
            self._start_waiting()
        for entry in give_back:
            self._outcomes.submit(release, self, entry)

    def _start_waiting(self) -> None:
        # With self._lock held.
        while self._busy < self.concurrency and self._waiting and not self._stopping.is_set():
            entry = self._waiting.pop(0)
            if entry.phase != "waiting":
                continue
            entry.phase = "running"
            entry.started = True
            self._busy += 1
            self._execute(entry)

    def _let_go(self, entry: _Entry, grant: bool = True) -> int:
        """Frees what the task held of the window; returns the credit to grant for it (0 when shutting down)."""
        with self._lock:
            if entry.let_go:
                return 0
            entry.let_go = True
            if entry.started:
                self._busy -= 1
            self._start_waiting()
            if self._stopping.is_set():
                return 0
        if grant:
            session = self._session
            if session is not None:
                session.grant(1)
        return 1

    def _over(self, entry: _Entry) -> None:
        with self._lock:
            if entry.phase == "over":
                return
            entry.phase = "over"
            self._held.pop(id(entry), None)
            event = entry.over_event
        if entry.log is not None:
            entry.log.close()
        self._let_go(entry)
        if event is not None:
            event.set()

    def _lose(self, entry: _Entry, why: str) -> None:
        with self._lock:
            if entry.lost or entry.phase == "over":
                return
            entry.lost = True
            phase = entry.phase
        self._abort(entry, LeaseLost(why))
        self._event("lost", task_id=entry.task.id, reason=why)
        if phase in ("waiting", "reporting"):
            self._over(entry)

    # --- handlers -----------------------------------------------------------------------------------------------

    def _handler_for(self, task: Task) -> Optional[Handler]:
        return route(self.handlers, self.handler, self._task_type(task))

    def _execute(self, entry: _Entry) -> None:
        ctx = Context(self, entry)
        entry.ctx = ctx
        task = entry.task
        self._event("claimed", task_id=task.id, attempt=task.attempt, type=self._task_type(task))
        handler = self._handler_for(task)
        if handler is None:
            error = PermanentError(f'no handler for task type "{self._task_type(task)}"')
            self._outcomes.submit(finish, self, entry, None, error)
            return
        future = self._runners.run(handler, task, ctx, lambda result, error: finish(self, entry, result, error))
        entry.async_future = future
        if future is not None and ctx.cancelled.is_set():
            future.cancel()

    def _abort(self, entry: _Entry, reason: BaseException) -> None:
        ctx = entry.ctx
        if ctx is None or ctx.cancelled.is_set():
            return
        ctx.reason = reason
        ctx.cancelled.set()
        if entry.async_future is not None:
            entry.async_future.cancel()

    def _event(self, name: str, **fields: Any) -> None:
        if name == "error":
            log.warning("baton worker %s: %s", self.worker_id, fields.get("message"))
        hook = self._on_event
        if hook is not None:
            try:
                hook(name, fields)
            except Exception:  # noqa: BLE001 - a hook must not break the worker
                log.exception("baton worker %s: the on_event hook raised", self.worker_id)

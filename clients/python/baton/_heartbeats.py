"""The heartbeat keeper: one thread renews the lease of every held task (at most a third of the lease apart, at
once when a handler reports progress), notices leases that ran out and cancels that came back, and registers the
worker now and then. Heartbeats are sent as futures so one slow answer never holds up the others."""
from __future__ import annotations

import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, List, Optional

import grpc

from baton._codes import LEASE_GONE
from baton._convert import duration
from baton._handling import _Entry
from baton.errors import BatonError, TaskCancelled, code_of
from baton.v1 import task_pb2
from baton.v1 import worker_service_pb2 as ws
from baton.version import SDK_NAME, __version__

if TYPE_CHECKING:
    from baton.worker import Worker


class Heartbeats:
    def __init__(self, worker: "Worker") -> None:
        self._worker = worker
        self._wake = threading.Condition(threading.Lock())
        self._registered_once = False

    def start(self) -> None:
        threading.Thread(target=self._loop, name="baton-heartbeats", daemon=True).start()

    def wake(self) -> None:
        with self._wake:
            self._wake.notify()

    def progress(self, entry: _Entry, progress: task_pb2.Progress) -> None:
        with self._worker._lock:
            if entry.phase == "over" or entry.lost:
                return
            entry.progress = progress
            entry.next_beat = 0.0
        self.wake()

    def _loop(self) -> None:
        w = self._worker
        next_register = time.monotonic() if w.register_interval > 0 else float("inf")
        while not w._closed.is_set():
            now = time.monotonic()
            if now >= next_register:
                with w._lock:
                    idle = not w._held
                if idle or next_register == 0 or not self._registered_once:
                    w._outcomes.submit(self._register)
                next_register = now + w.register_interval
            due: List[_Entry] = []
            expired: List[_Entry] = []
            wake = min(next_register, now + w.heartbeat_interval)
            with w._lock:
                for entry in w._held.values():
                    if entry.lost or entry.phase == "over":
                        continue
                    if now >= entry.deadline:
                        expired.append(entry)
                    elif entry.beating:
                        continue
                    elif entry.next_beat <= now:
                        entry.beating = True
                        due.append(entry)
                    else:
                        wake = min(wake, entry.next_beat, entry.deadline)
            for entry in expired:
                w._lose(entry, "no heartbeat got through before the lease ran out")
            for entry in due:
                self._beat(entry, now)
            with self._wake:
                self._wake.wait(max(0.0, wake - time.monotonic()) + 0.001)

    def _register(self) -> None:
        w = self._worker
        try:
            w._client.register_worker(
                worker_id=w.worker_id,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                sdk_name=SDK_NAME,
                sdk_version=__version__,
                labels=w.labels,
                queues=w.queues,
                retry=False,
            )
            self._registered_once = True
        except BatonError as error:
            if error.code == grpc.StatusCode.UNIMPLEMENTED:
                w.register_interval = 0
            elif error.code != grpc.StatusCode.UNAVAILABLE and not w._stopping.is_set():
                w._event("error", message=f"registration failed: {error}", code=error.code.name)

    def _beat(self, entry: _Entry, sent_at: float) -> None:
        w = self._worker
        progress = entry.progress
        entry.progress = None
        request = ws.HeartbeatRequest(
            queue=entry.task.queue,
            task_id=entry.task.id,
            lease_token=entry.token,
            lease_duration=duration(w.lease_duration),
            progress=progress,
        )
        timeout = max(0.1, min(w.heartbeat_interval, entry.deadline - sent_at))
        try:
            future = w._client.workers.Heartbeat.future(request, timeout=timeout)
        except Exception as error:  # noqa: BLE001 - a closed channel
            entry.beating = False
            entry.next_beat = time.monotonic() + min(0.25, w.heartbeat_interval / 2)
            w._event("error", task_id=entry.task.id, message=f"heartbeat: {error}", code="UNKNOWN")
            return
        future.add_done_callback(lambda f: self._beaten(entry, f, sent_at, progress))

    def _beaten(self, entry: _Entry, future: Any, sent_at: float, progress: Optional[task_pb2.Progress]) -> None:
        w = self._worker
        error = future.exception()
        entry.beating = False
        if error is None:
            reply: ws.HeartbeatResponse = future.result()
            entry.deadline = sent_at + w.lease_duration
            entry.next_beat = sent_at + w.heartbeat_interval if entry.progress is None else 0.0
            if reply.cancel_requested and not entry.cancel_requested:
                entry.cancel_requested = True
                w._event("cancel_requested", task_id=entry.task.id)
                w._abort(entry, TaskCancelled("the task was cancelled"))
        else:
            if entry.progress is None:
                entry.progress = progress
            code = code_of(error)
            if code in LEASE_GONE:
                # While the outcome is on its way, a refused heartbeat usually means it got there first.
                if entry.phase != "reporting":
                    w._lose(entry, f"the server refused a heartbeat: {code.name if code else ''}: {error.details() if hasattr(error, 'details') else error}")
                return
            if code == grpc.StatusCode.CANCELLED and w._stopping.is_set():
                # The worker closed its own channel while this heartbeat was on its way: shutdown, not a failure.
                return
            w._event("error", task_id=entry.task.id, message="heartbeat failed; retrying", code=code.name if code else "UNKNOWN")
            entry.next_beat = time.monotonic() + min(0.25, w.heartbeat_interval / 2)
        self.wake()

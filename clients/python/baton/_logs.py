"""A running task's log lines (`ctx.log`), batched: sent when `interval` seconds passed since the first unsent line,
when a batch is big, and by flush() before the task's outcome is reported, so its lines are stored before it
completes. Appends go one at a time, in order. Logging never raises: a failed append is an "error" event and its
lines are lost. At most what the server keeps (1,000 lines, 64 KiB) waits here; older lines go first."""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from google.protobuf.timestamp_pb2 import Timestamp

from baton.errors import BatonError
from baton.v1 import worker_service_pb2 as ws

if TYPE_CHECKING:
    from baton._handling import _Entry
    from baton.worker import Worker

KEPT_LINES = 1000
KEPT_BYTES = 64 * 1024
#: A longer line is cut here, at a character boundary, and marked truncated.
LINE_MAX_BYTES = 4096
#: A batch this big goes at once rather than at the next interval.
FLUSH_LINES = 200
FLUSH_BYTES = 32 * 1024
APPEND_TIMEOUT = 10.0


def cut_line(text: str, max_bytes: int = LINE_MAX_BYTES) -> Tuple[str, bool]:
    """`text` within `max_bytes` of UTF-8, cut at a character boundary; and whether it was cut."""
    data = text.encode("utf-8", errors="replace")
    if len(data) <= max_bytes:
        return text, False
    return data[:max_bytes].decode("utf-8", errors="ignore"), True


class TaskLog:
    def __init__(self, worker: "Worker", entry: "_Entry", interval: float) -> None:
        self._worker = worker
        self._entry = entry
        self._interval = interval
        self._lock = threading.Lock()
        #: Held while a batch is taken and sent, so batches go in the order they were logged.
        self._sending = threading.Lock()
        self._pending: List[ws.TaskLogEntry] = []
        self._bytes = 0
        self._timer: Optional[threading.Timer] = None
        self._closed = False

    def log(self, *args: Any) -> None:
        """Formats `args` as print() does; each line of the text is one log line."""
        now = Timestamp()
        now.FromNanoseconds(time.time_ns())
        text = " ".join(str(arg) for arg in args)
        with self._lock:
            if self._closed:
                return
            for piece in text.splitlines() or [""]:
                line, truncated = cut_line(piece)
                self._pending.append(ws.TaskLogEntry(text=line, time=now, truncated=truncated))
                self._bytes += len(line.encode("utf-8", errors="replace"))
            while len(self._pending) > KEPT_LINES or self._bytes > KEPT_BYTES:
                self._bytes -= len(self._pending.pop(0).text.encode("utf-8", errors="replace"))
            big = len(self._pending) >= FLUSH_LINES or self._bytes >= FLUSH_BYTES
            if not big and self._timer is None:
                self._timer = threading.Timer(self._interval, self.flush)
                self._timer.daemon = True
                self._timer.start()
        if big:
            self._worker._outcomes.submit(self.flush)

    def flush(self) -> None:
        """Sends what is buffered and returns once it is answered. Never raises."""
        with self._sending:
            with self._lock:
                batch, self._pending, self._bytes = self._pending, [], 0
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
            if not batch:
                return
            task = self._entry.task
            try:
                self._worker.client.append_task_logs(
                    queue=task.queue, task_id=task.id, lease_token=self._entry.token, lines=batch, timeout=APPEND_TIMEOUT)
            except BatonError as error:
                self._worker._event("error", message=f"task {task.id}: log lines not stored: {error}", code=error.code.name)

    def close(self) -> None:
        """Drops what is buffered and takes no more lines (the task is over for this worker)."""
        with self._lock:
            self._closed = True
            self._pending, self._bytes = [], 0
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

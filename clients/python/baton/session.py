"""One WorkTasks stream seen from a worker: credit out, tasks in, completions out, their results in."""
from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Callable, Deque, Iterator, List, Optional, Sequence, Tuple

import grpc

from baton.errors import BatonError
from baton.v1 import worker_service_pb2 as ws

if TYPE_CHECKING:
    from baton.client import Client

#: What a completion hears back: the server's result for it, or why it was not answered.
CompletionCallback = Callable[[Optional[ws.CompleteTasksResult], Optional[BatonError]], None]

#: The most credit, and the most completions, one message carries.
MAX_PER_MESSAGE = 1000


class Session:
    """Every completion waiting when the stream is ready to send goes out in one message, with the credit granted
    since the last one; the server answers each message's completions together, in order."""

    def __init__(
        self,
        client: "Client",
        start: ws.WorkTasksStart,
        initial_credit: int,
        on_tasks: Callable[[Sequence[ws.ClaimedTask]], None],
    ) -> None:
        self._client = client
        self._start = start
        self._on_tasks = on_tasks
        self._cond = threading.Condition(threading.Lock())
        self._credit = max(0, initial_credit)
        self._outbox: List[Tuple[ws.CompleteTaskRequest, CompletionCallback]] = []
        self._sent: Deque[List[CompletionCallback]] = deque()
        self._half_closed = False
        self._open = True
        self._call: Optional[grpc.Call] = None
        self.tasks_received = 0

    @property
    def is_open(self) -> bool:
        return self._open and not self._half_closed

    def grant(self, count: int) -> None:
        """Lets the server push `count` more tasks."""
        with self._cond:
            self._credit += count
            self._cond.notify()

    def complete(self, request: ws.CompleteTaskRequest, done: CompletionCallback, credit: int = 0) -> bool:
        """Sends a completion (with `credit` more) in the next message; False when the session can no longer."""
        with self._cond:
            if not (self._open and not self._half_closed):
                return False
            self._outbox.append((request, done))
            self._credit += credit
            self._cond.notify()
            return True

    def close(self) -> None:
        """Half-closes: the server answers what it received, then ends the stream."""
        with self._cond:
            self._half_closed = True
            self._cond.notify()

    def cancel(self) -> None:
        call = self._call
        if call is not None:
            call.cancel()

    def run(self) -> Optional[BatonError]:
        """Runs the stream until it ends: None when it ended OK, else its error."""
        error: Optional[BatonError] = None
        try:
            call = self._client.workers.WorkTasks(self._requests())
            self._call = call
            for response in call:
                if len(response.completed) > 0:
                    with self._cond:
                        callbacks = self._sent.popleft() if self._sent else []
                    results = response.completed
                    for i, done in enumerate(callbacks):
                        if i < len(results):
                            done(results[i], None)
                        else:
                            done(None, BatonError(grpc.StatusCode.INTERNAL, "the server answered fewer completions than were sent"))
                if len(response.tasks) > 0:
                    self.tasks_received += len(response.tasks)
                    self._on_tasks(response.tasks)
        except grpc.RpcError as rpc_error:
            error = BatonError.from_rpc(rpc_error)
        finally:
            with self._cond:
                self._open = False
                unanswered = [done for batch in self._sent for done in batch] + [done for _, done in self._outbox]
                self._sent.clear()
                self._outbox.clear()
                self._cond.notify_all()
            # They may or may not have been made; repeating a completion is safe, so they fail as retryable.
            lost = BatonError(grpc.StatusCode.UNAVAILABLE, "the session ended before answering this completion")
            for done in unanswered:
                done(None, lost)
        return error

    def _requests(self) -> Iterator[ws.WorkTasksRequest]:
        with self._cond:
            credit = min(self._credit, MAX_PER_MESSAGE)
            self._credit -= credit
        yield ws.WorkTasksRequest(start=self._start, credit=credit)
        while True:
            with self._cond:
                self._cond.wait_for(lambda: not self._open or self._half_closed or self._credit > 0 or bool(self._outbox))
                if not self._open:
                    return
                if not self._outbox and (self._half_closed or self._credit == 0):
                    if self._half_closed:
                        return
                    continue
                batch = self._outbox[:MAX_PER_MESSAGE]
                del self._outbox[:MAX_PER_MESSAGE]
                credit = 0 if self._half_closed else min(self._credit, MAX_PER_MESSAGE)
                self._credit -= credit
                if batch:
                    self._sent.append([done for _, done in batch])
            yield ws.WorkTasksRequest(credit=credit, completions=[request for request, _ in batch])

"""Submitter: submits over one long-lived SubmitTasksStream; submits made together travel in one message."""
from __future__ import annotations

import random
import threading
import time
from collections import deque
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Deque, Iterator, List, Optional

import grpc

from baton._convert import build, submit_fields
from baton.errors import BatonError
from baton.v1 import task_service_pb2 as ts

if TYPE_CHECKING:
    from baton.client import Client, SubmitItem

#: The server's limit of items per batch.
MAX_ITEMS_PER_MESSAGE = 1000
#: Keeps a message well inside gRPC's default 4 MiB limit (one larger payload still goes alone).
MAX_PAYLOAD_BYTES_PER_MESSAGE = 1024 * 1024
#: How long a submit naming its task id is resent after its stream broke (as submit_task retries).
RETRY_WITHIN = 10.0
_RETRY_FIRST_DELAY = 0.05
_RETRY_MAX_DELAY = 2.0


class _Pending:
    __slots__ = ("request", "future", "retry_until")

    def __init__(self, request: ts.SubmitTaskRequest) -> None:
        self.request = request
        self.future: "Future[ts.SubmitTasksResult]" = Future()
        self.retry_until: Optional[float] = None


class _Stream:
    """One stream's messages that wait for an answer, oldest first (the server answers in order)."""

    def __init__(self) -> None:
        self.unanswered: Deque[List[_Pending]] = deque()
        self.dead = False


class Submitter:
    """A producer's fast path: submits over one long-lived SubmitTasksStream instead of a call each. Every submit
    waiting when the stream is ready to send goes in one message (up to 1,000 items and about 1 MiB), so a burst of
    submits costs the server a few messages, not a call each.

    `submit()` returns a concurrent.futures.Future of the item's SubmitTasksResult; it fails with BatonError: the
    item's own (e.g. INVALID_ARGUMENT), or UNAVAILABLE when its stream broke before the answer. A submit naming its
    task id is then resent on a new stream for up to 10 s (submitting it twice is harmless); one without is not.

        with client.submitter() as submitter:
            futures = [submitter.submit(queue="emails", json={"n": n}) for n in range(1000)]
        print(futures[0].result().task_id)
    """

    def __init__(self, client: "Client", *, return_tasks: bool = False) -> None:
        self._client = client
        self._return_tasks = return_tasks
        self._lock = threading.Condition()
        self._waiting: Deque[_Pending] = deque()
        self._pending = 0  # submitted and not settled
        self._closed = False
        self._thread: Optional[threading.Thread] = None
        self._retry_delay = 0.0
        self._not_before = 0.0

    def submit(self, item: "Optional[SubmitItem]" = None, /, **fields: Any) -> "Future[ts.SubmitTasksResult]":
        """Submits one task: a SubmitTaskRequest, or its fields (payload bytes or str, or `json=` a value)."""
        if item is not None and fields:
            raise TypeError("give a submit or its fields, not both")
        source = submit_fields(item if item is not None else fields)
        request = build(ts.SubmitTaskRequest, source if isinstance(source, ts.SubmitTaskRequest) else None, {} if isinstance(source, ts.SubmitTaskRequest) else source)
        pending = _Pending(request)
        with self._lock:
            if self._closed:
                raise RuntimeError("the submitter is closed")
            self._waiting.append(pending)
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="baton-submitter", daemon=True)
                self._thread.start()
            self._lock.notify_all()
        return pending.future

    def submit_many(self, items: "List[SubmitItem]") -> "List[Future[ts.SubmitTasksResult]]":
        """Submits each item as submit() does, in order, all in the same message(s)."""
        with self._lock:
            return [self.submit(item) for item in items]

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Waits until every submit so far has settled; False if `timeout` passed first."""
        with self._lock:
            return self._lock.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: Optional[float] = None) -> None:
        """Sends what is waiting, waits until every submit has settled, then ends the stream."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self.flush(timeout)
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def __enter__(self) -> "Submitter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the stream ----------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: bool(self._waiting) or self._closed)
                if self._closed and not self._waiting and self._pending == 0:
                    return
                delay = self._not_before - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            stream = _Stream()
            call = self._client.tasks.SubmitTasksStream(self._requests(stream))
            error: Optional[BatonError] = None
            try:
                for response in call:
                    self._answer(stream, response)
            except grpc.RpcError as rpc_error:
                error = BatonError.from_rpc(rpc_error)
            self._broken(stream, error or BatonError(grpc.StatusCode.UNAVAILABLE, "the stream ended"))

    def _requests(self, stream: _Stream) -> Iterator[ts.SubmitTasksStreamRequest]:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: bool(self._waiting) or self._closed or stream.dead)
                if stream.dead:
                    return
                if not self._waiting:
                    if self._closed:
                        return  # half-close: the server answers what it has, then ends the stream
                    continue
                items = self._take_message()
                stream.unanswered.append(items)
            yield ts.SubmitTasksStreamRequest(requests=[i.request for i in items], return_tasks=self._return_tasks)

    def _take_message(self) -> List[_Pending]:
        items: List[_Pending] = []
        size = 0
        while self._waiting and len(items) < MAX_ITEMS_PER_MESSAGE:
            size += len(self._waiting[0].request.payload)
            if items and size > MAX_PAYLOAD_BYTES_PER_MESSAGE:
                break
            items.append(self._waiting.popleft())
        return items

    def _answer(self, stream: _Stream, response: ts.SubmitTasksStreamResponse) -> None:
        with self._lock:
            items = stream.unanswered.popleft() if stream.unanswered else []
            self._retry_delay = 0.0
        results = response.results
        for i, item in enumerate(items):
            if i >= len(results):
                item.future.set_exception(BatonError(grpc.StatusCode.INTERNAL, "the server answered fewer items than were sent"))
            elif results[i].HasField("error"):
                item.future.set_exception(BatonError.from_item(results[i].error.code, results[i].error.message))
            else:
                item.future.set_result(results[i])
        self._settled(len(items))

    def _broken(self, stream: _Stream, error: BatonError) -> None:
        now = time.monotonic()
        failed: List[_Pending] = []
        with self._lock:
            stream.dead = True
            resend: List[_Pending] = []
            for items in stream.unanswered:
                for item in items:
                    if item.retry_until is None:
                        item.retry_until = now + RETRY_WITHIN
                    if error.code == grpc.StatusCode.UNAVAILABLE and item.request.task_id and now < item.retry_until:
                        resend.append(item)
                    else:
                        failed.append(item)
            stream.unanswered.clear()
            if resend:
                self._waiting.extendleft(reversed(resend))
                self._retry_delay = min(_RETRY_MAX_DELAY, max(_RETRY_FIRST_DELAY, self._retry_delay * 2))
                self._not_before = now + random.random() * self._retry_delay
            self._lock.notify_all()
        for item in failed:
            item.future.set_exception(error)
        self._settled(len(failed))

    def _settled(self, count: int) -> None:
        if count == 0:
            return
        with self._lock:
            self._pending -= count
            self._lock.notify_all()

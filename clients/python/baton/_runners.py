"""Where handlers run. A plain function may block, so each gets a thread of a pool of `concurrency`; `async def`
handlers share one asyncio loop in a thread of its own. Each is started only when some handler needs it."""
from __future__ import annotations

import asyncio
import inspect
import queue
import threading
from concurrent.futures import Future
from typing import Callable, Optional, Sequence

from baton._handling import Context, Handler, Result
from baton._tracing import handler_span
from baton.v1.task_pb2 import Task

#: Hears how a handler ended: its result, or the error it raised.
Done = Callable[[Result, Optional[BaseException]], None]


class Runners:
    def __init__(self) -> None:
        self._jobs: "queue.SimpleQueue[Optional[Callable[[], None]]]" = queue.SimpleQueue()
        self._threads = 0
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def start(self, handlers: Sequence[Handler], concurrency: int) -> None:
        if any(inspect.iscoroutinefunction(h) for h in handlers):
            loop = self._loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="baton-asyncio", daemon=True).start()
        if any(not inspect.iscoroutinefunction(h) for h in handlers):
            for i in range(concurrency):
                threading.Thread(target=self._pool_thread, name=f"baton-handler-{i}", daemon=True).start()
            self._threads = concurrency

    def run(self, handler: Handler, task: Task, ctx: Context, done: Done) -> "Optional[Future[Result]]":
        """Starts the handler; `done` hears how it ended. Returns the future of an `async def` handler, so that
        cancelling the task can cancel the coroutine."""
        if not inspect.iscoroutinefunction(handler):
            self._jobs.put(lambda: _call(handler, task, ctx, done))
            return None
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(_await(handler, task, ctx), self._loop)
        future.add_done_callback(lambda f: _settle(f, ctx, done))
        return future

    def stop(self) -> None:
        for _ in range(self._threads):
            self._jobs.put(None)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)

    def _pool_thread(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            job()


async def _await(handler: Handler, task: Task, ctx: Context) -> Result:
    with handler_span(task):
        return await handler(task, ctx)  # type: ignore[misc]


def _call(handler: Handler, task: Task, ctx: Context, done: Done) -> None:
    try:
        with handler_span(task):
            result = handler(task, ctx)
    except BaseException as error:  # noqa: BLE001 - every failure is the task's outcome
        done(None, error)
        return
    done(result, None)  # type: ignore[arg-type]


def _settle(future: "Future[Result]", ctx: Context, done: Done) -> None:
    if future.cancelled():
        done(None, ctx.reason or asyncio.CancelledError())
        return
    error = future.exception()
    if error is not None:
        done(None, error)
    else:
        done(future.result(), None)

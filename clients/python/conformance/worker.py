#!/usr/bin/python3
"""The Python SDK's conformance worker (see the conformance spec): handlers by task type, READY/START/DONE on
stdout, everything else on stderr. Run with PYTHONPATH=clients/python."""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Dict

from baton import Context, PermanentError, RetryError, Task, Worker
from baton._tracing import opentelemetry_available


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def started(fn: Any) -> Any:
    """Prints START before the handler and DONE after it returns."""

    def run(task: Task, ctx: Context) -> Any:
        say(f"START {task.id}")
        result = fn(task, ctx)
        say(f"DONE {task.id}")
        return result

    return run


def echo(task: Task, ctx: Context) -> bytes:
    return b"echo:" + task.payload


def sleep(task: Task, ctx: Context) -> str:
    if ctx.cancelled.wait(int(task.payload.decode()) / 1000):
        ctx.raise_if_cancelled()
    return "slept"


def wait_cancel(task: Task, ctx: Context) -> None:
    ctx.cancelled.wait()
    say(f"CANCELLED {task.id}")
    ctx.raise_if_cancelled()


def fail_permanent(task: Task, ctx: Context) -> None:
    raise PermanentError(f"permanent {task.id}")


def fail_retry(task: Task, ctx: Context) -> str:
    if task.attempt < 3:
        raise RetryError(f"retry {task.attempt}", retry_delay=0.1)
    return "ok after 3"


def hold(task: Task, ctx: Context) -> None:
    ctx.cancelled.wait()
    ctx.raise_if_cancelled()


def json_sum(task: Task, ctx: Context) -> Dict[str, int]:
    value = ctx.json()
    return {"sum": value["a"] + value["b"]}


def trace_id(task: Task, ctx: Context) -> str:
    """The trace the handler runs in: the active span's when opentelemetry is importable (the SDK then starts the
    handler's span), else the trace id of the traceparent the context exposes."""
    if opentelemetry_available():
        from opentelemetry import trace

        return format(trace.get_current_span().get_span_context().trace_id, "032x")
    return ctx.traceparent.split("-")[1] if ctx.traceparent else ""
def logs(task: Task, ctx: Context) -> str:
    count = int(task.payload.decode())
    for i in range(1, count + 1):
        ctx.log(f"line {i} of {count}")
    ctx.log("done ✓")
    return f"logged {count}"


def as_json(fn: Any) -> Any:
    import json

    return lambda task, ctx: json.dumps(fn(task, ctx))


def on_event(name: str, fields: Dict[str, Any]) -> None:
    if name == "ready" and not ready.is_set():
        ready.set()
        say("READY")
    elif name != "claimed":
        print(f"{time.strftime('%H:%M:%S')} {name} {fields}", file=sys.stderr, flush=True)


ready = threading.Event()

if __name__ == "__main__":
    handlers = {
        "echo": echo,
        "sleep": sleep,
        "wait-cancel": wait_cancel,
        "fail-permanent": fail_permanent,
        "fail-retry": fail_retry,
        "hold": hold,
        "json": as_json(json_sum),
        "trace": trace_id,
        "logs": logs,
    }
    Worker(
        os.environ.get("BATON_SERVER", "localhost:50051"),
        queues=os.environ["BATON_QUEUE"],
        handlers={name: started(fn) for name, fn in handlers.items()},
        concurrency=int(os.environ.get("BATON_CONCURRENCY", "4")),
        lease_duration=int(os.environ.get("BATON_LEASE_MS", "2000")) / 1000,
        worker_id=os.environ.get("BATON_WORKER_ID") or None,
        shutdown_timeout=2.0,
        on_event=on_event,
    ).run()

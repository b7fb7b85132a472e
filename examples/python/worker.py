#!/usr/bin/python3
"""The demo worker on the Python SDK: result = <worker id> NUL <payload reversed>, after "working" metadata work_ms
(stopping early on cancel). Env BATON_SERVER, BATON_QUEUE, BATON_WORKER_ID, BATON_LEASE_SECONDS; prints JSON lines."""
import os
from baton import Worker, print_event

def reverse(task, ctx):
    ctx.cancelled.wait(int(task.metadata.get("work_ms", "0")) / 1000) and ctx.raise_if_cancelled()
    return ctx.worker_id.encode() + b"\0" + task.payload[::-1]

Worker(os.environ.get("BATON_SERVER", "localhost:50051"), queues=os.environ.get("BATON_QUEUE", "demo"), handler=reverse,
       worker_id=os.environ.get("BATON_WORKER_ID"), lease_duration=float(os.environ.get("BATON_LEASE_SECONDS", "30")),
       shutdown_timeout=1, on_event=print_event).run()

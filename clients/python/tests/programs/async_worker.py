#!/usr/bin/python3
"""An `async def` worker for the integration tests: the default handler echoes after an await, or (payload "wait")
waits until cancelled, printing CANCELLED <id> when the CancelledError arrives, or (payload "progress") reports
progress 3/10 and works a second. READY on stdout once the session
is open."""
import asyncio
import os
import sys
from typing import Any, Dict

from baton import Context, Task, Worker


async def handle(task: Task, ctx: Context) -> bytes:
    if task.payload == b"wait":
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            print(f"CANCELLED {task.id} {type(ctx.reason).__name__}", flush=True)
            raise
    if task.payload == b"progress":
        ctx.progress(3, 10, "three of ten")  # sent at once with a heartbeat
        await asyncio.sleep(1.0)
    await asyncio.sleep(0.01)
    return b"async:" + task.payload


def on_event(name: str, fields: Dict[str, Any]) -> None:
    if name == "ready":
        print("READY", flush=True)
    else:
        print(name, fields, file=sys.stderr, flush=True)


Worker(os.environ["BATON_SERVER"], queues=os.environ["BATON_QUEUE"], handler=handle, concurrency=20,
       lease_duration=1.5, on_event=on_event).run()

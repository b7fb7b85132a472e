"""Baton's Python SDK: a typed Client for every RPC, a Submitter on SubmitTasksStream, and a Worker on a WorkTasks
session (credit, batched completions, heartbeats, cancellation, release on shutdown, reconnect).

    from baton import Client, Worker

    Client("localhost:50051").submit_task(queue="emails", json={"to": "ada@example.com"})

    def send(task, ctx):
        return "sent to " + ctx.json()["to"]

    Worker("localhost:50051", queues="emails", handler=send, concurrency=8).run()

Flows: `chain(a, b, c)` (each task reads the result before it) and `group(tasks, callback)` (fan-out, fan-in) build
the tree for Client.submit_flow; a parent's handler reads its children's results with ctx.child_results().
"""
from baton._convert import duration
from baton.client import DEFAULT_TIMEOUT, Client, Task, TaskState
from baton.flows import chain, child_results, group
from baton.errors import BatonError, LeaseLost, PermanentError, RetryError, TaskCancelled, WorkerClosing
from baton.submitter import Submitter
from baton.version import SDK_NAME, __version__
from baton.worker import Context, Handler, Worker, print_event

__all__ = [
    "BatonError",
    "Client",
    "Context",
    "DEFAULT_TIMEOUT",
    "Handler",
    "LeaseLost",
    "PermanentError",
    "RetryError",
    "SDK_NAME",
    "Submitter",
    "Task",
    "TaskCancelled",
    "TaskState",
    "Worker",
    "WorkerClosing",
    "__version__",
    "chain",
    "child_results",
    "duration",
    "group",
    "print_event",
]

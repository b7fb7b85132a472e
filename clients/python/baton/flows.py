"""The common shapes of a flow, as FlowNode trees for Client.submit_flow (the TypeScript SDK's chain and group).

    client.submit_flow(root=chain({"queue": "etl", "type": "extract"}, {"queue": "etl", "type": "load"}))
    client.submit_flow(root=group([{"queue": "pages", "json": n} for n in range(10)], {"queue": "report"}))

A task is given as submit_task takes it: a dict of its fields (`json=` allowed) or a SubmitTaskRequest. A task
without a task_id gets a generated one, so submitting the same tree again creates nothing twice (and may be retried).
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, List, Mapping, Sequence, Union

from baton._convert import build, submit_fields
from baton.v1 import task_service_pb2 as ts

if TYPE_CHECKING:
    from baton.client import Client

FlowTask = Union[Mapping[str, Any], ts.SubmitTaskRequest]


def _named(task: FlowTask) -> ts.SubmitTaskRequest:
    fields = submit_fields(task)
    request = fields if isinstance(fields, ts.SubmitTaskRequest) else build(ts.SubmitTaskRequest, None, fields)
    if request.task_id:
        return request
    # A copy: the caller's message stays as it was given.
    named = ts.SubmitTaskRequest()
    named.CopyFrom(request)
    named.task_id = str(uuid.uuid4())
    return named


def chain(*tasks: FlowTask) -> ts.FlowNode:
    """A chain: each task runs after the one before it, and reads its result (ctx.child_results()[0]). Built as a
    tree whose root is the last task, each task the only child of the next."""
    if not tasks:
        raise TypeError("chain: give at least one task")
    node = ts.FlowNode(task=_named(tasks[0]))
    for task in tasks[1:]:
        node = ts.FlowNode(task=_named(task), children=[node])
    return node


def group(tasks: Sequence[FlowTask], callback: FlowTask) -> ts.FlowNode:
    """A group with a callback: the group's tasks run at once (fan-out); the callback runs once all finished
    (fan-in), and reads their results in the group's order (ctx.child_results())."""
    return ts.FlowNode(task=_named(callback), children=[ts.FlowNode(task=_named(task)) for task in tasks])


def every_task_named(node: ts.FlowNode) -> bool:
    """Whether every task of the tree has an id: then a repeated submit creates nothing twice, and may be retried."""
    return node.task.task_id != "" and all(every_task_named(child) for child in node.children)


def child_results(client: "Client", queue: str, task_id: str) -> List[ts.ChildTask]:
    """A parent's children with their results (what a parent's handler reads), in submit order, every page."""
    children: List[ts.ChildTask] = []
    token = ""
    while True:
        page = client.list_children(queue=queue, task_id=task_id, page_size=1000, page_token=token)
        children.extend(page.children)
        token = page.next_page_token
        if not token:
            return children

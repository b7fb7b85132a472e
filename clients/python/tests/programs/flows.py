#!/usr/bin/python3
"""Submits a parent with two children; works them with a Worker whose parent handler sums its children's results
(ctx.child_results()); reads the children back. Prints what it saw as JSON.

    flows.py SERVER QUEUE submit | work | results"""
import json
import sys
import threading

from baton import Client, Context, Task, Worker

server, queue, step = sys.argv[1:4]

with Client(server) as client:
    if step == "submit":
        response = client.submit_flow(
            root={
                "task": {"queue": queue, "task_id": "parent", "payload": b"sum"},
                "children": [
                    {"task": {"queue": queue, "task_id": "a", "payload": b"1"}},
                    {"task": {"queue": queue, "task_id": "b", "payload": b"2"}, "failure_policy": "CHILD_FAILURE_POLICY_IGNORE"},
                ],
            }
        )
        print(json.dumps({"created": response.created, "tasks": [[t.id, t.parent_id, t.root_id] for t in response.tasks]}))
    elif step == "work":

        def handle(task: Task, ctx: Context) -> bytes:
            if task.id != "parent":
                return task.payload
            return str(sum(int(child.result) for child in ctx.child_results())).encode()

        worker = Worker(server, queues=queue, handler=handle)
        thread = threading.Thread(target=worker.run, kwargs={"install_signal_handlers": False})
        thread.start()
        done = client.wait_task(queue=queue, task_id="parent", wait=10).task
        worker.stop()
        thread.join()
        print(json.dumps({"state": done.state, "result": done.result.decode()}))
    else:
        children = client.list_children(queue=queue, task_id="parent").children
        print(json.dumps([[c.task_id, c.result.decode(), c.failure_policy] for c in children]))

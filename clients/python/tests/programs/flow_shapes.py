#!/usr/bin/python3
"""The SDK's flow shapes, worked by one Worker: a chain A -> B -> C whose handlers each append their letter to the
result before them, and a group of N numbers whose callback sums their results. Prints what it saw as JSON.

    flow_shapes.py SERVER QUEUE N"""
import json
import sys
import threading

from baton import Client, Context, Task, Worker, chain, child_results, group

server, queue, count = sys.argv[1], sys.argv[2], int(sys.argv[3])


def handle(task: Task, ctx: Context) -> bytes:
    children = ctx.child_results()
    if task.type == "step":
        before = children[0].result.decode() if children else ""
        return (before + task.payload.decode()).encode()
    if task.type == "sum":
        return str(sum(int(child.result) for child in children)).encode()
    return task.payload


with Client(server) as client:
    steps = chain(*({"queue": queue, "type": "step", "payload": letter} for letter in "ABC"))
    chained = client.submit_flow(root=steps)
    addends = [{"queue": queue, "type": "number", "json": n} for n in range(1, count + 1)]
    summed = client.submit_flow(root=group(addends, {"queue": queue, "type": "sum", "task_id": "total"}))
    worker = Worker(server, queues=queue, handler=handle, concurrency=4)
    thread = threading.Thread(target=worker.run, kwargs={"install_signal_handlers": False})
    thread.start()
    try:
        last = client.wait_task(queue=queue, task_id=chained.tasks[0].id, wait=10).task
        total = client.wait_task(queue=queue, task_id="total", wait=10).task
    finally:
        worker.stop()
        thread.join()
    print(json.dumps({
        "chain": [t.type + ":" + str(t.child_count) for t in chained.tasks],
        "chain_result": last.result.decode(),
        "group_size": len(summed.tasks),
        "total": total.result.decode(),
        "children": len(child_results(client, queue, "total")),
        "again_created": client.submit_flow(root=steps).created,
    }))

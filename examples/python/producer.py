#!/usr/bin/python3
"""Submits tasks to Baton from Python and, with --wait, prints their outcome.

    /usr/bin/python3 gen_stubs.py
    /usr/bin/python3 producer.py --server localhost:50051 --queue demo --wait hello world

Each argument becomes one task's payload (--count N submits N numbered tasks instead). Prints one JSON line per task.
"""
import argparse
import base64
import json
import os
import sys
import time

import grpc

from baton_stubs import state_name, task_service_pb2 as ts, task_service_pb2_grpc as ts_grpc

TERMINAL = {"TASK_STATE_SUCCEEDED", "TASK_STATE_FAILED", "TASK_STATE_EXHAUSTED", "TASK_STATE_CANCELLED", "TASK_STATE_EXPIRED"}


def show(data):
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode()}


def main():
    parser = argparse.ArgumentParser(description="Submit tasks to Baton.")
    parser.add_argument("payloads", nargs="*", help="one task per payload")
    parser.add_argument("--server", default=os.environ.get("BATON_SERVER", "localhost:50051"))
    parser.add_argument("--queue", default=os.environ.get("BATON_QUEUE", "demo"))
    parser.add_argument("--count", type=int, default=0, help="submit N tasks with payloads task-0..task-N-1")
    parser.add_argument("--work-ms", type=int, default=0, help="ask the demo workers to work this long per task")
    parser.add_argument("--wait", action="store_true", help="wait for every task to finish and print the outcome")
    args = parser.parse_args()
    payloads = [p.encode() for p in args.payloads] + [b"task-%d" % i for i in range(args.count)]
    if not payloads:
        parser.error("give payloads or --count")

    with grpc.insecure_channel(args.server) as channel:
        tasks = ts_grpc.TaskServiceStub(channel)
        metadata = {"work_ms": str(args.work_ms)} if args.work_ms else {}
        reply = tasks.SubmitTasks(
            ts.SubmitTasksRequest(
                requests=[ts.SubmitTaskRequest(queue=args.queue, payload=p, metadata=metadata) for p in payloads]
            ),
            timeout=10,
        )
        ids = []
        for result in reply.results:
            if result.HasField("error"):
                print(json.dumps({"event": "rejected", "code": result.error.code, "message": result.error.message}))
                continue
            ids.append(result.task_id)
            print(json.dumps({"event": "submitted", "task_id": result.task_id}), flush=True)
        while args.wait and ids:
            for task_id in list(ids):
                task = tasks.GetTask(ts.GetTaskRequest(queue=args.queue, task_id=task_id), timeout=10).task
                state = state_name(task.state)
                if state in TERMINAL:
                    ids.remove(task_id)
                    print(json.dumps({"event": "finished", "task_id": task_id, "state": state, "result": show(task.result)}), flush=True)
            time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())

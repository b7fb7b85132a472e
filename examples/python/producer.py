#!/usr/bin/python3
"""Submits one task per line of stdin to BATON_QUEUE (default demo) on one stream, waits for each, prints its result.
    printf 'hello\nworld\n' | PYTHONPATH=clients/python /usr/bin/python3 examples/python/producer.py"""
import os, sys
from baton import Client

queue = os.environ.get("BATON_QUEUE", "demo")
with Client(os.environ.get("BATON_SERVER", "localhost:50051")) as client, client.submitter() as submitter:
    futures = [submitter.submit(queue=queue, payload=line.rstrip("\n")) for line in sys.stdin]
    for future in futures:
        done = client.wait_task(queue=queue, task_id=future.result().task_id, wait=30)
        print(done.task.id, done.task.result.decode("utf-8", "replace"))

#!/usr/bin/python3
"""Submits tasks with the SDK for the integration tests; prints their ids as one JSON list.

    produce.py client|submitter SERVER QUEUE COUNT TYPE

`client`: one submit_task call each (a json= payload for type json, else a str payload); `submitter`: all through
one Submitter. Type `unique`: every task with the unique_key "once" held for a minute (so one task is created)."""
import json
import sys
from typing import Any, Dict

from baton import Client

mode, server, queue, count, task_type = sys.argv[1:6]


def item(n: int) -> Dict[str, Any]:
    fields: Dict[str, Any] = {"queue": queue, "type": task_type}
    if task_type == "json":
        fields["json"] = {"a": n, "b": 2 * n}
    elif task_type == "unique":
        fields.update(payload=f"héllo {n}", unique_key="once", unique_for=60)
    else:
        fields["payload"] = f"héllo {n}"
    return fields


with Client(server) as client:
    if mode == "client":
        ids = [client.submit_task(**item(n)).task.id for n in range(int(count))]
    else:
        with client.submitter() as submitter:
            futures = [submitter.submit(**item(n)) for n in range(int(count))]
        ids = [f.result().task_id for f in futures]
print(json.dumps(ids))

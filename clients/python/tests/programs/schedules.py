#!/usr/bin/python3
"""Works a schedule through its life with the SDK for the integration tests; prints what it saw as one JSON object.

    schedules.py SERVER QUEUE"""
import json
import sys

from baton import Client
from baton.errors import BatonError

server, queue = sys.argv[1:3]

with Client(server) as client:
    created = client.create_schedule(
        schedule_id="nightly", cron="0 30 2 * * *", time_zone="Europe/Berlin", task={"queue": queue, "payload": "report"}
    ).schedule
    updated = client.update_schedule(
        queue=queue, schedule_id="nightly", cron="0 0 4 * * *", time_zone="Europe/Berlin", task={"queue": queue, "payload": "report-v2"}
    ).schedule
    got = client.get_schedule(queue=queue, schedule_id="nightly", next_run_count=3)
    listed = client.list_schedules(queue=queue).schedules
    manual = client.trigger_schedule(queue=queue, schedule_id="nightly").task
    paused = client.pause_schedule(queue=queue, schedule_id="nightly").schedule
    resumed = client.resume_schedule(queue=queue, schedule_id="nightly").schedule
    client.delete_schedule(queue=queue, schedule_id="nightly")
    try:
        client.get_schedule(queue=queue, schedule_id="nightly")
        missing = ""
    except BatonError as error:
        missing = error.code.name
    print(
        json.dumps(
            {
                "created": created.schedule_id,
                "zone": created.time_zone,
                "updated": [updated.cron, updated.task.payload.decode(), updated.create_time == created.create_time],
                "next_runs": len(got.next_run_times),
                "listed": [s.schedule_id for s in listed],
                "manual": manual.id,
                "paused": paused.paused,
                "resumed": not resumed.paused,
                "after_delete": missing,
            }
        )
    )

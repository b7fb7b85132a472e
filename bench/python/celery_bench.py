#!/usr/bin/python3
"""Celery's side of bench/python.ts (Debian python3-celery, Redis broker). Prints one JSON line with its figures.

    celery_bench.py enqueue REDIS_URL QUEUE N    # N apply_async calls
    celery_bench.py work REDIS_URL QUEUE N C     # a worker, threads pool, concurrency C, until N tasks ran
"""
import json
import os
import sys
import threading
import time

from celery import Celery

mode, broker, queue, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
app = Celery("bench", broker=broker)
app.conf.update(task_ignore_result=True, worker_hijack_root_logger=False, broker_connection_retry_on_startup=True,
                task_default_queue=queue, worker_prefetch_multiplier=4, worker_redirect_stdouts=False)


def say(line: str) -> None:
    os.write(1, (line + "\n").encode())  # straight to the pipe, whatever Celery did to sys.stdout
payload = "\x07" * 100
state = {"done": 0, "t0": 0.0, "c0": 0.0}
lock = threading.Lock()


@app.task(name="noop")
def noop(data):
    with lock:
        if state["t0"] == 0.0:
            state["t0"], state["c0"] = time.perf_counter(), time.process_time()
        state["done"] += 1
        if state["done"] == count:
            seconds, cpu = time.perf_counter() - state["t0"], time.process_time() - state["c0"]
            say(json.dumps({"tasks_per_s": count / seconds, "cpu_us_per_task": cpu * 1e6 / count, "seconds": seconds}))
            os._exit(0)
    return "ok"


if mode == "enqueue":
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(count):
        noop.apply_async(args=[payload], queue=queue)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"tasks_per_s": count / seconds, "cpu_us_per_task": cpu * 1e6 / count, "seconds": seconds}))
else:
    from celery.signals import worker_ready

    worker_ready.connect(lambda **_: say("READY"), weak=False)
    app.worker_main(["worker", "--pool=threads", f"--concurrency={sys.argv[5]}", "-Q", queue, "--without-heartbeat",
                     "--without-gossip", "--without-mingle", "--loglevel=WARNING"])

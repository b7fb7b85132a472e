#!/usr/bin/python3
"""The Python SDK's side of bench/python.ts. Prints one JSON line with its figures.

    baton_bench.py enqueue SERVER QUEUE N      # Submitter: N submits, all futures resolved
    baton_bench.py work SERVER QUEUE N C       # Worker, concurrency C, trivial handler, until N completions
"""
import json
import sys
import threading
import time

from baton import Client, Worker

mode, server, queue, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
payload = b"\x07" * 100

if mode == "enqueue":
    with Client(server) as client:
        t0, c0 = time.perf_counter(), time.process_time()
        with client.submitter() as submitter:
            futures = [submitter.submit(queue=queue, payload=payload) for _ in range(count)]
        for future in futures:
            future.result()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"tasks_per_s": count / seconds, "cpu_us_per_task": cpu * 1e6 / count, "seconds": seconds}))
    sys.exit(0)

concurrency = int(sys.argv[5])
state = {"done": 0, "t0": 0.0, "c0": 0.0}
lock = threading.Lock()
finished = threading.Event()


def handler(task, ctx):
    if state["t0"] == 0.0:
        with lock:
            if state["t0"] == 0.0:
                state["t0"], state["c0"] = time.perf_counter(), time.process_time()
    return b"ok"


def on_event(name, fields):
    if name == "ready":
        print("READY", flush=True)
    elif name == "completed":
        with lock:
            state["done"] += 1
            if state["done"] == count:
                state["t1"], state["c1"] = time.perf_counter(), time.process_time()
                finished.set()


worker = Worker(server, queues=queue, handler=handler, concurrency=concurrency, on_event=on_event, register_interval=0)
threading.Thread(target=lambda: (finished.wait(), worker.stop()), daemon=True).start()
worker.run()
seconds, cpu = state["t1"] - state["t0"], state["c1"] - state["c0"]
print(json.dumps({"tasks_per_s": count / seconds, "cpu_us_per_task": cpu * 1e6 / count, "seconds": seconds}), flush=True)

#!/usr/bin/python3
"""A Baton worker in Python: claims tasks, keeps each lease alive from a heartbeat thread, completes or fails.

    /usr/bin/python3 gen_stubs.py
    /usr/bin/python3 worker.py --server localhost:50051 --queue demo

Flags fall back to BATON_SERVER, BATON_QUEUE, BATON_WORKER_ID and BATON_LEASE_SECONDS. Prints one JSON line per
thing it does. SIGTERM or SIGINT: stop claiming, give the current task back (ReleaseTask) for another worker, exit 0.

The demo job: the result is `<worker id> NUL <payload bytes reversed>`; a task's metadata `work_ms` makes the worker
pretend to work that long first (heartbeating, and stopping early when the task is cancelled).
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback

import grpc

from baton_stubs import duration, state_name, task_pb2, worker_service_pb2 as ws, worker_service_pb2_grpc as ws_grpc

# Heartbeat answers that mean the lease is gone: another worker may hold the task now.
LEASE_GONE = (grpc.StatusCode.ABORTED, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION)


def emit(event, **fields):
    print(json.dumps(dict(event=event, lang="python", **fields)), flush=True)


def do_work(worker_id, task, should_stop):
    """The demo job. Returns the result bytes, or None when told to stop first."""
    work_s = int(task.metadata.get("work_ms", "0")) / 1000.0
    until = time.monotonic() + work_s
    while time.monotonic() < until:
        if should_stop():
            return None
        time.sleep(min(0.02, max(0.0, until - time.monotonic())))
    if should_stop():
        return None
    return worker_id.encode() + b"\x00" + bytes(reversed(task.payload))


class Lease(threading.Thread):
    """Heartbeats one task every lease/3 until stopped; notices a cancel request or a lost lease."""

    def __init__(self, stub, task, token, lease_s):
        super().__init__(daemon=True)
        self.stub, self.task, self.token, self.lease_s = stub, task, token, lease_s
        self.cancel_requested = threading.Event()
        self.lost = threading.Event()
        self.stopped = threading.Event()
        self.renewed_at = time.monotonic()  # before the claim reply, so on the safe side

    def run(self):
        interval = self.lease_s / 3.0
        while not self.stopped.wait(interval):
            if time.monotonic() - self.renewed_at >= self.lease_s:
                self.lose("no heartbeat got through before the lease ran out")
                return
            sent = time.monotonic()
            try:
                reply = self.stub.Heartbeat(
                    ws.HeartbeatRequest(
                        queue=self.task.queue,
                        task_id=self.task.id,
                        lease_token=self.token,
                        lease_duration=duration(self.lease_s),
                    ),
                    timeout=interval,
                )
            except grpc.RpcError as error:
                if error.code() in LEASE_GONE:
                    self.lose("%s: %s" % (error.code().name, error.details()))
                    return
                emit("heartbeat_error", task_id=self.task.id, code=error.code().name)
                continue
            self.renewed_at = sent
            if reply.cancel_requested and not self.cancel_requested.is_set():
                emit("cancel_requested", task_id=self.task.id)
                self.cancel_requested.set()

    def lose(self, why):
        emit("lease_lost", task_id=self.task.id, reason=why)
        self.lost.set()


class Worker:
    def __init__(self, server, queue, worker_id, lease_s, poll_s):
        self.channel = grpc.insecure_channel(server)
        self.stub = ws_grpc.WorkerServiceStub(self.channel)
        self.queue, self.worker_id, self.lease_s, self.poll_s = queue, worker_id, lease_s, poll_s
        self.stopping = threading.Event()
        self.claim = None

    def stop(self, signum, _frame):
        emit("stopping", signal=signal.Signals(signum).name)
        self.stopping.set()
        claim = self.claim
        if claim is not None:
            claim.cancel()  # ends the long poll now

    def run(self):
        emit("started", worker_id=self.worker_id, queue=self.queue)
        failures = 0
        while not self.stopping.is_set():
            request = ws.ClaimTasksRequest(
                queues=[self.queue],
                worker_id=self.worker_id,
                max_tasks=1,
                lease_duration=duration(self.lease_s),
                wait_timeout=duration(self.poll_s),
            )
            self.claim = self.stub.ClaimTasks.future(request, timeout=self.poll_s + 10)
            if self.stopping.is_set():
                self.claim.cancel()
            try:
                reply = self.claim.result()
                failures = 0
            except grpc.FutureCancelledError:
                break
            except grpc.RpcError as error:
                if self.stopping.is_set():
                    break
                emit("claim_error", code=error.code().name, details=error.details())
                failures += 1
                self.stopping.wait(min(5.0, 0.1 * 2 ** failures))
                continue
            finally:
                self.claim = None
            for claimed in reply.tasks:
                self.process(claimed.task, claimed.lease_token)
        self.channel.close()
        emit("stopped")

    def process(self, task, token):
        emit("claimed", task_id=task.id, attempt=task.attempt)
        lease = Lease(self.stub, task, token, self.lease_s)
        lease.start()
        base = dict(queue=task.queue, task_id=task.id, lease_token=token)
        try:
            stop = lambda: lease.cancel_requested.is_set() or lease.lost.is_set() or self.stopping.is_set()  # noqa
            try:
                result = do_work(self.worker_id, task, stop)
            except Exception as error:  # the job failed: retry it later
                lease.stopped.set()
                self.stub.FailTask(
                    ws.FailTaskRequest(
                        error=task_pb2.TaskError(
                            type=type(error).__name__, message=str(error), details=traceback.format_exc()
                        ),
                        **base,
                    ),
                    timeout=10,
                )
                emit("failed", task_id=task.id, error=str(error))
                return
            lease.stopped.set()
            if lease.lost.is_set():
                return  # another worker may have the task now; our outcome would be refused
            if lease.cancel_requested.is_set():
                self.stub.FailTask(
                    ws.FailTaskRequest(
                        error=task_pb2.TaskError(type="Cancelled", message="cancel requested"), permanent=True, **base
                    ),
                    timeout=10,
                )
                emit("cancelled", task_id=task.id)
            elif result is None:
                # Shutting down: give the task back at once, for another worker. A release does not use up the
                # attempt or record an error; the task is PENDING again (CANCELLED if a cancel came meanwhile).
                reply = self.stub.ReleaseTask(ws.ReleaseTaskRequest(**base), timeout=10)
                emit("released", task_id=task.id, attempt=task.attempt, state=state_name(reply.task.state))
            else:
                self.stub.CompleteTask(ws.CompleteTaskRequest(result=result, **base), timeout=10)
                emit("completed", task_id=task.id, attempt=task.attempt)
        except grpc.RpcError as error:
            emit("report_error", task_id=task.id, code=error.code().name, details=error.details())
        finally:
            lease.stopped.set()
            lease.join()


def main():
    parser = argparse.ArgumentParser(description="A Baton worker in Python.")
    parser.add_argument("--server", default=os.environ.get("BATON_SERVER", "localhost:50051"), help="host:port")
    parser.add_argument("--queue", default=os.environ.get("BATON_QUEUE", "demo"))
    parser.add_argument(
        "--worker-id",
        default=os.environ.get("BATON_WORKER_ID") or "python-%s-%d" % (socket.gethostname(), os.getpid()),
    )
    parser.add_argument("--lease-seconds", type=float, default=float(os.environ.get("BATON_LEASE_SECONDS", "30")))
    parser.add_argument("--poll-seconds", type=float, default=10.0, help="how long one claim waits for work")
    args = parser.parse_args()
    worker = Worker(args.server, args.queue, args.worker_id, args.lease_seconds, args.poll_seconds)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()


if __name__ == "__main__":
    sys.exit(main())

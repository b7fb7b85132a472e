"""Client: every Baton RPC as a typed method with a deadline, retried on UNAVAILABLE where that is safe."""
from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Optional, Sequence, Tuple, TypeVar, Union

import grpc
from google.protobuf.message import Message

from baton._convert import build, seconds_of, submit_fields, with_json
from baton._tracing import with_active_trace
from baton.flows import every_task_named
from baton.errors import BatonError
from baton.v1 import queue_service_pb2 as qs
from baton.v1 import queue_service_pb2_grpc as qs_grpc
from baton.v1 import schedule_service_pb2 as ss
from baton.v1 import schedule_service_pb2_grpc as ss_grpc
from baton.v1.task_pb2 import Task, TaskLogLine, TaskState
from baton.v1 import task_service_pb2 as ts
from baton.v1 import task_service_pb2_grpc as ts_grpc
from baton.v1 import worker_service_pb2 as ws
from baton.v1 import worker_service_pb2_grpc as ws_grpc

if TYPE_CHECKING:
    from baton.submitter import Submitter

R = TypeVar("R")

#: Seconds a call may take, retries included, unless it says otherwise (calls that wait get their wait on top).
DEFAULT_TIMEOUT = 10.0
_RETRY_FIRST_DELAY = 0.05
_RETRY_MAX_DELAY = 2.0


SubmitItem = Union[Mapping[str, Any], ts.SubmitTaskRequest]


def _call(invoke: Callable[[Any, float], R], request: Any, timeout: float, retry: bool) -> R:
    """One unary call (a stub method) with a deadline; on UNAVAILABLE, retried with full jitter when `retry`."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        left = deadline - time.monotonic()
        try:
            return invoke(request, max(left, 0.001))
        except grpc.RpcError as error:
            code = error.code() if hasattr(error, "code") else None
            if not retry or code != grpc.StatusCode.UNAVAILABLE:
                raise BatonError.from_rpc(error) from None
            # Full jitter keeps a crowd of clients from coming back in step after an outage.
            delay = random.random() * min(_RETRY_MAX_DELAY, _RETRY_FIRST_DELAY * 2**attempt)
            attempt += 1
            if time.monotonic() + delay >= deadline:
                raise BatonError.from_rpc(error) from None
            time.sleep(delay)


class Client:
    """A typed client for every Baton RPC (TaskService, WorkerService, QueueService, ScheduleService) on one channel.

    Each method takes its request message, or its fields as keyword arguments (a bytes field also takes a str,
    stored as UTF-8; a Duration seconds or a timedelta; a Timestamp a datetime), plus `timeout` (seconds, retries
    included) and `retry` (retry on UNAVAILABLE: each method defaults to what is safe for it, as the TypeScript
    client does: reads, cancels, heartbeats, completes, releases, claims, submits naming their task ids and the
    idempotent queue controls retry; purge, bulk retry, fail, start and run do not). Failures raise BatonError.

        client = Client("localhost:50051")
        client.submit_task(queue="emails", json={"to": "ada@example.com"})
    """

    def __init__(
        self,
        address: str,
        *,
        credentials: Optional[grpc.ChannelCredentials] = None,
        options: Sequence[Tuple[str, Any]] = (),
    ) -> None:
        self.address = address
        # gRPC core sizes its HTTP/2 windows from measured bandwidth (BDP probing): no window option is needed here,
        # unlike grpc-js, whose fixed 64 KiB default the TypeScript client raises.
        channel_options = list(dict(options).items())
        self.channel: grpc.Channel = (
            grpc.secure_channel(address, credentials, options=channel_options)
            if credentials is not None
            else grpc.insecure_channel(address, options=channel_options)
        )
        self.tasks = ts_grpc.TaskServiceStub(self.channel)
        self.workers = ws_grpc.WorkerServiceStub(self.channel)
        self.queues = qs_grpc.QueueServiceStub(self.channel)
        self.schedules = ss_grpc.ScheduleServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- TaskService --------------------------------------------------------------------------------------------

    def submit_task(
        self,
        request: Optional[ts.SubmitTaskRequest] = None,
        /,
        *,
        timeout: Optional[float] = None,
        retry: Optional[bool] = None,
        **fields: Any,
    ) -> ts.SubmitTaskResponse:
        """Submits one task. `payload` as bytes or str (UTF-8), or `json=` any JSON value (stored as UTF-8 JSON).
        Retried on UNAVAILABLE only when it names its task_id (submitting it twice is then harmless)."""
        req = build(ts.SubmitTaskRequest, request, with_active_trace(with_json(fields)))
        return _call(self.tasks.SubmitTask, req, timeout or DEFAULT_TIMEOUT, _choose(retry, req.task_id != ""))

    def submit_tasks(
        self,
        requests: Sequence[SubmitItem],
        *,
        return_tasks: bool = False,
        timeout: Optional[float] = None,
        retry: Optional[bool] = None,
    ) -> ts.SubmitTasksResponse:
        """Submits up to 1,000 tasks (dicts as submit_task's fields, `json=` included, or SubmitTaskRequests);
        one result per item, in order (an item's `error` says it was refused)."""
        items = [build(ts.SubmitTaskRequest, i if isinstance(i, Message) else None, {} if isinstance(i, Message) else submit_fields(i)) for i in requests]
        req = ts.SubmitTasksRequest(requests=items, return_tasks=return_tasks)
        named = all(item.task_id != "" for item in items)
        return _call(self.tasks.SubmitTasks, req, timeout or DEFAULT_TIMEOUT, _choose(retry, named))

    def submitter(self, *, return_tasks: bool = False) -> "Submitter":
        """A producer's fast path on one SubmitTasksStream (see Submitter). Close it (or use `with`) when done."""
        from baton.submitter import Submitter

        return Submitter(self, return_tasks=return_tasks)

    def get_task(self, request: Optional[ts.GetTaskRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ts.GetTaskResponse:
        """One task (queue, task_id)."""
        return self._unary(self.tasks.GetTask, ts.GetTaskRequest, request, fields, timeout, retry, True)

    def list_tasks(self, request: Optional[ts.ListTasksRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ts.ListTasksResponse:
        """One page of a queue's tasks, newest first."""
        return self._unary(self.tasks.ListTasks, ts.ListTasksRequest, request, fields, timeout, retry, True)

    def cancel_task(self, request: Optional[ts.CancelTaskRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ts.CancelTaskResponse:
        """Cancels a waiting task at once; asks the worker of an active one to stop."""
        return self._unary(self.tasks.CancelTask, ts.CancelTaskRequest, request, fields, timeout, retry, True)

    def retry_task(self, request: Optional[ts.RetryTaskRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ts.RetryTaskResponse:
        """Makes a finished task PENDING again with a fresh attempt budget. Not retried."""
        return self._unary(self.tasks.RetryTask, ts.RetryTaskRequest, request, fields, timeout, retry, False)

    def submit_flow(self, request: Optional[ts.SubmitFlowRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ts.SubmitFlowResponse:
        """Submits a tree of tasks (root=FlowNode, a dict of its fields, or built by baton.chain / baton.group): each
        parent waits for its children, in any queues. A repeat with the same task ids creates only what is missing,
        so it is retried on UNAVAILABLE when every task names its id (chain and group name them all)."""
        req = build(ts.SubmitFlowRequest, request, fields)
        return _call(self.tasks.SubmitFlow, req, timeout or DEFAULT_TIMEOUT, _choose(retry, every_task_named(req.root)))

    def list_children(self, request: Optional[ts.ListChildrenRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ts.ListChildrenResponse:
        """A parent's children in submit order, with the state each finished in and its result or last error."""
        return self._unary(self.tasks.ListChildren, ts.ListChildrenRequest, request, fields, timeout, retry, True)

    def wait_task(self, request: Optional[ts.WaitTaskRequest] = None, /, *, wait: Any = None, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ts.WaitTaskResponse:
        """Returns once the task is finished, or its snapshot when `wait` (the request's timeout, 0..60 s) passes;
        `timeout` is the call's own deadline, by default 10 s more than the wait."""
        if wait is not None:
            fields["timeout"] = wait
        req = build(ts.WaitTaskRequest, request, fields)
        return _call(self.tasks.WaitTask, req, timeout or DEFAULT_TIMEOUT + seconds_of(req.timeout), _choose(retry, True))

    def run_task(
        self,
        task: Optional[SubmitItem] = None,
        *,
        wait: Any = None,
        require_worker: bool = False,
        timeout: Optional[float] = None,
        retry: Optional[bool] = None,
    ) -> ts.RunTaskResponse:
        """Submits `task` (as submit_task's fields, `json=` included) and waits up to `wait` seconds (0..60) for its
        outcome. Not retried (resubmit by task id instead)."""
        item = None if task is None else build(ts.SubmitTaskRequest, task if isinstance(task, Message) else None, {} if isinstance(task, Message) else submit_fields(task))
        req = build(ts.RunTaskRequest, None, {"task": item, "timeout": wait, "require_worker": require_worker})
        return _call(self.tasks.RunTask, req, timeout or DEFAULT_TIMEOUT + seconds_of(req.timeout), _choose(retry, False))

    def watch_tasks(self, request: Optional[ts.WatchTasksRequest] = None, /, **fields: Any) -> Iterator[ts.TaskEvent]:
        """A queue's changes as they happen, one TaskEvent at a time; no deadline. Ends when the server ends the
        stream cleanly; raises BatonError when it fails. Closing the iterator cancels the call. Not retried."""
        call = self.tasks.WatchTasks(build(ts.WatchTasksRequest, request, fields))
        try:
            for message in call:
                yield from message.events
        except grpc.RpcError as error:
            raise BatonError.from_rpc(error) from None
        finally:
            call.cancel()

    def get_task_logs(self, request: Optional[ts.GetTaskLogsRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ts.GetTaskLogsResponse:
        """A page of a task's log lines (queue, task_id) after `after_position` (0: from the oldest kept)."""
        return self._unary(self.tasks.GetTaskLogs, ts.GetTaskLogsRequest, request, fields, timeout, retry, True)

    def watch_task_logs(self, request: Optional[ts.WatchTaskLogsRequest] = None, /, **fields: Any) -> Iterator[TaskLogLine]:
        """A task's log lines as they are appended, one TaskLogLine at a time; no deadline. Ends once the task is
        finished and every line was received (or the server shuts down: resume with the last line's position as
        `after_position`); raises BatonError when it fails. Closing the iterator cancels the call. Not retried."""
        call = self.tasks.WatchTaskLogs(build(ts.WatchTaskLogsRequest, request, fields))
        try:
            for message in call:
                yield from message.lines
        except grpc.RpcError as error:
            raise BatonError.from_rpc(error) from None
        finally:
            call.cancel()

    # --- WorkerService ------------------------------------------------------------------------------------------

    def claim_tasks(self, request: Optional[ws.ClaimTasksRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ws.ClaimTasksResponse:
        """Claims up to max_tasks tasks, waiting up to wait_timeout for one."""
        req = build(ws.ClaimTasksRequest, request, fields)
        return _call(self.workers.ClaimTasks, req, timeout or DEFAULT_TIMEOUT + seconds_of(req.wait_timeout), _choose(retry, True))

    def start_task(self, request: Optional[ws.StartTaskRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ws.StartTaskResponse:
        """Leases one named task now, creating it if it does not exist. Not retried."""
        return self._unary(self.workers.StartTask, ws.StartTaskRequest, request, fields, timeout, retry, False)

    def heartbeat(self, request: Optional[ws.HeartbeatRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ws.HeartbeatResponse:
        """Extends a lease, reports progress, and says whether cancel was requested."""
        return self._unary(self.workers.Heartbeat, ws.HeartbeatRequest, request, fields, timeout, retry, True)

    def complete_task(self, request: Optional[ws.CompleteTaskRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ws.CompleteTaskResponse:
        """Completes a held task (`result` bytes or str, stored as UTF-8)."""
        return self._unary(self.workers.CompleteTask, ws.CompleteTaskRequest, request, fields, timeout, retry, True)

    def complete_tasks(
        self,
        requests: Sequence[Union[Mapping[str, Any], ws.CompleteTaskRequest]],
        *,
        return_tasks: bool = False,
        timeout: Optional[float] = None,
        retry: Optional[bool] = None,
    ) -> ws.CompleteTasksResponse:
        """Completes up to 1,000 held tasks in one call; one result per item, in order."""
        items = [i if isinstance(i, ws.CompleteTaskRequest) else build(ws.CompleteTaskRequest, None, dict(i)) for i in requests]
        req = ws.CompleteTasksRequest(requests=items, return_tasks=return_tasks)
        return _call(self.workers.CompleteTasks, req, timeout or DEFAULT_TIMEOUT, _choose(retry, True))

    def release_task(self, request: Optional[ws.ReleaseTaskRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ws.ReleaseTaskResponse:
        """Gives a held task back at once without using up its attempt."""
        return self._unary(self.workers.ReleaseTask, ws.ReleaseTaskRequest, request, fields, timeout, retry, True)

    def fail_task(self, request: Optional[ws.FailTaskRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ws.FailTaskResponse:
        """Fails the current attempt (retried with backoff, or FAILED when permanent). Not retried."""
        return self._unary(self.workers.FailTask, ws.FailTaskRequest, request, fields, timeout, retry, False)

    def append_task_logs(self, request: Optional[ws.AppendTaskLogsRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ws.AppendTaskLogsResponse:
        """Appends lines (`lines`: TaskLogEntry, or dicts with `text`) to a held task's log; workers use `ctx.log`,
        which batches. Not retried (a retry could store the lines twice)."""
        return self._unary(self.workers.AppendTaskLogs, ws.AppendTaskLogsRequest, request, fields, timeout, retry, False)

    # --- QueueService -------------------------------------------------------------------------------------------

    def get_queue(self, request: Optional[qs.GetQueueRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.GetQueueResponse:
        """One queue's counts, oldest pending age, settings and live workers."""
        return self._unary(self.queues.GetQueue, qs.GetQueueRequest, request, fields, timeout, retry, True)

    def list_queues(self, request: Optional[qs.ListQueuesRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.ListQueuesResponse:
        """One page of queues, by name."""
        return self._unary(self.queues.ListQueues, qs.ListQueuesRequest, request, fields, timeout, retry, True)

    def pause_queue(self, request: Optional[qs.PauseQueueRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.PauseQueueResponse:
        """Claims get nothing from the queue until it is resumed."""
        return self._unary(self.queues.PauseQueue, qs.PauseQueueRequest, request, fields, timeout, retry, True)

    def resume_queue(self, request: Optional[qs.ResumeQueueRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.ResumeQueueResponse:
        """Claims resume."""
        return self._unary(self.queues.ResumeQueue, qs.ResumeQueueRequest, request, fields, timeout, retry, True)

    def purge_queue(self, request: Optional[qs.PurgeQueueRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.PurgeQueueResponse:
        """Deletes scheduled and pending tasks (finished ones too with include_finished). Not retried."""
        return self._unary(self.queues.PurgeQueue, qs.PurgeQueueRequest, request, fields, timeout, retry, False)

    def delete_queue(self, request: Optional[qs.DeleteQueueRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.DeleteQueueResponse:
        """Deletes a queue, its tasks and settings; refused while tasks are leased unless force. Not retried."""
        return self._unary(self.queues.DeleteQueue, qs.DeleteQueueRequest, request, fields, timeout, retry, False)

    def retry_tasks(self, request: Optional[qs.RetryTasksRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.RetryTasksResponse:
        """Makes finished tasks in the given states PENDING again. Not retried."""
        return self._unary(self.queues.RetryTasks, qs.RetryTasksRequest, request, fields, timeout, retry, False)

    def update_queue(self, request: Optional[qs.UpdateQueueRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.UpdateQueueResponse:
        """Changes a queue's defaults; fields left at zero stay as they are."""
        return self._unary(self.queues.UpdateQueue, qs.UpdateQueueRequest, request, fields, timeout, retry, True)

    def list_active_tasks(self, request: Optional[qs.ListActiveTasksRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.ListActiveTasksResponse:
        """What each worker holds now under a live lease."""
        return self._unary(self.queues.ListActiveTasks, qs.ListActiveTasksRequest, request, fields, timeout, retry, True)

    def list_completed_tasks(self, request: Optional[qs.ListCompletedTasksRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.ListCompletedTasksResponse:
        """The most recently finished tasks of a queue, newest first."""
        return self._unary(self.queues.ListCompletedTasks, qs.ListCompletedTasksRequest, request, fields, timeout, retry, True)

    def register_worker(self, request: Optional[qs.RegisterWorkerRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.RegisterWorkerResponse:
        """Announces a worker; calling it periodically keeps an idle worker visible."""
        return self._unary(self.queues.RegisterWorker, qs.RegisterWorkerRequest, request, fields, timeout, retry, True)

    def list_workers(self, request: Optional[qs.ListWorkersRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.ListWorkersResponse:
        """Workers, most recently seen first."""
        return self._unary(self.queues.ListWorkers, qs.ListWorkersRequest, request, fields, timeout, retry, True)

    def get_worker(self, request: Optional[qs.GetWorkerRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> qs.GetWorkerResponse:
        """One worker."""
        return self._unary(self.queues.GetWorker, qs.GetWorkerRequest, request, fields, timeout, retry, True)

    # --- ScheduleService ----------------------------------------------------------------------------------------

    def create_schedule(self, request: Optional[ss.CreateScheduleRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ss.CreateScheduleResponse:
        """A schedule: its task is submitted once per tick of a cron expression or an interval. Not retried."""
        return self._unary(self.schedules.CreateSchedule, ss.CreateScheduleRequest, request, fields, timeout, retry, False)

    def update_schedule(self, request: Optional[ss.UpdateScheduleRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ss.UpdateScheduleResponse:
        """Replaces a schedule's definition in place, keeping its state and create time."""
        return self._unary(self.schedules.UpdateSchedule, ss.UpdateScheduleRequest, request, fields, timeout, retry, True)

    def get_schedule(self, request: Optional[ss.GetScheduleRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ss.GetScheduleResponse:
        """One schedule, with its coming run times."""
        return self._unary(self.schedules.GetSchedule, ss.GetScheduleRequest, request, fields, timeout, retry, True)

    def list_schedules(self, request: Optional[ss.ListSchedulesRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ss.ListSchedulesResponse:
        """One page of schedules, by queue and id."""
        return self._unary(self.schedules.ListSchedules, ss.ListSchedulesRequest, request, fields, timeout, retry, True)

    def pause_schedule(self, request: Optional[ss.PauseScheduleRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ss.PauseScheduleResponse:
        """Stops a schedule's ticks until it is resumed."""
        return self._unary(self.schedules.PauseSchedule, ss.PauseScheduleRequest, request, fields, timeout, retry, True)

    def resume_schedule(self, request: Optional[ss.ResumeScheduleRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ss.ResumeScheduleResponse:
        """Ticks again from the first tick after now."""
        return self._unary(self.schedules.ResumeSchedule, ss.ResumeScheduleRequest, request, fields, timeout, retry, True)

    def trigger_schedule(self, request: Optional[ss.TriggerScheduleRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ss.TriggerScheduleResponse:
        """Submits the schedule's task now. Not retried."""
        return self._unary(self.schedules.TriggerSchedule, ss.TriggerScheduleRequest, request, fields, timeout, retry, False)

    def delete_schedule(self, request: Optional[ss.DeleteScheduleRequest] = None, /, *, timeout: Optional[float] = None, retry: Optional[bool] = None, **fields: Any) -> ss.DeleteScheduleResponse:
        """Deletes a schedule; its tasks stay. Not retried."""
        return self._unary(self.schedules.DeleteSchedule, ss.DeleteScheduleRequest, request, fields, timeout, retry, False)

    def _unary(self, invoke: Callable[..., R], cls: Any, request: Any, fields: Any, timeout: Optional[float], retry: Optional[bool], safe: bool) -> R:
        req = build(cls, request, fields)
        return _call(lambda r, t: invoke(r, timeout=t), req, timeout or DEFAULT_TIMEOUT, _choose(retry, safe))


def _choose(explicit: Optional[bool], safe: bool) -> bool:
    return safe if explicit is None else explicit


__all__ = ["Client", "Task", "TaskState", "DEFAULT_TIMEOUT"]

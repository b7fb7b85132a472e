import * as grpc from '@grpc/grpc-js';
import { TaskSubmitter } from './submitter.js';
import type { SubmitterOptions } from './submitter.js';
import { DEFAULT_TIMEOUT_MS, call } from './unaryCall.js';
import type { CallOptions } from './unaryCall.js';
import { durationToMs } from './time.js';
import { connectionFor, parseAddresses } from './connection.js';
export { parseAddresses } from './connection.js';
import { itemsOf } from './serverStream.js';
import type { ConnectionOptions } from './connection.js';
import { toBytes, toSubmitRequest } from './payloads.js';
import type { Bytes, RunTaskInput, SubmitTaskInput, SubmitTasksInput } from './payloads.js';
import { AppendTaskLogsRequest, CancelTaskRequest, ClaimTasksRequest, CompleteTaskRequest, CompleteTasksRequest, CreateScheduleRequest, DeleteQueueRequest, DeleteScheduleRequest, FailTaskRequest, GetQueueRequest, GetScheduleRequest, GetTaskLogsRequest, GetTaskRequest, GetWorkerRequest, HeartbeatRequest, ListActiveTasksRequest, ListChildrenRequest, ListCompletedTasksRequest, ListQueuesRequest, ListSchedulesRequest, ListTasksRequest, ListWorkersRequest, PauseQueueRequest, PauseScheduleRequest, PurgeQueueRequest, QueueServiceClient, RegisterWorkerRequest, ReleaseTaskRequest, ResumeQueueRequest, ResumeScheduleRequest, RetryTaskRequest, RetryTasksRequest, RunTaskRequest, ScheduleServiceClient, StartTaskRequest, SubmitFlowRequest, SubmitTaskRequest, SubmitTasksRequest, TaskServiceClient, TriggerScheduleRequest, UpdateQueueRequest, UpdateScheduleRequest, WaitTaskRequest, WatchTaskLogsRequest, WatchTasksRequest } from './contract.js';
import type { WorkerServiceClient } from './contract.js';
import type { AppendTaskLogsResponse, CancelTaskResponse, ClaimTasksResponse, CompleteTaskResponse, CompleteTasksResponse, CreateScheduleResponse, DeleteQueueResponse, DeleteScheduleResponse, FailTaskResponse, GetQueueResponse, GetScheduleResponse, GetTaskLogsResponse, GetTaskResponse, GetWorkerResponse, HeartbeatResponse, ListActiveTasksResponse, ListChildrenResponse, ListCompletedTasksResponse, ListQueuesResponse, ListSchedulesResponse, ListTasksResponse, ListWorkersResponse, PauseQueueResponse, PauseScheduleResponse, PurgeQueueResponse, RegisterWorkerResponse, ReleaseTaskResponse, ResumeQueueResponse, ResumeScheduleResponse, RetryTaskResponse, RetryTasksResponse, RunTaskResponse, StartTaskResponse, SubmitFlowResponse, SubmitTaskResponse, SubmitTasksResponse, TaskEvent, TaskLogLine, TriggerScheduleResponse, UpdateQueueResponse, UpdateScheduleResponse, WaitTaskResponse, WatchTaskLogsResponse, WatchTasksResponse } from './contract.js';
import { everyTaskNamed } from './flows.js';
import { FastWorkerServiceClient } from './workTasksWire.js';

export interface WatchOptions {
  /** Aborting it cancels the stream; the loop over it then ends without an error. */
  signal?: AbortSignal;
}

/** What a method takes: any part of its request message; unset fields are the proto defaults. */
export type Input<Message extends { fromPartial(object: never): unknown }> = Parameters<Message['fromPartial']>[0];

/** `Message` with its bytes field `Field` also taking a string (stored as UTF-8). */
type WithBytes<Message, Field extends keyof Message> = Omit<Message, Field> & { [K in Field]?: Bytes };

/**
 * HTTP/2's default 64 KiB window caps what one connection receives per round trip, whatever the bandwidth: a few
 * WatchTasks streams of a busy queue sharing one connection fell seconds behind on it (bench/events.ts). 1 MiB is
 * what grpc-java uses; it is also the most a connection buffers for a reader that stopped reading.
 */
const DEFAULT_CHANNEL_OPTIONS: grpc.ChannelOptions = { 'grpc-node.flow_control_window': 1024 * 1024 };

/** The stubs of one server address, sharing one channel. */
interface Stubs {
  tasks: TaskServiceClient;
  workers: WorkerServiceClient;
  queues: QueueServiceClient;
  schedules: ScheduleServiceClient;
}

/**
 * A typed client for every Baton RPC. Each method returns a promise and has a deadline.
 *
 * Given several addresses (replicas of one Baton deployment), it talks to one at a time, starting with the first,
 * and moves on to the next in turn when a call or a worker session finds its server unavailable.
 */
export class BatonClient {
  /** Every server address, in the order they are tried. */
  readonly addresses: readonly string[];
  private readonly credentials: grpc.ChannelCredentials;
  private readonly interceptors: grpc.Interceptor[];
  private readonly channelOptions: grpc.ChannelOptions;
  /** Stubs per address, made when the address is first used and kept (a channel reconnects by itself). */
  private readonly stubs = new Map<number, Stubs>();
  private current = 0;
  private switches = 0;
  private closed = false;

  /**
   * `address` is host:port of any Baton replica, or several of them (an array, or comma-separated). `connection`
   * gives a token and TLS settings (see ConnectionOptions; by default from BATON_TOKEN and BATON_TLS*, plaintext
   * without them), or is grpc-js channel credentials used as given. `channelOptions` are grpc-js channel options;
   * they default to a 1 MiB HTTP/2 flow-control window.
   */
  constructor(
    address: string | readonly string[],
    connection: ConnectionOptions | grpc.ChannelCredentials = {},
    channelOptions: grpc.ChannelOptions = {},
  ) {
    this.addresses = parseAddresses(address);
    const { credentials, interceptors } =
      connection instanceof grpc.ChannelCredentials ? { credentials: connection, interceptors: [] } : connectionFor(connection);
    this.credentials = credentials;
    this.interceptors = interceptors;
    this.channelOptions = { ...DEFAULT_CHANNEL_OPTIONS, ...channelOptions };
  }

  /** The address calls go to now. */
  get address(): string {
    return this.addresses[this.current] ?? '';
  }

  /** Task calls (TaskService) on the current server. */
  get tasks(): TaskServiceClient {
    return this.stubsNow().tasks;
  }

  /** Worker calls (WorkerService) on the current server. */
  get workers(): WorkerServiceClient {
    return this.stubsNow().workers;
  }

  /** Operator views and queue controls (QueueService) on the current server. */
  get queues(): QueueServiceClient {
    return this.stubsNow().queues;
  }

  /** Recurring tasks (ScheduleService) on the current server. */
  get schedules(): ScheduleServiceClient {
    return this.stubsNow().schedules;
  }

  /** Counts the moves to another address: a caller notes it before a call and passes it to failover(). */
  get generation(): number {
    return this.switches;
  }

  /**
   * Moves on to the next address (after the last, the first again), unless the client has one address or has
   * already moved since `from` (another call failed over first: a crowd of failed calls moves once).
   */
  failover(from: number = this.switches): void {
    if (this.addresses.length < 2 || from !== this.switches) return;
    this.switches += 1;
    this.current = (this.current + 1) % this.addresses.length;
  }

  close(): void {
    this.closed = true;
    for (const stubs of this.stubs.values()) stubs.tasks.close();
    this.stubs.clear();
  }

  private stubsNow(): Stubs {
    let stubs = this.stubs.get(this.current);
    if (!stubs) {
      const address = this.address;
      const { interceptors } = this;
      const tasks = new TaskServiceClient(address, this.credentials, { ...this.channelOptions, interceptors });
      const channelOverride = tasks.getChannel();
      stubs = {
        tasks,
        workers: new FastWorkerServiceClient(address, this.credentials, { channelOverride, interceptors }),
        queues: new QueueServiceClient(address, this.credentials, { channelOverride, interceptors }),
        schedules: new ScheduleServiceClient(address, this.credentials, { channelOverride, interceptors }),
      };
      // Once closed, calls fail as on a closed channel.
      if (this.closed) tasks.close();
      else this.stubs.set(this.current, stubs);
    }
    return stubs;
  }

  /**
   * Submits one task. Its payload may be bytes, a string (stored as UTF-8) or, as `json`, any JSON value (see
   * SubmitTaskInput); one given both ways rejects with a TypeError.
   */
  async submitTask(input: SubmitTaskInput, options?: CallOptions): Promise<SubmitTaskResponse> {
    const request = SubmitTaskRequest.fromPartial(toSubmitRequest(input));
    return await call(this, (o, cb) => this.tasks.submitTask(request, new grpc.Metadata(), o, cb), options ?? {}, request.task_id !== '');
  }

  /** Submits up to 1,000 tasks in one call, each as in submitTask; each result says whether its item was stored. */
  async submitTasks(input: SubmitTasksInput, options?: CallOptions): Promise<SubmitTasksResponse> {
    const request = SubmitTasksRequest.fromPartial({ ...input, requests: input.requests?.map(toSubmitRequest) });
    const named = request.requests.every((item) => item.task_id !== '');
    return await call(this, (o, cb) => this.tasks.submitTasks(request, new grpc.Metadata(), o, cb), options ?? {}, named);
  }

  /**
   * A producer's fast path: submits over one long-lived SubmitTasksStream instead of a call each (see
   * TaskSubmitter). Close it when done.
   */
  submitter(options?: SubmitterOptions): TaskSubmitter {
    return new TaskSubmitter(this, options);
  }

  getTask(request: Input<typeof GetTaskRequest>, options?: CallOptions): Promise<GetTaskResponse> {
    return call(this, (o, cb) => this.tasks.getTask(GetTaskRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  listTasks(request: Input<typeof ListTasksRequest>, options?: CallOptions): Promise<ListTasksResponse> {
    return call(this, (o, cb) => this.tasks.listTasks(ListTasksRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  cancelTask(request: Input<typeof CancelTaskRequest>, options?: CallOptions): Promise<CancelTaskResponse> {
    return call(this, (o, cb) => this.tasks.cancelTask(CancelTaskRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** Submits a tree of tasks (flows.ts: chain, group); retried when every task is named, as a repeat is then idempotent. */
  submitFlow(request: Input<typeof SubmitFlowRequest>, options?: CallOptions): Promise<SubmitFlowResponse> {
    const message = SubmitFlowRequest.fromPartial(request);
    return call(this, (o, cb) => this.tasks.submitFlow(message, new grpc.Metadata(), o, cb), options ?? {}, everyTaskNamed(message.root));
  }

  listChildren(request: Input<typeof ListChildrenRequest>, options?: CallOptions): Promise<ListChildrenResponse> {
    return call(this, (o, cb) => this.tasks.listChildren(ListChildrenRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  retryTask(request: Input<typeof RetryTaskRequest>, options?: CallOptions): Promise<RetryTaskResponse> {
    return call(this, (o, cb) => this.tasks.retryTask(RetryTaskRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, false);
  }

  /** Waits until the task is finished or `request.timeout` passes (then `finished` is false). Retried: it is a read. */
  waitTask(request: Input<typeof WaitTaskRequest>, options: CallOptions = {}): Promise<WaitTaskResponse> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS + durationToMs(request.timeout);
    return call(this, (o, cb) => this.tasks.waitTask(WaitTaskRequest.fromPartial(request), new grpc.Metadata(), o, cb), { ...options, timeoutMs }, true);
  }

  /**
   * Submits a task (its payload as in submitTask) and waits up to `request.timeout` for its outcome. Never retried
   * (resubmit by task id instead).
   */
  async runTask(input: RunTaskInput, options: CallOptions = {}): Promise<RunTaskResponse> {
    const request = RunTaskRequest.fromPartial({ ...input, task: input.task && toSubmitRequest(input.task) });
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS + durationToMs(request.timeout);
    return await call(this, (o, cb) => this.tasks.runTask(request, new grpc.Metadata(), o, cb), { ...options, timeoutMs }, false);
  }

  /**
   * A queue's changes as they happen: `for await (const event of client.watchTasks({ queue })) ...`. The stream has
   * no deadline. The loop ends when the server ends the stream cleanly (it shuts down: resume elsewhere with the last
   * event's `cursor`) or when `signal` aborts; it throws the gRPC error when the stream fails (OUT_OF_RANGE,
   * RESOURCE_EXHAUSTED, UNAVAILABLE, ...). Breaking out of the loop cancels the call. Not retried.
   */
  watchTasks(request: Input<typeof WatchTasksRequest>, options: WatchOptions = {}): AsyncGenerator<TaskEvent, void, undefined> {
    return this.follow(() => this.tasks.watchTasks(WatchTasksRequest.fromPartial(request)), (message: WatchTasksResponse) => message.events, options);
  }

  /** A page of a task's log lines after `after_position` (0: from the oldest kept), oldest first. */
  getTaskLogs(request: Input<typeof GetTaskLogsRequest>, options?: CallOptions): Promise<GetTaskLogsResponse> {
    return call(this, (o, cb) => this.tasks.getTaskLogs(GetTaskLogsRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /**
   * A task's log lines as they are appended: `for await (const line of client.watchTaskLogs({ queue, task_id }))`.
   * No deadline. The loop ends once the task is finished and every line was received, when the server shuts down
   * (resume with the last line's `position` as `after_position`), or when `signal` aborts. Not retried.
   */
  watchTaskLogs(request: Input<typeof WatchTaskLogsRequest>, options: WatchOptions = {}): AsyncGenerator<TaskLogLine, void, undefined> {
    return this.follow(() => this.tasks.watchTaskLogs(WatchTaskLogsRequest.fromPartial(request)), (message: WatchTaskLogsResponse) => message.lines, options);
  }

  claimTasks(request: Input<typeof ClaimTasksRequest>, options: CallOptions = {}): Promise<ClaimTasksResponse> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS + durationToMs(request.wait_timeout);
    return call(this, (o, cb) => this.workers.claimTasks(ClaimTasksRequest.fromPartial(request), new grpc.Metadata(), o, cb), { ...options, timeoutMs }, true);
  }

  /** Starts a task by id, creating it when it does not exist (a string payload is stored as UTF-8). */
  startTask(input: WithBytes<Input<typeof StartTaskRequest>, 'payload'>, options?: CallOptions): Promise<StartTaskResponse> {
    const request = StartTaskRequest.fromPartial({ ...input, payload: input.payload === undefined ? undefined : toBytes(input.payload) });
    return call(this, (o, cb) => this.workers.startTask(request, new grpc.Metadata(), o, cb), options ?? {}, false);
  }

  heartbeat(request: Input<typeof HeartbeatRequest>, options?: CallOptions): Promise<HeartbeatResponse> {
    return call(this, (o, cb) => this.workers.heartbeat(HeartbeatRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** Completes a held task; a string result is stored as UTF-8. */
  completeTask(input: WithBytes<Input<typeof CompleteTaskRequest>, 'result'>, options?: CallOptions): Promise<CompleteTaskResponse> {
    const request = CompleteTaskRequest.fromPartial({ ...input, result: input.result === undefined ? undefined : toBytes(input.result) });
    return call(this, (o, cb) => this.workers.completeTask(request, new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /**
   * Completes a batch of tasks in one round trip (string results stored as UTF-8); each result says whether its
   * item succeeded.
   */
  completeTasks(
    input: Omit<Input<typeof CompleteTasksRequest>, 'requests'> & { requests?: WithBytes<Input<typeof CompleteTaskRequest>, 'result'>[] },
    options?: CallOptions,
  ): Promise<CompleteTasksResponse> {
    const requests = input.requests?.map((item) => ({ ...item, result: item.result === undefined ? undefined : toBytes(item.result) }));
    const request = CompleteTasksRequest.fromPartial({ ...input, requests });
    return call(this, (o, cb) => this.workers.completeTasks(request, new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** Gives a held task back without using up its attempt (PENDING again at once). */
  releaseTask(request: Input<typeof ReleaseTaskRequest>, options?: CallOptions): Promise<ReleaseTaskResponse> {
    return call(this, (o, cb) => this.workers.releaseTask(ReleaseTaskRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  failTask(request: Input<typeof FailTaskRequest>, options?: CallOptions): Promise<FailTaskResponse> {
    return call(this, (o, cb) => this.workers.failTask(FailTaskRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, false);
  }

  /** Appends lines to a held task's log (workers: prefer `ctx.log`, which batches). Not retried: it is no idempotent. */
  appendTaskLogs(request: Input<typeof AppendTaskLogsRequest>, options?: CallOptions): Promise<AppendTaskLogsResponse> {
    return call(this, (o, cb) => this.workers.appendTaskLogs(AppendTaskLogsRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, false);
  }

  /** One queue's counts, oldest pending age, settings and live workers. */
  getQueue(request: Input<typeof GetQueueRequest>, options?: CallOptions): Promise<GetQueueResponse> {
    return call(this, (o, cb) => this.queues.getQueue(GetQueueRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** One page of queues, by name. */
  listQueues(request: Input<typeof ListQueuesRequest>, options?: CallOptions): Promise<ListQueuesResponse> {
    return call(this, (o, cb) => this.queues.listQueues(ListQueuesRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** Claims get nothing from the queue until it is resumed; submits are still accepted. */
  pauseQueue(request: Input<typeof PauseQueueRequest>, options?: CallOptions): Promise<PauseQueueResponse> {
    return call(this, (o, cb) => this.queues.pauseQueue(PauseQueueRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** Claims resume; claims waiting on the queue wake at once. */
  resumeQueue(request: Input<typeof ResumeQueueRequest>, options?: CallOptions): Promise<ResumeQueueResponse> {
    return call(this, (o, cb) => this.queues.resumeQueue(ResumeQueueRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** Deletes scheduled and pending tasks (and finished ones with include_finished). Never retried. */
  purgeQueue(request: Input<typeof PurgeQueueRequest>, options?: CallOptions): Promise<PurgeQueueResponse> {
    return call(this, (o, cb) => this.queues.purgeQueue(PurgeQueueRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, false);
  }

  /** Deletes a queue, its tasks and settings; refused while tasks are leased unless force. Never retried. */
  deleteQueue(request: Input<typeof DeleteQueueRequest>, options?: CallOptions): Promise<DeleteQueueResponse> {
    return call(this, (o, cb) => this.queues.deleteQueue(DeleteQueueRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, false);
  }

  /** Makes finished tasks in the given states PENDING again (default FAILED and EXHAUSTED). Never retried. */
  retryTasks(request: Input<typeof RetryTasksRequest>, options?: CallOptions): Promise<RetryTasksResponse> {
    return call(this, (o, cb) => this.queues.retryTasks(RetryTasksRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, false);
  }

  /** Changes a queue's defaults; fields left at zero or unset stay as they are. */
  updateQueue(request: Input<typeof UpdateQueueRequest>, options?: CallOptions): Promise<UpdateQueueResponse> {
    return call(this, (o, cb) => this.queues.updateQueue(UpdateQueueRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** What each worker holds now under a live lease, grouped by worker. */
  listActiveTasks(request: Input<typeof ListActiveTasksRequest>, options?: CallOptions): Promise<ListActiveTasksResponse> {
    return call(this, (o, cb) => this.queues.listActiveTasks(ListActiveTasksRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** The most recently finished tasks of a queue, newest first. */
  listCompletedTasks(request: Input<typeof ListCompletedTasksRequest>, options?: CallOptions): Promise<ListCompletedTasksResponse> {
    return call(this, (o, cb) => this.queues.listCompletedTasks(ListCompletedTasksRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** Announces a worker; calling it periodically keeps an idle worker visible. */
  registerWorker(request: Input<typeof RegisterWorkerRequest>, options?: CallOptions): Promise<RegisterWorkerResponse> {
    return call(this, (o, cb) => this.queues.registerWorker(RegisterWorkerRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** Workers, most recently seen first (alive ones only unless include_lost). */
  listWorkers(request: Input<typeof ListWorkersRequest>, options?: CallOptions): Promise<ListWorkersResponse> {
    return call(this, (o, cb) => this.queues.listWorkers(ListWorkersRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** One worker. */
  getWorker(request: Input<typeof GetWorkerRequest>, options?: CallOptions): Promise<GetWorkerResponse> {
    return call(this, (o, cb) => this.queues.getWorker(GetWorkerRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** A server stream's items; the stream is not opened when `signal` has already aborted. */
  private async *follow<Message, Item>(
    open: () => grpc.ClientReadableStream<Message>,
    items: (message: Message) => readonly Item[],
    { signal }: WatchOptions,
  ): AsyncGenerator<Item, void, undefined> {
    if (signal?.aborted) return;
    yield* itemsOf(open(), items, signal);
  }

  /** Creates a schedule: its task is submitted once per tick of a cron expression or an interval. Never retried. */
  createSchedule(request: Input<typeof CreateScheduleRequest>, options?: CallOptions): Promise<CreateScheduleResponse> {
    return call(this, (o, cb) => this.schedules.createSchedule(CreateScheduleRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, false);
  }

  /** Replaces a schedule's definition in place, keeping its state; retried (the same update twice changes nothing more). */
  updateSchedule(request: Input<typeof UpdateScheduleRequest>, options?: CallOptions): Promise<UpdateScheduleResponse> {
    return call(this, (o, cb) => this.schedules.updateSchedule(UpdateScheduleRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** One schedule, with its coming run times. */
  getSchedule(request: Input<typeof GetScheduleRequest>, options?: CallOptions): Promise<GetScheduleResponse> {
    return call(this, (o, cb) => this.schedules.getSchedule(GetScheduleRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** One page of schedules, by queue and id. */
  listSchedules(request: Input<typeof ListSchedulesRequest>, options?: CallOptions): Promise<ListSchedulesResponse> {
    return call(this, (o, cb) => this.schedules.listSchedules(ListSchedulesRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** Stops a schedule's ticks until it is resumed. */
  pauseSchedule(request: Input<typeof PauseScheduleRequest>, options?: CallOptions): Promise<PauseScheduleResponse> {
    return call(this, (o, cb) => this.schedules.pauseSchedule(PauseScheduleRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** Ticks again from the first tick after now. */
  resumeSchedule(request: Input<typeof ResumeScheduleRequest>, options?: CallOptions): Promise<ResumeScheduleResponse> {
    return call(this, (o, cb) => this.schedules.resumeSchedule(ResumeScheduleRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, true);
  }

  /** Submits the schedule's task now. Never retried. */
  triggerSchedule(request: Input<typeof TriggerScheduleRequest>, options?: CallOptions): Promise<TriggerScheduleResponse> {
    return call(this, (o, cb) => this.schedules.triggerSchedule(TriggerScheduleRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, false);
  }

  /** Deletes a schedule; its tasks stay. Never retried. */
  deleteSchedule(request: Input<typeof DeleteScheduleRequest>, options?: CallOptions): Promise<DeleteScheduleResponse> {
    return call(this, (o, cb) => this.schedules.deleteSchedule(DeleteScheduleRequest.fromPartial(request), new grpc.Metadata(), o, cb), options ?? {}, false);
  }
}

import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../grpc/protos.js';
import { TaskSubmitter } from './submitter.js';
import type { SubmitterOptions } from './submitter.js';
import { statusOf } from './errors.js';
import type { TaskServiceClient } from '../grpc/generated/baton/v1/TaskService.js';
import type { WorkerServiceClient } from '../grpc/generated/baton/v1/WorkerService.js';
import type { SubmitTaskRequest } from '../grpc/generated/baton/v1/SubmitTaskRequest.js';
import type { SubmitTaskResponse__Output } from '../grpc/generated/baton/v1/SubmitTaskResponse.js';
import type { SubmitTasksRequest } from '../grpc/generated/baton/v1/SubmitTasksRequest.js';
import type { SubmitTasksResponse__Output } from '../grpc/generated/baton/v1/SubmitTasksResponse.js';
import type { GetTaskRequest } from '../grpc/generated/baton/v1/GetTaskRequest.js';
import type { GetTaskResponse__Output } from '../grpc/generated/baton/v1/GetTaskResponse.js';
import type { ListTasksRequest } from '../grpc/generated/baton/v1/ListTasksRequest.js';
import type { ListTasksResponse__Output } from '../grpc/generated/baton/v1/ListTasksResponse.js';
import type { CancelTaskRequest } from '../grpc/generated/baton/v1/CancelTaskRequest.js';
import type { CancelTaskResponse__Output } from '../grpc/generated/baton/v1/CancelTaskResponse.js';
import type { RetryTaskRequest } from '../grpc/generated/baton/v1/RetryTaskRequest.js';
import type { RetryTaskResponse__Output } from '../grpc/generated/baton/v1/RetryTaskResponse.js';
import type { ClaimTasksRequest } from '../grpc/generated/baton/v1/ClaimTasksRequest.js';
import type { ClaimTasksResponse__Output } from '../grpc/generated/baton/v1/ClaimTasksResponse.js';
import type { StartTaskRequest } from '../grpc/generated/baton/v1/StartTaskRequest.js';
import type { StartTaskResponse__Output } from '../grpc/generated/baton/v1/StartTaskResponse.js';
import type { HeartbeatRequest } from '../grpc/generated/baton/v1/HeartbeatRequest.js';
import type { HeartbeatResponse__Output } from '../grpc/generated/baton/v1/HeartbeatResponse.js';
import type { CompleteTaskRequest } from '../grpc/generated/baton/v1/CompleteTaskRequest.js';
import type { CompleteTaskResponse__Output } from '../grpc/generated/baton/v1/CompleteTaskResponse.js';
import type { CompleteTasksRequest } from '../grpc/generated/baton/v1/CompleteTasksRequest.js';
import type { CompleteTasksResponse__Output } from '../grpc/generated/baton/v1/CompleteTasksResponse.js';
import type { FailTaskRequest } from '../grpc/generated/baton/v1/FailTaskRequest.js';
import type { ReleaseTaskRequest } from '../grpc/generated/baton/v1/ReleaseTaskRequest.js';
import type { ReleaseTaskResponse__Output } from '../grpc/generated/baton/v1/ReleaseTaskResponse.js';
import type { Duration } from '../grpc/generated/google/protobuf/Duration.js';
import type { Timestamp } from '../grpc/generated/google/protobuf/Timestamp.js';
import type { FailTaskResponse__Output } from '../grpc/generated/baton/v1/FailTaskResponse.js';
import type { QueueServiceClient } from '../grpc/generated/baton/v1/QueueService.js';
import type { GetQueueRequest } from '../grpc/generated/baton/v1/GetQueueRequest.js';
import type { GetQueueResponse__Output } from '../grpc/generated/baton/v1/GetQueueResponse.js';
import type { ListQueuesRequest } from '../grpc/generated/baton/v1/ListQueuesRequest.js';
import type { ListQueuesResponse__Output } from '../grpc/generated/baton/v1/ListQueuesResponse.js';
import type { PauseQueueRequest } from '../grpc/generated/baton/v1/PauseQueueRequest.js';
import type { PauseQueueResponse__Output } from '../grpc/generated/baton/v1/PauseQueueResponse.js';
import type { ResumeQueueRequest } from '../grpc/generated/baton/v1/ResumeQueueRequest.js';
import type { ResumeQueueResponse__Output } from '../grpc/generated/baton/v1/ResumeQueueResponse.js';
import type { PurgeQueueRequest } from '../grpc/generated/baton/v1/PurgeQueueRequest.js';
import type { PurgeQueueResponse__Output } from '../grpc/generated/baton/v1/PurgeQueueResponse.js';
import type { RetryTasksRequest } from '../grpc/generated/baton/v1/RetryTasksRequest.js';
import type { RetryTasksResponse__Output } from '../grpc/generated/baton/v1/RetryTasksResponse.js';
import type { UpdateQueueRequest } from '../grpc/generated/baton/v1/UpdateQueueRequest.js';
import type { UpdateQueueResponse__Output } from '../grpc/generated/baton/v1/UpdateQueueResponse.js';
import type { ListActiveTasksRequest } from '../grpc/generated/baton/v1/ListActiveTasksRequest.js';
import type { ListActiveTasksResponse__Output } from '../grpc/generated/baton/v1/ListActiveTasksResponse.js';
import type { ListCompletedTasksRequest } from '../grpc/generated/baton/v1/ListCompletedTasksRequest.js';
import type { ListCompletedTasksResponse__Output } from '../grpc/generated/baton/v1/ListCompletedTasksResponse.js';
import type { RegisterWorkerRequest } from '../grpc/generated/baton/v1/RegisterWorkerRequest.js';
import type { RegisterWorkerResponse__Output } from '../grpc/generated/baton/v1/RegisterWorkerResponse.js';
import type { ListWorkersRequest } from '../grpc/generated/baton/v1/ListWorkersRequest.js';
import type { ListWorkersResponse__Output } from '../grpc/generated/baton/v1/ListWorkersResponse.js';
import type { GetWorkerRequest } from '../grpc/generated/baton/v1/GetWorkerRequest.js';
import type { GetWorkerResponse__Output } from '../grpc/generated/baton/v1/GetWorkerResponse.js';
import type { WaitTaskRequest } from '../grpc/generated/baton/v1/WaitTaskRequest.js';
import type { WaitTaskResponse__Output } from '../grpc/generated/baton/v1/WaitTaskResponse.js';
import type { RunTaskRequest } from '../grpc/generated/baton/v1/RunTaskRequest.js';
import type { RunTaskResponse__Output } from '../grpc/generated/baton/v1/RunTaskResponse.js';
import type { WatchTasksRequest } from '../grpc/generated/baton/v1/WatchTasksRequest.js';
import type { WatchTasksResponse__Output } from '../grpc/generated/baton/v1/WatchTasksResponse.js';
import type { TaskEvent__Output } from '../grpc/generated/baton/v1/TaskEvent.js';

export interface WatchOptions {
  /** Aborting it cancels the stream; the loop over it then ends without an error. */
  signal?: AbortSignal;
}

export interface CallOptions {
  /** Milliseconds until the call fails with DEADLINE_EXCEEDED, retries included. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Retry on UNAVAILABLE (with backoff, within the deadline). Each method defaults to what is safe for it: reads,
   * cancels, heartbeats, completes, claims, submits that name their task ids and the idempotent queue controls
   * (pause, resume, update, register) retry; the rest (purge, bulk retry, ...) do not.
   */
  retry?: boolean;
}

/** Calls that wait on the server get this much on top of their wait. */
const DEFAULT_TIMEOUT_MS = 10_000;
const RETRY_FIRST_DELAY_MS = 50;
const RETRY_MAX_DELAY_MS = 2_000;

/** Starts one unary call: a grpc-js client method with its request already bound. */
type Invoke<Response> = (options: grpc.CallOptions, callback: grpc.requestCallback<Response>) => grpc.ClientUnaryCall;

function callOnce<Response>(invoke: Invoke<Response>, deadline: Date, signal: AbortSignal | undefined): Promise<Response> {
  return new Promise((resolve, reject) => {
    const pending = invoke({ deadline }, (error, response) => {
      signal?.removeEventListener('abort', cancel);
      if (error) reject(error);
      else if (response === undefined) reject(new Error('empty response'));
      else resolve(response);
    });
    const cancel = (): void => {
      pending.cancel();
    };
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function call<Response>(invoke: Invoke<Response>, options: CallOptions, retrySafe: boolean): Promise<Response> {
  const deadlineMs = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const retry = options.retry ?? retrySafe;
  for (let attempt = 0; ; attempt++) {
    try {
      return await callOnce(invoke, new Date(deadlineMs), options.signal);
    } catch (error) {
      if (!retry || statusOf(error) !== grpc.status.UNAVAILABLE || options.signal?.aborted) throw error;
      // Full jitter keeps a crowd of clients from coming back in step after an outage.
      const delay = Math.random() * Math.min(RETRY_MAX_DELAY_MS, RETRY_FIRST_DELAY_MS * 2 ** attempt);
      if (Date.now() + delay >= deadlineMs) throw error;
      await sleep(delay, options.signal);
    }
  }
}

/** A protobuf Duration from milliseconds. */
export function durationFromMs(ms: number): Duration {
  const whole = Math.floor(ms);
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}

/** Milliseconds from a protobuf Duration (0 when unset). */
export function durationToMs(duration: Duration | null | undefined): number {
  return duration ? Number(duration.seconds ?? 0) * 1000 + (duration.nanos ?? 0) / 1e6 : 0;
}

/** Milliseconds since the epoch from a protobuf Timestamp, or undefined when unset. */
export function timestampToMs(timestamp: Timestamp | null | undefined): number | undefined {
  return timestamp ? Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6) : undefined;
}

/**
 * HTTP/2's default 64 KiB window caps what one connection receives per round trip, whatever the bandwidth: a few
 * WatchTasks streams of a busy queue sharing one connection fell seconds behind on it (bench/events.ts). 1 MiB is
 * what grpc-java uses; it is also the most a connection buffers for a reader that stopped reading.
 */
const DEFAULT_CHANNEL_OPTIONS: grpc.ChannelOptions = { 'grpc-node.flow_control_window': 1024 * 1024 };

/** A typed client for every Baton RPC. Each method returns a promise and has a deadline. */
export class BatonClient {
  readonly tasks: TaskServiceClient;
  readonly workers: WorkerServiceClient;
  /** Operator views and queue controls (QueueService). */
  readonly queues: QueueServiceClient;

  /**
   * `address` is host:port of any Baton replica; plaintext unless `credentials` say otherwise. `channelOptions`
   * are grpc-js channel options; they default to a 1 MiB HTTP/2 flow-control window.
   */
  constructor(
    readonly address: string,
    credentials = grpc.credentials.createInsecure(),
    channelOptions: grpc.ChannelOptions = {},
  ) {
    const { baton } = loadProtos();
    this.tasks = new baton.v1.TaskService(address, credentials, { ...DEFAULT_CHANNEL_OPTIONS, ...channelOptions });
    this.workers = new baton.v1.WorkerService(address, credentials, { channelOverride: this.tasks.getChannel() });
    this.queues = new baton.v1.QueueService(address, credentials, { channelOverride: this.tasks.getChannel() });
  }

  close(): void {
    this.tasks.close();
  }

  submitTask(request: SubmitTaskRequest, options?: CallOptions): Promise<SubmitTaskResponse__Output> {
    return call((o, cb) => this.tasks.SubmitTask(request, o, cb), options ?? {}, Boolean(request.task_id));
  }

  submitTasks(request: SubmitTasksRequest, options?: CallOptions): Promise<SubmitTasksResponse__Output> {
    const named = (request.requests ?? []).every((item) => Boolean(item.task_id));
    return call((o, cb) => this.tasks.SubmitTasks(request, o, cb), options ?? {}, named);
  }

  /**
   * A producer's fast path: submits over one long-lived SubmitTasksStream instead of a call each (see
   * TaskSubmitter). Close it when done.
   */
  submitter(options?: SubmitterOptions): TaskSubmitter {
    return new TaskSubmitter(this, options);
  }

  getTask(request: GetTaskRequest, options?: CallOptions): Promise<GetTaskResponse__Output> {
    return call((o, cb) => this.tasks.GetTask(request, o, cb), options ?? {}, true);
  }

  listTasks(request: ListTasksRequest, options?: CallOptions): Promise<ListTasksResponse__Output> {
    return call((o, cb) => this.tasks.ListTasks(request, o, cb), options ?? {}, true);
  }

  cancelTask(request: CancelTaskRequest, options?: CallOptions): Promise<CancelTaskResponse__Output> {
    return call((o, cb) => this.tasks.CancelTask(request, o, cb), options ?? {}, true);
  }

  retryTask(request: RetryTaskRequest, options?: CallOptions): Promise<RetryTaskResponse__Output> {
    return call((o, cb) => this.tasks.RetryTask(request, o, cb), options ?? {}, false);
  }

  /** Waits until the task is finished or `request.timeout` passes (then `finished` is false). Retried: it is a read. */
  waitTask(request: WaitTaskRequest, options: CallOptions = {}): Promise<WaitTaskResponse__Output> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS + durationToMs(request.timeout);
    return call((o, cb) => this.tasks.WaitTask(request, o, cb), { ...options, timeoutMs }, true);
  }

  /** Submits a task and waits up to `request.timeout` for its outcome. Never retried (resubmit by task id instead). */
  runTask(request: RunTaskRequest, options: CallOptions = {}): Promise<RunTaskResponse__Output> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS + durationToMs(request.timeout);
    return call((o, cb) => this.tasks.RunTask(request, o, cb), { ...options, timeoutMs }, false);
  }

  /**
   * A queue's changes as they happen: `for await (const event of client.watchTasks({ queue })) ...`. The stream has
   * no deadline. The loop ends when the server ends the stream cleanly (it shuts down: resume elsewhere with the last
   * event's `cursor`) or when `signal` aborts; it throws the gRPC error when the stream fails (OUT_OF_RANGE,
   * RESOURCE_EXHAUSTED, UNAVAILABLE, ...). Breaking out of the loop cancels the call. Not retried.
   */
  async *watchTasks(request: WatchTasksRequest, options: WatchOptions = {}): AsyncGenerator<TaskEvent__Output, void, undefined> {
    const { signal } = options;
    if (signal?.aborted) return;
    const stream = this.tasks.WatchTasks(request);
    const cancel = (): void => {
      stream.cancel();
    };
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const message of stream as AsyncIterable<WatchTasksResponse__Output>) {
        // A message holds one or more events, in order; none is yielded once the caller has aborted.
        for (const event of message.events) {
          if (signal?.aborted) return;
          yield event;
        }
      }
    } catch (error) {
      if (signal?.aborted && statusOf(error) === grpc.status.CANCELLED) return;
      throw error;
    } finally {
      signal?.removeEventListener('abort', cancel);
      stream.cancel();
    }
  }

  claimTasks(request: ClaimTasksRequest, options: CallOptions = {}): Promise<ClaimTasksResponse__Output> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS + durationToMs(request.wait_timeout);
    return call((o, cb) => this.workers.ClaimTasks(request, o, cb), { ...options, timeoutMs }, true);
  }

  startTask(request: StartTaskRequest, options?: CallOptions): Promise<StartTaskResponse__Output> {
    return call((o, cb) => this.workers.StartTask(request, o, cb), options ?? {}, false);
  }

  heartbeat(request: HeartbeatRequest, options?: CallOptions): Promise<HeartbeatResponse__Output> {
    return call((o, cb) => this.workers.Heartbeat(request, o, cb), options ?? {}, true);
  }

  completeTask(request: CompleteTaskRequest, options?: CallOptions): Promise<CompleteTaskResponse__Output> {
    return call((o, cb) => this.workers.CompleteTask(request, o, cb), options ?? {}, true);
  }

  /** Completes a batch of tasks in one round trip; each result says whether its item succeeded. */
  completeTasks(request: CompleteTasksRequest, options?: CallOptions): Promise<CompleteTasksResponse__Output> {
    return call((o, cb) => this.workers.CompleteTasks(request, o, cb), options ?? {}, true);
  }

  /** Gives a held task back without using up its attempt (PENDING again at once). */
  releaseTask(request: ReleaseTaskRequest, options?: CallOptions): Promise<ReleaseTaskResponse__Output> {
    return call((o, cb) => this.workers.ReleaseTask(request, o, cb), options ?? {}, true);
  }

  failTask(request: FailTaskRequest, options?: CallOptions): Promise<FailTaskResponse__Output> {
    return call((o, cb) => this.workers.FailTask(request, o, cb), options ?? {}, false);
  }

  /** One queue's counts, oldest pending age, settings and live workers. */
  getQueue(request: GetQueueRequest, options?: CallOptions): Promise<GetQueueResponse__Output> {
    return call((o, cb) => this.queues.GetQueue(request, o, cb), options ?? {}, true);
  }

  /** One page of queues, by name. */
  listQueues(request: ListQueuesRequest, options?: CallOptions): Promise<ListQueuesResponse__Output> {
    return call((o, cb) => this.queues.ListQueues(request, o, cb), options ?? {}, true);
  }

  /** Claims get nothing from the queue until it is resumed; submits are still accepted. */
  pauseQueue(request: PauseQueueRequest, options?: CallOptions): Promise<PauseQueueResponse__Output> {
    return call((o, cb) => this.queues.PauseQueue(request, o, cb), options ?? {}, true);
  }

  /** Claims resume; claims waiting on the queue wake at once. */
  resumeQueue(request: ResumeQueueRequest, options?: CallOptions): Promise<ResumeQueueResponse__Output> {
    return call((o, cb) => this.queues.ResumeQueue(request, o, cb), options ?? {}, true);
  }

  /** Deletes scheduled and pending tasks (and finished ones with include_finished). Never retried. */
  purgeQueue(request: PurgeQueueRequest, options?: CallOptions): Promise<PurgeQueueResponse__Output> {
    return call((o, cb) => this.queues.PurgeQueue(request, o, cb), options ?? {}, false);
  }

  /** Makes finished tasks in the given states PENDING again (default FAILED and EXHAUSTED). Never retried. */
  retryTasks(request: RetryTasksRequest, options?: CallOptions): Promise<RetryTasksResponse__Output> {
    return call((o, cb) => this.queues.RetryTasks(request, o, cb), options ?? {}, false);
  }

  /** Changes a queue's defaults; fields left at zero or unset stay as they are. */
  updateQueue(request: UpdateQueueRequest, options?: CallOptions): Promise<UpdateQueueResponse__Output> {
    return call((o, cb) => this.queues.UpdateQueue(request, o, cb), options ?? {}, true);
  }

  /** What each worker holds now under a live lease, grouped by worker. */
  listActiveTasks(request: ListActiveTasksRequest, options?: CallOptions): Promise<ListActiveTasksResponse__Output> {
    return call((o, cb) => this.queues.ListActiveTasks(request, o, cb), options ?? {}, true);
  }

  /** The most recently finished tasks of a queue, newest first. */
  listCompletedTasks(request: ListCompletedTasksRequest, options?: CallOptions): Promise<ListCompletedTasksResponse__Output> {
    return call((o, cb) => this.queues.ListCompletedTasks(request, o, cb), options ?? {}, true);
  }

  /** Announces a worker; calling it periodically keeps an idle worker visible. */
  registerWorker(request: RegisterWorkerRequest, options?: CallOptions): Promise<RegisterWorkerResponse__Output> {
    return call((o, cb) => this.queues.RegisterWorker(request, o, cb), options ?? {}, true);
  }

  /** Workers, most recently seen first (alive ones only unless include_lost). */
  listWorkers(request: ListWorkersRequest, options?: CallOptions): Promise<ListWorkersResponse__Output> {
    return call((o, cb) => this.queues.ListWorkers(request, o, cb), options ?? {}, true);
  }

  /** One worker. */
  getWorker(request: GetWorkerRequest, options?: CallOptions): Promise<GetWorkerResponse__Output> {
    return call((o, cb) => this.queues.GetWorker(request, o, cb), options ?? {}, true);
  }
}

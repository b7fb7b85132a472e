import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../grpc/protos.js';
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
import type { FailTaskRequest } from '../grpc/generated/baton/v1/FailTaskRequest.js';
import type { Duration } from '../grpc/generated/google/protobuf/Duration.js';
import type { FailTaskResponse__Output } from '../grpc/generated/baton/v1/FailTaskResponse.js';

export interface CallOptions {
  /** Milliseconds until the call fails with DEADLINE_EXCEEDED. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Calls that wait on the server get this much on top of their wait. */
const DEFAULT_TIMEOUT_MS = 10_000;

type UnaryMethod<Request, Response> = (
  argument: Request,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Response>,
) => grpc.ClientUnaryCall;

function call<Request, Response>(
  client: grpc.Client,
  method: UnaryMethod<Request, Response>,
  request: Request,
  options: CallOptions = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    const pending = method.call(client, request, { deadline }, (error, response) => {
      options.signal?.removeEventListener('abort', cancel);
      if (error) reject(error);
      else if (response === undefined) reject(new Error('empty response'));
      else resolve(response);
    });
    const cancel = (): void => {
      pending.cancel();
    };
    options.signal?.addEventListener('abort', cancel, { once: true });
  });
}

function waitMs(duration: Duration | null | undefined): number {
  return duration ? Number(duration.seconds ?? 0) * 1000 + (duration.nanos ?? 0) / 1e6 : 0;
}

/** A typed client for every Baton RPC. Each method returns a promise and has a deadline. */
export class BatonClient {
  readonly tasks: TaskServiceClient;
  readonly workers: WorkerServiceClient;

  constructor(address: string, credentials = grpc.credentials.createInsecure()) {
    const { baton } = loadProtos();
    this.tasks = new baton.v1.TaskService(address, credentials);
    this.workers = new baton.v1.WorkerService(address, credentials, { channelOverride: this.tasks.getChannel() });
  }

  close(): void {
    this.tasks.close();
  }

  submitTask(request: SubmitTaskRequest, options?: CallOptions): Promise<SubmitTaskResponse__Output> {
    return call(this.tasks, this.tasks.SubmitTask, request, options);
  }

  submitTasks(request: SubmitTasksRequest, options?: CallOptions): Promise<SubmitTasksResponse__Output> {
    return call(this.tasks, this.tasks.SubmitTasks, request, options);
  }

  getTask(request: GetTaskRequest, options?: CallOptions): Promise<GetTaskResponse__Output> {
    return call(this.tasks, this.tasks.GetTask, request, options);
  }

  listTasks(request: ListTasksRequest, options?: CallOptions): Promise<ListTasksResponse__Output> {
    return call(this.tasks, this.tasks.ListTasks, request, options);
  }

  cancelTask(request: CancelTaskRequest, options?: CallOptions): Promise<CancelTaskResponse__Output> {
    return call(this.tasks, this.tasks.CancelTask, request, options);
  }

  retryTask(request: RetryTaskRequest, options?: CallOptions): Promise<RetryTaskResponse__Output> {
    return call(this.tasks, this.tasks.RetryTask, request, options);
  }

  claimTasks(request: ClaimTasksRequest, options: CallOptions = {}): Promise<ClaimTasksResponse__Output> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS + waitMs(request.wait_timeout);
    return call(this.workers, this.workers.ClaimTasks, request, { ...options, timeoutMs });
  }

  startTask(request: StartTaskRequest, options?: CallOptions): Promise<StartTaskResponse__Output> {
    return call(this.workers, this.workers.StartTask, request, options);
  }

  heartbeat(request: HeartbeatRequest, options?: CallOptions): Promise<HeartbeatResponse__Output> {
    return call(this.workers, this.workers.Heartbeat, request, options);
  }

  completeTask(request: CompleteTaskRequest, options?: CallOptions): Promise<CompleteTaskResponse__Output> {
    return call(this.workers, this.workers.CompleteTask, request, options);
  }

  failTask(request: FailTaskRequest, options?: CallOptions): Promise<FailTaskResponse__Output> {
    return call(this.workers, this.workers.FailTask, request, options);
  }
}

/** Maps proto messages to domain inputs and domain results to proto messages. Nothing else. */
import type { CompleteInput, RetryPolicyInput, SubmitInput } from '../domain/inputs.js';
import type { ItemOutcome } from '../domain/store.js';
import type { SubmitOutcome } from '../domain/lifecycle.js';
import type { Task, TaskErrorRecord, TaskState } from '../domain/task.js';
import { TASK_STATES } from '../domain/task.js';
import { invalidArgument } from '../domain/errors.js';
import type { Duration, Duration__Output } from './generated/google/protobuf/Duration.js';
import type { Timestamp, Timestamp__Output } from './generated/google/protobuf/Timestamp.js';
import type { RetryPolicy__Output } from './generated/baton/v1/RetryPolicy.js';
import type { SubmitTaskRequest__Output } from './generated/baton/v1/SubmitTaskRequest.js';
import type { Task as ProtoTask } from './generated/baton/v1/Task.js';
import type { CompleteTaskRequest__Output } from './generated/baton/v1/CompleteTaskRequest.js';
import type { CompleteTasksResult } from './generated/baton/v1/CompleteTasksResult.js';
import type { SubmitTasksResult } from './generated/baton/v1/SubmitTasksResult.js';
import type { Logger } from '../log.js';
import { itemError } from './status.js';
import type { TaskError as ProtoTaskError } from './generated/baton/v1/TaskError.js';
import type { TaskState__Output as ProtoTaskState } from './generated/baton/v1/TaskState.js';

/** Unset stays undefined; the domain checks ranges, so converting never fails and a batch item fails alone. */
export function durationToMs(duration: Duration__Output | null): number | undefined {
  return duration === null ? undefined : duration.seconds * 1000 + Math.floor(duration.nanos / 1e6);
}

export function timestampToMs(timestamp: Timestamp__Output | null): number | undefined {
  return timestamp === null ? undefined : timestamp.seconds * 1000 + Math.floor(timestamp.nanos / 1e6);
}

export function msToTimestamp(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
}

export function msToDuration(ms: number): Duration {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
}

export function stateToProto(state: TaskState): ProtoTaskState {
  return `TASK_STATE_${state}`;
}

/** UNSPECIFIED means "no filter". */
export function stateFromProto(state: ProtoTaskState | number): TaskState | undefined {
  if (state === 'TASK_STATE_UNSPECIFIED' || state === 0) return undefined;
  const name = typeof state === 'string' ? state.replace(/^TASK_STATE_/, '') : TASK_STATES[state - 1];
  const known = TASK_STATES.find((s) => s === name);
  if (known === undefined) throw invalidArgument('state', `unknown task state ${String(state)}`);
  return known;
}

function retryPolicyFromProto(policy: RetryPolicy__Output | null): RetryPolicyInput | undefined {
  if (policy === null) return undefined;
  const initialBackoffMs = durationToMs(policy.initial_backoff);
  const maxBackoffMs = durationToMs(policy.max_backoff);
  return {
    ...(initialBackoffMs === undefined ? {} : { initialBackoffMs }),
    ...(maxBackoffMs === undefined ? {} : { maxBackoffMs }),
    multiplier: policy.backoff_multiplier,
    jitter: policy.jitter,
  };
}

type SubmitFields = Pick<
  SubmitTaskRequest__Output,
  'queue' | 'task_id' | 'payload' | 'metadata' | 'priority' | 'max_attempts' | 'expire_time' | 'retry_policy'
> &
  Partial<Pick<SubmitTaskRequest__Output, 'delay' | 'schedule_time' | 'lease_duration'>>;

export function submitInputFromProto(request: SubmitFields): SubmitInput {
  const delayMs = durationToMs(request.delay ?? null);
  const scheduleTime = timestampToMs(request.schedule_time ?? null);
  const leaseDurationMs = durationToMs(request.lease_duration ?? null);
  const expireTime = timestampToMs(request.expire_time);
  const retryPolicy = retryPolicyFromProto(request.retry_policy);
  return {
    queue: request.queue,
    taskId: request.task_id,
    payload: request.payload,
    metadata: request.metadata,
    priority: request.priority,
    maxAttempts: request.max_attempts,
    ...(delayMs === undefined ? {} : { delayMs }),
    ...(scheduleTime === undefined ? {} : { scheduleTime }),
    ...(leaseDurationMs === undefined ? {} : { leaseDurationMs }),
    ...(expireTime === undefined ? {} : { expireTime }),
    ...(retryPolicy === undefined ? {} : { retryPolicy }),
  };
}

function errorToProto(error: TaskErrorRecord): ProtoTaskError {
  return {
    type: error.type,
    message: error.message,
    details: error.details,
    attempt: error.attempt,
    time: msToTimestamp(error.time),
  };
}

export function taskToProto(task: Task): ProtoTask {
  const last = task.errors.at(-1);
  return {
    queue: task.queue,
    id: task.id,
    state: stateToProto(task.state),
    payload: task.payload ?? Buffer.alloc(0),
    metadata: task.metadata,
    priority: task.priority,
    attempt: task.attempt,
    max_attempts: task.maxAttempts,
    create_time: msToTimestamp(task.createTime),
    update_time: msToTimestamp(task.updateTime),
    schedule_time: msToTimestamp(task.scheduleTime),
    start_time: task.startTime === undefined ? null : msToTimestamp(task.startTime),
    end_time: task.endTime === undefined ? null : msToTimestamp(task.endTime),
    expire_time: task.expireTime === undefined ? null : msToTimestamp(task.expireTime),
    lease: task.lease
      ? { worker_id: task.lease.workerId, expire_time: msToTimestamp(task.lease.expireTime) }
      : null,
    progress: task.progress ?? null,
    result: task.result ?? Buffer.alloc(0),
    error: last ? errorToProto(last) : null,
    errors: task.errors.map(errorToProto),
    cancel_requested: task.cancelRequested,
    lease_duration: msToDuration(task.leaseDurationMs),
    retry_policy: {
      initial_backoff: msToDuration(task.retryPolicy.initialBackoffMs),
      max_backoff: msToDuration(task.retryPolicy.maxBackoffMs),
      backoff_multiplier: task.retryPolicy.multiplier,
      jitter: task.retryPolicy.jitter,
    },
  };
}

export function completeInputsFromProto(requests: readonly CompleteTaskRequest__Output[]): CompleteInput[] {
  return requests.map((item) => ({
    queue: item.queue,
    taskId: item.task_id,
    leaseToken: item.lease_token,
    result: item.result,
  }));
}

/** One result per completion, in order: the task's state (and the task when asked for), or why it was refused. */
export function submitResultsToProto(
  outcomes: readonly SubmitOutcome[],
  returnTasks: boolean,
  method: string,
  log: Logger,
): SubmitTasksResult[] {
  return outcomes.map((outcome) =>
    'error' in outcome
      ? { error: itemError(outcome.error, method, log) }
      : {
          task_id: outcome.task.id,
          created: outcome.created,
          state: stateToProto(outcome.task.state),
          task: returnTasks ? taskToProto(outcome.task) : null,
        },
  );
}

export function completeResultsToProto(
  requests: readonly CompleteTaskRequest__Output[],
  outcomes: readonly ItemOutcome[],
  returnTasks: boolean,
  method: string,
  log: Logger,
): CompleteTasksResult[] {
  return outcomes.map((outcome, i) =>
    'error' in outcome
      ? { task_id: requests[i]?.task_id ?? '', error: itemError(outcome.error, method, log) }
      : {
          task_id: outcome.task.id,
          state: stateToProto(outcome.task.state),
          task: returnTasks ? taskToProto(outcome.task) : null,
        },
  );
}

/** Maps proto messages to domain inputs and domain results to proto messages. Nothing else. */
import type { CompleteInput, RetryPolicyInput, SubmitInput } from '../../domain/inputs.js';
import type { ItemOutcome } from '../../domain/store.js';
import type { SubmitOutcome } from '../../domain/lifecycle.js';
import type { ClaimedTask, Task, TaskErrorRecord, TaskState } from '../../domain/task.js';
import { TASK_STATES } from '../../domain/task.js';
import { invalidArgument } from '../../domain/errors.js';
import type { ClaimedTask as ClaimedTaskProto, CompleteTaskRequest, CompleteTasksResult, Duration, RetryPolicy, SubmitTaskRequest, SubmitTasksResult, Task as ProtoTask, TaskError as ProtoTaskError, TaskState as ProtoTaskState, Timestamp } from './contract.js';
import type { Logger } from '../../log.js';
import { itemError } from './status.js';

/** Unset stays undefined; the domain checks ranges, so converting never fails and a batch item fails alone. */
export function durationToMs(duration: Duration | undefined): number | undefined {
  return duration === undefined ? undefined : duration.seconds * 1000 + Math.floor(duration.nanos / 1e6);
}

export function timestampToMs(timestamp: Timestamp | undefined): number | undefined {
  return timestamp === undefined ? undefined : timestamp.seconds * 1000 + Math.floor(timestamp.nanos / 1e6);
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

function retryPolicyFromProto(policy: RetryPolicy | undefined): RetryPolicyInput | undefined {
  if (policy === undefined) return undefined;
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
  SubmitTaskRequest,
  | 'queue'
  | 'task_id'
  | 'payload'
  | 'metadata'
  | 'priority'
  | 'max_attempts'
  | 'expire_time'
  | 'retry_policy'
  | 'type'
  | 'trace_context'
> &
  Partial<
    Pick<
      SubmitTaskRequest,
      | 'delay'
      | 'schedule_time'
      | 'lease_duration'
      | 'concurrency_key'
      | 'unique_key'
      | 'unique_for'
      | 'unique_until_finished'
      | 'debounce'
      | 'partition_key'
    >
  >;

export function submitInputFromProto(request: SubmitFields): SubmitInput {
  const delayMs = durationToMs(request.delay);
  const scheduleTime = timestampToMs(request.schedule_time);
  const leaseDurationMs = durationToMs(request.lease_duration);
  const expireTime = timestampToMs(request.expire_time);
  const retryPolicy = retryPolicyFromProto(request.retry_policy);
  return {
    queue: request.queue,
    taskId: request.task_id,
    payload: request.payload,
    metadata: request.metadata,
    priority: request.priority,
    maxAttempts: request.max_attempts,
    type: request.type,
    ...(request.trace_context === undefined ? {} : { traceContext: request.trace_context }),
    ...(request.concurrency_key === undefined || request.concurrency_key === '' ? {} : { concurrencyKey: request.concurrency_key }),
    ...(request.partition_key === undefined || request.partition_key === '' ? {} : { partitionKey: request.partition_key }),
    ...(delayMs === undefined ? {} : { delayMs }),
    ...(scheduleTime === undefined ? {} : { scheduleTime }),
    ...(leaseDurationMs === undefined ? {} : { leaseDurationMs }),
    ...(expireTime === undefined ? {} : { expireTime }),
    ...(retryPolicy === undefined ? {} : { retryPolicy }),
    ...uniquenessFromProto(request),
  };
}

/** The unique key and its mode as asked, unchecked (domain/uniqueness.ts checks them). */
function uniquenessFromProto(request: SubmitFields): Partial<SubmitInput> {
  const uniqueForMs = durationToMs(request.unique_for);
  const debounceMs = durationToMs(request.debounce);
  return {
    ...(request.unique_key ? { uniqueKey: request.unique_key } : {}),
    ...(uniqueForMs === undefined ? {} : { uniqueForMs }),
    ...(request.unique_until_finished === true ? { uniqueUntilFinished: true } : {}),
    ...(debounceMs === undefined ? {} : { debounceMs }),
  };
}

export function errorToProto(error: TaskErrorRecord): ProtoTaskError {
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
    start_time: task.startTime === undefined ? undefined : msToTimestamp(task.startTime),
    end_time: task.endTime === undefined ? undefined : msToTimestamp(task.endTime),
    expire_time: task.expireTime === undefined ? undefined : msToTimestamp(task.expireTime),
    lease: task.lease
      ? { worker_id: task.lease.workerId, expire_time: msToTimestamp(task.lease.expireTime) }
      : undefined,
    progress: task.progress,
    result: task.result ?? Buffer.alloc(0),
    error: last ? errorToProto(last) : undefined,
    errors: task.errors.map(errorToProto),
    cancel_requested: task.cancelRequested,
    lease_duration: msToDuration(task.leaseDurationMs),
    retry_policy: {
      initial_backoff: msToDuration(task.retryPolicy.initialBackoffMs),
      max_backoff: msToDuration(task.retryPolicy.maxBackoffMs),
      backoff_multiplier: task.retryPolicy.multiplier,
      jitter: task.retryPolicy.jitter,
    },
    type: task.type,
    trace_context: task.traceContext,
    unique_key: task.uniqueKey ?? '',
    parent_id: task.parent?.id ?? '',
    parent_queue: task.parent?.queue ?? '',
    root_id: task.root?.id ?? (task.parent ? '' : task.id),
    root_queue: task.root?.queue ?? (task.parent ? '' : task.queue),
    failure_policy: task.parent ? `CHILD_FAILURE_POLICY_${task.parent.failurePolicy}` : 'CHILD_FAILURE_POLICY_UNSPECIFIED',
    child_count: task.childCount ?? 0,
    concurrency_key: task.concurrencyKey ?? '',
  };
}

/**
 * ClaimTasks and WorkTasks answers: each task with the lease token that fences it. The server writes these bytes
 * by hand (claimedTasksWire.ts); this is the mapping their test holds them to.
 */
export function claimedToProto(claimed: readonly ClaimedTask[]): ClaimedTaskProto[] {
  return claimed.map(({ task, leaseToken }) => ({ task: taskToProto(task), lease_token: leaseToken }));
}

export function completeInputsFromProto(requests: readonly CompleteTaskRequest[]): CompleteInput[] {
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
      ? {
          task_id: '',
          created: false,
          state: 'TASK_STATE_UNSPECIFIED',
          error: itemError(outcome.error, method, log),
          debounced: false,
        }
      : {
          task_id: outcome.task.id,
          created: outcome.created,
          debounced: outcome.debounced === true,
          state: stateToProto(outcome.task.state),
          task: returnTasks ? taskToProto(outcome.task) : undefined,
        },
  );
}

export function completeResultsToProto(
  requests: readonly CompleteTaskRequest[],
  outcomes: readonly ItemOutcome[],
  returnTasks: boolean,
  method: string,
  log: Logger,
): CompleteTasksResult[] {
  return outcomes.map((outcome, i) =>
    'error' in outcome
      ? {
          task_id: requests[i]?.task_id ?? '',
          state: 'TASK_STATE_UNSPECIFIED',
          error: itemError(outcome.error, method, log),
        }
      : {
          task_id: outcome.task.id,
          state: stateToProto(outcome.task.state),
          task: returnTasks ? taskToProto(outcome.task) : undefined,
        },
  );
}

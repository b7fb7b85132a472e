import { invalidArgument } from './errors.js';
import { newTaskId } from './ids.js';
import type { SubmitInput } from './inputs.js';
import * as limits from './limits.js';
import type { NewTask } from './task.js';
import { toUniqueness } from './uniqueness.js';
import * as check from './validation.js';

/** Validates a submission and fills in every default. */
export function toNewTask(
  input: SubmitInput,
  maxPayloadBytes: number,
  missingId: 'generate' | 'task_id required' = 'generate',
): NewTask {
  const queue = check.checkQueue(input.queue);
  if (input.taskId === '' && missingId !== 'generate') throw invalidArgument('task_id', 'is required');
  const id = input.taskId === '' ? newTaskId() : check.checkTaskId(input.taskId);
  if (input.delayMs !== undefined && input.scheduleTime !== undefined) {
    throw invalidArgument('delay', 'set at most one of delay and schedule_time');
  }
  const policy = input.retryPolicy;
  const initialBackoffMs =
    policy?.initialBackoffMs === undefined
      ? limits.DEFAULT_INITIAL_BACKOFF_MS
      : check.checkDuration(policy.initialBackoffMs, 'retry_policy.initial_backoff', 0, limits.MAX_BACKOFF_LIMIT_MS);
  const maxBackoffMs =
    policy?.maxBackoffMs === undefined
      ? Math.max(limits.DEFAULT_MAX_BACKOFF_MS, initialBackoffMs)
      : check.checkDuration(policy.maxBackoffMs, 'retry_policy.max_backoff', initialBackoffMs, limits.MAX_BACKOFF_LIMIT_MS);
  const multiplier = policy?.multiplier ?? 0;
  if (!Number.isFinite(multiplier) || (multiplier !== 0 && (multiplier < 1 || multiplier > limits.BACKOFF_MULTIPLIER_MAX))) {
    throw invalidArgument('retry_policy.backoff_multiplier', `must be from 1 to ${limits.BACKOFF_MULTIPLIER_MAX}`);
  }
  const jitter = policy?.jitter ?? 0;
  if (!Number.isFinite(jitter) || jitter < 0 || jitter > 1) {
    throw invalidArgument('retry_policy.jitter', 'must be from 0 to 1');
  }
  if (input.expireTime !== undefined) {
    check.checkTimestamp(input.expireTime, 'expire_time');
    if (input.expireTime <= Date.now()) throw invalidArgument('expire_time', 'must be in the future');
  }
  if (input.scheduleTime !== undefined) check.checkTimestamp(input.scheduleTime, 'schedule_time');
  const task: NewTask = {
    queue,
    id,
    payload: check.checkBytes(input.payload, 'payload', maxPayloadBytes),
    metadata: check.checkMetadata(input.metadata),
    type: check.checkTaskType(input.type),
    priority: check.checkIntRange(input.priority, 'priority', limits.PRIORITY_MIN, limits.PRIORITY_MAX),
    delayMs:
      input.delayMs === undefined ? 0 : check.checkDuration(input.delayMs, 'delay', 0, limits.DELAY_MAX_MS),
    // 0: the queue's default, resolved by the script that stores the task.
    maxAttempts:
      input.maxAttempts === 0
        ? 0
        : check.checkIntRange(input.maxAttempts, 'max_attempts', limits.MAX_ATTEMPTS_MIN, limits.MAX_ATTEMPTS_MAX),
    leaseDurationMs:
      input.leaseDurationMs === undefined
        ? 0
        : check.checkDuration(input.leaseDurationMs, 'lease_duration', limits.LEASE_MIN_MS, limits.LEASE_MAX_MS),
    retryPolicy: {
      initialBackoffMs,
      maxBackoffMs,
      multiplier: multiplier === 0 ? limits.DEFAULT_BACKOFF_MULTIPLIER : multiplier,
      jitter,
    },
  };
  if (input.scheduleTime !== undefined) task.scheduleTime = input.scheduleTime;
  if (input.expireTime !== undefined) task.expireTime = input.expireTime;
  const traceContext = check.checkTraceContext(input.traceContext);
  if (traceContext !== undefined) task.traceContext = traceContext;
  const unique = toUniqueness(input);
  if (unique !== undefined) {
    task.unique = unique;
    if (unique.mode === 'debounce') task.delayMs = unique.ms;
  }
  if (input.concurrencyKey !== undefined && input.concurrencyKey !== '') {
    task.concurrencyKey = check.checkConcurrencyKey(input.concurrencyKey);
  }
  if (input.partitionKey !== undefined && input.partitionKey !== '') {
    task.partitionKey = check.checkMaxLength(input.partitionKey, 'partition_key', limits.PARTITION_KEY_MAX_LENGTH);
  }
  if (input.taskId === '') task.generatedId = true;
  return task;
}

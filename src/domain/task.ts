/** The task lifecycle's vocabulary, independent of gRPC and Redis. Times are epoch milliseconds. */

export const TASK_STATES = [
  'SCHEDULED',
  'PENDING',
  'ACTIVE',
  'SUCCEEDED',
  'FAILED',
  'EXHAUSTED',
  'CANCELLED',
  'EXPIRED',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set([
  'SUCCEEDED',
  'FAILED',
  'EXHAUSTED',
  'CANCELLED',
  'EXPIRED',
]);

export interface RetryPolicy {
  initialBackoffMs: number;
  maxBackoffMs: number;
  multiplier: number;
  /** Fraction 0..1 by which each backoff is spread up or down at random. */
  jitter: number;
}

export interface TaskErrorRecord {
  type: string;
  message: string;
  details: string;
  attempt: number;
  time: number;
}

export interface Progress {
  current: number;
  total: number;
  message: string;
}

export interface Lease {
  workerId: string;
  expireTime: number;
}

export interface Task {
  queue: string;
  id: string;
  state: TaskState;
  /** Undefined when the read left it out (lists, batch results). */
  payload?: Buffer;
  metadata: Record<string, string>;
  priority: number;
  attempt: number;
  maxAttempts: number;
  createTime: number;
  updateTime: number;
  scheduleTime: number;
  startTime?: number;
  endTime?: number;
  expireTime?: number;
  lease?: Lease;
  progress?: Progress;
  result?: Buffer;
  errors: TaskErrorRecord[];
  cancelRequested: boolean;
  leaseDurationMs: number;
  retryPolicy: RetryPolicy;
}

/** A validated submission: every default is filled in. */
export interface NewTask {
  queue: string;
  id: string;
  payload: Buffer;
  metadata: Record<string, string>;
  priority: number;
  /** Claimable from this time (epoch ms, from the client) ... */
  scheduleTime?: number;
  /** ... or after this delay from the moment Redis stores the task. */
  delayMs: number;
  /** 0: the queue's default (5 unless the queue sets one). */
  maxAttempts: number;
  /** 0: the queue's default (30 s unless the queue sets one). */
  leaseDurationMs: number;
  expireTime?: number;
  retryPolicy: RetryPolicy;
}

export interface SubmitResult {
  task: Task;
  created: boolean;
}

export interface ClaimedTask {
  task: Task;
  leaseToken: string;
}

export interface ListTasksPage {
  tasks: Task[];
  /** Sequence below which the next page starts; undefined at the end. */
  nextCursor?: string;
}

export interface HeartbeatResult {
  leaseExpireTime: number;
  cancelRequested: boolean;
}

export interface StartResult {
  task: Task;
  leaseToken: string;
  created: boolean;
}

export interface FailureReport {
  type: string;
  message: string;
  details: string;
  permanent: boolean;
  /** Overrides the task's backoff for this retry. */
  retryDelayMs?: number;
}

/** What a change was, as reported on a queue's update stream. */
export const TASK_EVENT_TYPES = [
  'submitted',
  'claimed',
  'progress',
  'succeeded',
  'failed',
  'retry_scheduled',
  'lease_expired',
  'exhausted',
  'cancel_requested',
  'cancelled',
  'expired',
  'retried',
  'released',
  'paused',
  'resumed',
  'purged',
  'queue_updated',
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** One change, in the order changes happened in its queue. */
export interface TaskEvent {
  /** Position in the queue's stream: resuming after it loses and repeats nothing. */
  position: string;
  type: TaskEventType;
  /** When the change was committed (Redis clock, ms). */
  time: number;
  queue: string;
  /** The task's snapshot after the change (no payload, result or error history); absent for queue events. */
  task?: Task;
  /** Who caused it, where relevant. */
  workerId?: string;
  /** For `purged`: how many tasks. */
  count?: number;
}

/** When a stored task next needs maintenance: its lease's end, its delay's, its deadline (Infinity: never). */
export function dueTime(task: Task): number {
  if (TERMINAL_STATES.has(task.state)) return Infinity;
  let due = task.expireTime ?? Infinity;
  if (task.lease) due = Math.min(due, task.lease.expireTime);
  if (task.state === 'SCHEDULED') due = Math.min(due, task.scheduleTime);
  return due;
}

/** The same for a task about to be stored: its delay's end or its deadline. */
export function newTaskDueTime(task: NewTask, now: number): number {
  let due = task.expireTime ?? Infinity;
  if (task.delayMs > 0) due = Math.min(due, now + task.delayMs);
  else if (task.scheduleTime !== undefined && task.scheduleTime > now) due = Math.min(due, task.scheduleTime);
  return due;
}

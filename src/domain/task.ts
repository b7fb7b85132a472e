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
  'WAITING_CHILDREN',
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
  /** What kind of work it is, for routing to a handler; empty when untyped. */
  type: string;
  /** The unique key it was submitted with (see Uniqueness), if any. */
  uniqueKey?: string;
  /** The producer's trace context, captured at submit; absent when it sent none. */
  traceContext?: TraceContext;
  /** At most the queue's concurrency key limit of tasks with this key are ACTIVE at once; absent when none. */
  concurrencyKey?: string;
  /** The task's parent, when it is a child in a flow. */
  parent?: ChildLink;
  /** The flow's root task, when it is a child in a flow (a task without a parent is its own root). */
  root?: TaskRef;
  /** How many children it was submitted with; absent: none. */
  childCount?: number;
}

/** A task of any queue. */
export interface TaskRef {
  queue: string;
  id: string;
}

/** What a child's failure does to its parent: fail it (the default), count the child as done, or drop it. */
export const CHILD_FAILURE_POLICIES = ['FAIL_PARENT', 'IGNORE', 'REMOVE'] as const;
export type ChildFailurePolicy = (typeof CHILD_FAILURE_POLICIES)[number];

/** A child's parent, and what the child's failure does to it. */
export interface ChildLink extends TaskRef {
  failurePolicy: ChildFailurePolicy;
}

/** A W3C trace context: the traceparent and tracestate headers' values (tracestate may be empty). */
export interface TraceContext {
  traceparent: string;
  tracestate: string;
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
  /** Empty: untyped. */
  type: string;
  traceContext?: TraceContext;
  /** Absent: none. */
  concurrencyKey?: string;
  /** Makes the submit unique by a key (see domain/uniqueness.ts); absent for an ordinary submit. */
  unique?: Uniqueness;
  /** Places the task in a partitioned queue by this key's hash (domain/partitions.ts); absent: none. */
  partitionKey?: string;
  /** Baton made up the id (the caller gave none): a partitioned queue may add its partition to it. */
  generatedId?: boolean;
}

/**
 * How long a unique key, once a submit took it, holds: a window from that submit, until its task finishes (or is
 * deleted), or, for a debounce, while its task has not started (a submit finding it held then pushes that task back).
 */
export type UniqueMode = 'window' | 'until_finished' | 'debounce';

export interface Uniqueness {
  key: string;
  mode: UniqueMode;
  /** The window (mode 'window') or the debounce delay (mode 'debounce'); 0 for 'until_finished'. */
  ms: number;
}

export interface SubmitResult {
  task: Task;
  created: boolean;
  /** The submit found its unique key held by `task` and created nothing (created is false). */
  deduplicated?: boolean;
  /** The submit debounced `task`, the holder of its unique key: it now has this submit's payload and schedule. */
  debounced?: boolean;
}

export interface ClaimedTask {
  task: Task;
  leaseToken: string;
}

export interface ListTasksPage {
  tasks: Task[];
  /** Sequence below which the next page starts; undefined at the end. */
  nextCursor?: string;
  /** Tasks read to fill the page (more than it holds when a filter skipped some). */
  examined: number;
}

/** One metadata entry a task must have (a filter of ListTasks). */
export interface MetadataEntry {
  key: string;
  value: string;
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
  'debounced',
  'children_finished',
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

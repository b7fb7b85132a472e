import type { BatonError } from './errors.js';
import type {
  ClaimedTask,
  FailureReport,
  HeartbeatResult,
  ListTasksPage,
  NewTask,
  Progress,
  StartResult,
  SubmitResult,
  Task,
  TaskEvent,
  TaskState,
} from './task.js';

/** What the lifecycle needs from storage. Every method is one atomic operation. */
export interface TaskStore {
  /** Stores new tasks of one queue; existing ids are returned unchanged. Results in input order. */
  /**
   * Stores tasks (one result per task, in order). With `handoff`, pending tasks then go straight to that waiting
   * worker, up to its maxTasks, in the same atomic step.
   */
  submit(queue: string, tasks: NewTask[], returnTasks: boolean, handoff?: ClaimQuery): Promise<SubmitOutcome>;
  get(queue: string, id: string): Promise<Task | undefined>;
  list(queue: string, query: ListQuery): Promise<ListTasksPage>;
  claim(queue: string, request: ClaimQuery): Promise<ClaimOutcome>;
  start(task: NewTask, request: StartQuery): Promise<StartOutcome>;
  heartbeat(queue: string, id: string, leaseToken: string, update: HeartbeatUpdate): Promise<HeartbeatResult>;
  /** Completes tasks of one queue; each item succeeds or fails alone. Results in input order. */
  complete(queue: string, items: readonly Completion[], view: TaskView): Promise<ItemOutcome[]>;
  fail(queue: string, id: string, leaseToken: string, failure: FailureReport): Promise<Task>;
  /** Gives a held task back without using up its attempt. */
  release(queue: string, id: string, leaseToken: string): Promise<Task>;
  cancel(queue: string, id: string): Promise<Task>;
  retry(queue: string, id: string): Promise<Task>;
  /** Requeues expired leases, expires deadlines, promotes due tasks, drops old finished tasks and old workers. */
  reap(queue: string, settings: ReapSettings): Promise<ReapOutcome>;

  // Operator views and controls (QueueService).
  queueExists(queue: string): Promise<boolean>;
  getQueue(queue: string, liveWindowMs: number): Promise<QueueInfo>;
  /** Tasks under a live lease, optionally of one worker. */
  activeTasks(queue: string, workerId: string, limit: number): Promise<Task[]>;
  /** The most recently finished tasks, newest first. */
  completedTasks(queue: string, limit: number): Promise<Task[]>;
  workerStats(queue: string): Promise<QueueWorkerStats[]>;
  /** Deletes up to `limit` scheduled and pending (and finished) tasks; `more` when the caller should repeat. */
  purge(queue: string, includeFinished: boolean, limit: number): Promise<{ deleted: number; more: boolean }>;
  /** Retries finished tasks in `states`, scanning `limit` from `offset`; the caller repeats while `more`. */
  retryMany(
    queue: string,
    states: readonly TaskState[],
    limit: number,
    offset: number,
  ): Promise<{ retried: number; offset: number; more: boolean }>;
  updateQueue(queue: string, changes: QueueChanges): Promise<void>;
  /** Records a worker as seen now; returns that time. */
  registerWorker(workerId: string, description: WorkerDescription | undefined, queues: readonly string[]): Promise<number>;
  listWorkers(): Promise<WorkerRecord[]>;
  /** Forgets workers not seen for `retentionMs`. */
  reapWorkers(retentionMs: number): Promise<number>;
  /** Queues ever used, cluster-wide. */
  knownQueues(): Promise<string[]>;
  rememberQueue(queue: string): Promise<void>;
  /** Exact task counts per state and the oldest pending task's wait, cluster-wide; read-only (for metrics). */
  /** Events after `position` ('0-0': from the oldest retained), at most `count`, oldest first. */
  readEvents(queue: string, position: string, count: number): Promise<TaskEvent[]>;
  /** Where the queue's event stream stands; undefined when it has none yet. */
  eventBounds(queue: string): Promise<EventBounds | undefined>;
  /** A connection of its own that waits for events, so blocking reads never delay ordinary commands. */
  openEventReader(queue: string): EventReader;
  /** Calls `onWake(queue)` whenever tasks may have become claimable in that queue, on any replica. */
  subscribeToWakeups(onWake: (queue: string) => void): Promise<() => Promise<void>>;
}

/** How much of a task a write returns: all of it, all but payload and result, or only its state and times. */
export type TaskView = 'full' | 'meta' | 'brief';

export interface Completion {
  id: string;
  leaseToken: string;
  result: Buffer;
}

/** One item of a batch: the task as it is now, or why this item was refused. */
export type ItemOutcome = { task: Task } | { error: BatonError };

export interface EventReader {
  /** Waits up to `blockMs` for events after `position`; resolves empty when none came. */
  next(position: string, blockMs: number): Promise<TaskEvent[]>;
  close(): void;
}

export interface ListQuery {
  state?: TaskState;
  pageSize: number;
  cursor?: string;
  includePayload: boolean;
}

export interface ClaimQuery {
  workerId: string;
  maxTasks: number;
  /** 0: each task's own default. */
  leaseDurationMs: number;
}

export interface SubmitOutcome {
  results: SubmitResult[];
  /** Tasks leased to the handoff's worker. */
  handedOff: ClaimedTask[];
  /** Deadlines the handoff found passed. */
  expiries: Expiries;
  /** Tasks of the queue still pending afterwards. */
  pendingLeft: number;
}

export interface ClaimOutcome {
  claimed: ClaimedTask[];
  /** Leases and deadlines the claim found run out and handled first. */
  expiries: Expiries;
  /** Epoch ms at which the earliest scheduled task becomes due, if any. */
  nextDueTime?: number;
}

/** What start did: leased the task, or refused; either way, the leases it found run out and expired first. */
export type StartOutcome = { expiries: Expiries } & ({ started: StartResult } | { refused: BatonError });

export interface StartQuery {
  workerId: string;
  leaseDurationMs: number;
  leaseToken: string;
  force: boolean;
}

export interface HeartbeatUpdate {
  leaseDurationMs: number;
  progress?: Progress;
}

export interface ReapSettings {
  limit: number;
  /** Used when the queue sets no retention of its own. */
  retentionMs: number;
  workerRetentionMs: number;
}

export interface EventBounds {
  /** The position of the last event ever appended, retained or not. */
  last: string;
  /** The oldest retained event's position; unset when every event was trimmed. */
  first?: string;
}

export interface QueueSettings {
  maxAttempts: number;
  leaseDurationMs: number;
  /** 0: the server's default. */
  retentionMs: number;
  completedRingSize: number;
  /** About how many events the queue's stream keeps. */
  eventRetention: number;
  /** About how long the queue's stream keeps an event; 0: no age limit. */
  eventMaxAgeMs: number;
}

export type QueueChanges = Partial<QueueSettings> & { paused?: boolean };

export interface QueueInfo {
  name: string;
  counts: Record<TaskState, number>;
  /** Undefined when nothing is pending. */
  oldestPendingAgeMs?: number;
  paused: boolean;
  settings: QueueSettings;
  lastClaimTime?: number;
  /** Workers seen in this queue within the live window. */
  liveWorkers: number;
}

export interface QueueWorkerStats {
  workerId: string;
  lastSeen: number;
  completed: number;
  failed: number;
  active: number;
}

export interface WorkerDescription {
  hostname?: string;
  pid?: number;
  sdkName?: string;
  sdkVersion?: string;
  labels?: Record<string, string>;
}

export interface WorkerRecord extends WorkerDescription {
  workerId: string;
  queues: string[];
  firstSeen: number;
  lastSeen: number;
}

/** Expiries a call performed on the side: leases found run out (and what became of those tasks), deadlines passed. */
export interface Expiries {
  leasesExpired: number;
  /** Of the expired leases: tasks with no attempt left, now EXHAUSTED. */
  leasesExhausted: number;
  /** Of the expired leases: tasks whose cancel was requested, now CANCELLED. */
  leasesCancelled: number;
  tasksExpired: number;
}

export interface ReapOutcome extends Expiries {
  tasksPromoted: number;
  tasksDeleted: number;
  /** Milliseconds until something in the queue is next due; undefined when nothing is. */
  nextDueInMs?: number;
}

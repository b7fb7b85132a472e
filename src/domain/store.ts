import type { BatonError } from './errors.js';
import type {
  ChildLink,
  ClaimedTask,
  FailureReport,
  HeartbeatResult,
  ListTasksPage,
  MetadataEntry,
  NewTask,
  Progress,
  StartResult,
  SubmitResult,
  Task,
  TaskErrorRecord,
  TaskEvent,
  TaskRef,
  TaskState,
} from './task.js';

import type { QueueChanges, QueueInfo, QueueWorkerStats } from './queueViews.js';

export type * from './queueViews.js';

/**
 * What the lifecycle needs from storage: the task operations. Every method is one atomic operation (one script), and
 * every change reports when what it made falls due (`due`, epoch ms), as the script computed it.
 */
export interface TaskStore {
  /** Stores new tasks of one queue; existing ids are returned unchanged. Results in input order. */
  submit(queue: string, tasks: NewTask[], returnTasks: boolean): Promise<SubmitOutcome>;
  /**
   * A submit and a handoff in one atomic step: the tasks are stored as by submit, then pending tasks go straight to
   * the claim waiting on this replica, up to its maxTasks (one script run: see domain/handoff.ts).
   */
  submitAndHandOff(queue: string, tasks: NewTask[], returnTasks: boolean, to: ClaimQuery): Promise<HandoffOutcome>;
  get(queue: string, id: string): Promise<Task | undefined>;
  list(queue: string, query: ListQuery): Promise<ListTasksPage>;
  claim(queue: string, request: ClaimQuery): Promise<ClaimOutcome>;
  start(task: NewTask, request: StartQuery): Promise<StartOutcome>;
  heartbeat(queue: string, id: string, leaseToken: string, update: HeartbeatUpdate): Promise<HeartbeatOutcome>;
  /** Completes tasks of one queue; each item succeeds or fails alone. Results in input order. */
  complete(queue: string, items: readonly Completion[], view: TaskView): Promise<ItemOutcome[]>;
  /**
   * Completes as complete() does, then claims for `to` in the same script run, as claim() would: a worker whose
   * completions free its slots gets its next tasks without a claim of its own.
   */
  completeAndClaim(queue: string, items: readonly Completion[], view: TaskView, to: ClaimQuery): Promise<CompleteClaimOutcome>;
  fail(queue: string, id: string, leaseToken: string, failure: FailureReport): Promise<FailOutcome>;
  /** Gives a held task back without using up its attempt. */
  release(queue: string, id: string, leaseToken: string): Promise<Task>;
  cancel(queue: string, id: string): Promise<Task>;
  retry(queue: string, id: string): Promise<Task>;
}

/**
 * What flows (flows.ts) need from storage. A flow spans queues, so slots: each method is one script on one queue's
 * slot, and each is idempotent, so a step repeated after a crash changes nothing twice.
 */
export interface FlowStore {
  /** Stores tasks of one queue that belong to a flow; parents wait for their children. Results in input order. */
  submitFlow(queue: string, items: readonly FlowTask[]): Promise<SubmitResult[]>;
  /** Tells a parent of finished children: records each outcome once per end time, re-derives the parent's state. */
  childrenFinished(parent: TaskRef, children: readonly FinishedChild[]): Promise<ParentTold>;
  /** Children of `queue` on its outbox: those of `ids`, or with none given, those untold for `graceMs`. */
  notices(queue: string, ids: readonly string[], graceMs: number, limit: number): Promise<Notice[]>;
  /** Takes children off the outbox once their parents were told of the finish that ended at `endTime`. */
  ackNotices(queue: string, told: readonly { id: string; endTime: number }[]): Promise<void>;
  /** A page of a parent's children, in submit order, with the outcomes recorded for finished ones. */
  children(queue: string, parentId: string, page: ChildrenPage): Promise<{ children: ChildRecord[]; next?: number }>;
  /** Parents of `queue` waiting past `graceMs` and not yet checked for children never stored, oldest first. */
  staleParents(queue: string, graceMs: number, limit: number): Promise<StaleParent[]>;
  /** Records that the parents of `queue` up to creation sequence `sequence` were checked. */
  parentsChecked(queue: string, sequence: number): Promise<void>;
}

/** What a parent is told of a finished child: a child task, or a child recorded failed without one (flowRepair.ts). */
export type FinishedChild = Pick<Task, 'queue' | 'id' | 'state' | 'endTime' | 'result' | 'errors' | 'parent'>;

/** A parent waiting for its children, by its creation sequence and time. */
export interface StaleParent {
  id: string;
  sequence: number;
  createTime: number;
}

/** Where a page of children starts, how many it holds at most, and the most result bytes (0: no results). */
export interface ChildrenPage {
  offset: number;
  limit: number;
  maxResultBytes: number;
}

/** A task of a flow, as stored: its parent and root (absent for the root), and its children. */
export interface FlowTask {
  task: NewTask;
  parent?: ChildLink;
  root?: TaskRef;
  children: readonly ChildLink[];
}

/** A child on the outbox; `task` is absent when it is gone. */
export interface Notice {
  id: string;
  task?: Task;
}

export interface ParentTold {
  /** This call made the parent claimable. */
  released: boolean;
  /** Absent when the parent is gone. */
  parentState?: TaskState;
}

/** A parent's child, and what the parent recorded when it finished. */
export interface ChildRecord extends ChildLink {
  outcome?: { state: TaskState; endTime: number; result?: Buffer; error?: TaskErrorRecord };
}

/** What operators, maintenance and event readers need from storage. */
/** Queues claimed for one replica's maintenance, and when the claims lapse (ms). */
export interface DueClaim {
  queues: string[];
  claimedUntil: number;
}

/** Positions of the slow sweep handed to one replica: `count` from `start`. */
export interface SweepStretch {
  start: number;
  count: number;
}

export interface QueueStore {
  /** Requeues expired leases, expires deadlines, promotes due tasks, drops old finished tasks and old workers. */
  reap(queue: string, settings: ReapSettings): Promise<ReapOutcome>;
  queueExists(queue: string): Promise<boolean>;
  getQueue(queue: string, liveWindowMs: number): Promise<QueueInfo>;
  /** Several queues, as getQueue each, in one round trip per Redis node. */
  getQueues(queues: readonly string[], liveWindowMs: number): Promise<QueueInfo[]>;
  /** Tasks under a live lease, optionally of one worker. */
  activeTasks(queue: string, workerId: string, limit: number): Promise<Task[]>;
  /** Of `queues`, those that may hold tasks under a live lease: one command per queue, a round trip per node. */
  withLiveLeases(queues: readonly string[]): Promise<string[]>;
  /** The most recently finished tasks, newest first. */
  completedTasks(queue: string, limit: number): Promise<Task[]>;
  /** Deletes up to `limit` scheduled and pending (and finished) tasks; `more` when the caller should repeat. */
  purge(queue: string, includeFinished: boolean, limit: number): Promise<{ deleted: number; more: boolean }>;
  /** Retries finished tasks in `states`, scanning `limit` from `offset`; the caller repeats while `more`. */
  retryMany(
    queue: string,
    states: readonly TaskState[],
    limit: number,
    offset: number,
  ): Promise<{ retried: number; offset: number; more: boolean }>;
  /** Changes settings; a queue unknown so far is registered (within the limit on queues). */
  updateQueue(queue: string, changes: QueueChanges): Promise<void>;
  /** Records, cluster-wide, that each queue has something due at the time given (or sooner, if it has). */
  noteDue(dues: ReadonlyMap<string, number>): Promise<void>;
  /**
   * Claims for this replica up to `limit` queues with something due by `now`, as noted by any replica, for
   * `claimMs`: no other replica is handed them until the claims are given back (reschedule) or lapse.
   */
  claimDue(now: number, limit: number, claimMs: number): Promise<DueClaim>;
  /** Whether claimDue would find anything by `now` (a due queue, or a claim that lapsed), by a cheap look. */
  anyDue(now: number): Promise<boolean>;
  /** Gives back a claim after the reap, with when the queue is next due (undefined: nothing is). */
  reschedule(queue: string, claimedUntil: number, nextDueAt: number | undefined): Promise<void>;
  /**
   * The next stretch of the slow sweep for this replica: positions in the sorted list of the `queueCount` known
   * queues (modulo its length). All replicas share one cursor, which advances `queueCount` per `intervalMs`, at
   * most `perSecondMax` a second and `most` at once.
   */
  claimSweep(queueCount: number, intervalMs: number, perSecondMax: number, most: number): Promise<SweepStretch>;
  /**
   * Deletes the queue's every key and then its name from the known queues; refused (FAILED_PRECONDITION) while
   * tasks are leased unless forced. Returns how many tasks it held.
   */
  deleteQueue(queue: string, force: boolean): Promise<number>;
  /** Queues that have had a task or a setting and were not deleted since, cluster-wide. */
  knownQueues(): Promise<string[]>;
  /** Events after `position` ('0-0': from the oldest retained), at most `count`, oldest first. */
  readEvents(queue: string, position: string, count: number): Promise<TaskEvent[]>;
  /** Where the queue's event stream stands; undefined when it has none yet. */
  eventBounds(queue: string): Promise<EventBounds | undefined>;
  /**
   * Tells `listener` of changes made on any replica, over one subscriber connection however many queues are
   * watched or waited on; resolves once subscribed to wake-ups and partition changes. New events are heard only
   * while followed (ChangeSubscription.followEvents).
   */
  subscribeToChanges(listener: ChangeListener): Promise<ChangeSubscription>;
}

/** A replica's subscription to changes made anywhere. */
export interface ChangeSubscription {
  /**
   * Starts or stops hearing of new events (ChangeListener.eventsAdded). Every script run that appends events
   * publishes a notice to each replica following them, so a replica follows only while it has watchers. Resolves
   * once Redis has the change: notices published after that reach the listener.
   */
  followEvents(following: boolean): Promise<void>;
  close(): Promise<void>;
}

/** What a replica hears of changes made anywhere. Notices are hints: one may be lost with a connection. */
export interface ChangeListener {
  /** Tasks may have become claimable in `queue`. */
  wake(queue: string): void;
  /** New events were appended to `queue`'s stream. */
  eventsAdded(queue: string): void;
  /** The queue's partition count changed. */
  partitionsChanged?(queue: string): void;
  /** The subscriber connection was lost and is back: notices sent meanwhile were missed. */
  resubscribed(): void;
}

/** The worker registry, and what each queue counts per worker. */
export interface WorkerStore {
  /** Records a worker as seen now; returns that time. */
  registerWorker(workerId: string, description: WorkerDescription | undefined, queues: readonly string[]): Promise<number>;
  getWorker(workerId: string): Promise<WorkerRecord | undefined>;
  /** Workers, most recently seen first, `limit` from `offset`; `more` when later ones exist. */
  listWorkers(offset: number, limit: number): Promise<{ workers: WorkerRecord[]; more: boolean }>;
  /** Forgets workers not seen for `retentionMs`. */
  reapWorkers(retentionMs: number): Promise<number>;
  /** What the given workers did in `queue` (all of its workers when none are given). */
  workerStats(queue: string, workerIds: readonly string[]): Promise<QueueWorkerStats[]>;
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

export interface ListQuery {
  state?: TaskState;
  pageSize: number;
  cursor?: string;
  includePayload: boolean;
  /** Only tasks of this type; empty: any. */
  type: string;
  /** Only tasks whose metadata holds this entry. */
  metadata?: MetadataEntry;
  /** Only children of this parent id; empty or absent: any. */
  parentId?: string;
  /** Only tasks of the flow with this root id; empty or absent: any. */
  rootId?: string;
}

export interface ClaimQuery {
  workerId: string;
  maxTasks: number;
  /** 0: each task's own default. */
  leaseDurationMs: number;
}

/** When the earliest thing a change made (a lease, a delay, a backoff, a deadline) falls due, epoch ms; absent: none. */
export interface Due {
  due?: number;
}

/** One submitted task: stored (or found stored already), or refused alone (a queue's quota). */
export type SubmittedItem = SubmitResult | { error: BatonError };

export interface SubmitOutcome extends Due {
  results: SubmittedItem[];
}

export interface HandoffOutcome extends SubmitOutcome {
  /** Tasks leased to the waiting claim. */
  handedOff: ClaimedTask[];
  /** Deadlines the handoff found passed. */
  expiries: Expiries;
  /** Tasks of the queue still pending afterwards. */
  pendingLeft: number;
}

export interface CompleteClaimOutcome extends Due {
  /** One per completion, in input order. */
  outcomes: ItemOutcome[];
  /** Tasks leased to the claiming worker. */
  claimed: ClaimedTask[];
  /** Leases and deadlines the claim found run out and handled first. */
  expiries: Expiries;
}

export interface ClaimOutcome extends Due {
  claimed: ClaimedTask[];
  /** Leases and deadlines the claim found run out and handled first. */
  expiries: Expiries;
  /** Epoch ms at which the earliest scheduled task becomes due, if any. */
  nextDueTime?: number;
}

/** What start did: leased the task, or refused; either way, the leases it found run out and expired first. */
export type StartOutcome = { expiries: Expiries } & ({ started: StartResult; due?: number } | { refused: BatonError });

export interface HeartbeatOutcome extends HeartbeatResult, Due {}

export interface FailOutcome extends Due {
  task: Task;
}

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
  /** How long a parent waits before maintenance checks that its children were stored (flowRepair.ts). */
  childGraceMs: number;
}

export interface EventBounds {
  /** The position of the last event ever appended, retained or not. */
  last: string;
  /** The oldest retained event's position; unset when every event was trimmed. */
  first?: string;
  /** The last position trimmed from the stream ('0-0': none ever was). */
  trimmed?: string;
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
  /** Finished children whose parents went untold for CHILD_NOTICE_GRACE_MS (see flows.ts); absent: none. */
  untoldChildren?: number;
  /** A parent waited past the grace without being checked for children never stored (flowRepair.ts). */
  uncheckedParents?: boolean;
}

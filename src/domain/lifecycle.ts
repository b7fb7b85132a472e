import { BatonError, LeaseExpiredError, invalidArgument, taskNotFound } from './errors.js';
import { newTaskId } from './ids.js';
import type { ClaimInput, CompleteInput, FailInput, HeartbeatInput, ListInput, StartInput, SubmitInput } from './inputs.js';
import * as limits from './limits.js';
import type { LifecycleObserver } from './observer.js';
import { decodePageToken, encodePageToken } from './pageToken.js';
import type { Completion, ItemOutcome, SubmitOutcome as StoredSubmit, TaskStore, TaskView } from './store.js';
import type {
  ClaimedTask,
  HeartbeatResult,
  ListTasksPage,
  NewTask,
  StartResult,
  SubmitResult,
  Task,
} from './task.js';
import { dueTime, newTaskDueTime } from './task.js';
import type { DueTimes } from './maintenance.js';
import * as check from './validation.js';
import { StandingClaim } from './claims.js';
import type { ClaimAttempt, ClaimPlan } from './claims.js';
import { WakeBoard } from './wakeBoard.js';
import type { WorkerRegistry } from './workers.js';

export interface LifecycleOptions {
  maxPayloadBytes: number;
  /** Told about every change this replica makes (metrics). */
  observer?: LifecycleObserver;
  /** Told which workers claim, for the operator views. */
  workers?: WorkerRegistry;
  /** Told when the leases, delays and deadlines this replica creates fall due, so they are handled on time. */
  dueTimes?: DueTimes;
}

export type SubmitOutcome = SubmitResult | { error: BatonError };

/** Claimable as soon as it is stored: neither delayed nor scheduled for later. */
function isClaimableNow(task: NewTask): boolean {
  return task.delayMs === 0 && (task.scheduleTime === undefined || task.scheduleTime <= Date.now());
}

function checkBatchSize(items: readonly unknown[], max: number): void {
  if (items.length === 0 || items.length > max) {
    throw invalidArgument('requests', `must hold 1 to ${max} items, got ${items.length}`);
  }
}

/**
 * Runs a batch as one storage call per queue, keeping the callers' order: each item is prepared (validated) alone,
 * and an item that fails preparation gets its error, prefixed with its index, in its place.
 */
async function inBatchesByQueue<Input, Prepared extends { queue: string }, Outcome>(
  inputs: readonly Input[],
  prepare: (input: Input) => Prepared,
  store: (queue: string, items: Prepared[]) => Promise<Outcome[]>,
): Promise<(Outcome | { error: BatonError })[]> {
  const outcomes = new Array<Outcome | { error: BatonError }>(inputs.length);
  const byQueue = new Map<string, { index: number; item: Prepared }[]>();
  inputs.forEach((input, index) => {
    try {
      const item = prepare(input);
      const group = byQueue.get(item.queue) ?? [];
      group.push({ index, item });
      byQueue.set(item.queue, group);
    } catch (error) {
      if (!(error instanceof BatonError)) throw error;
      outcomes[index] = { error: new BatonError(error.code, `requests[${index}].${error.message}`) };
    }
  });
  await Promise.all(
    [...byQueue].map(async ([queue, group]) => {
      const results = await store(
        queue,
        group.map((g) => g.item),
      );
      results.forEach((result, i) => {
        const entry = group[i];
        if (entry) outcomes[entry.index] = result;
      });
    }),
  );
  return outcomes;
}

/** The task lifecycle rules: validation, defaults and the order of operations. Storage does each step atomically. */
export class Lifecycle {
  readonly wakeBoard = new WakeBoard();
  private readonly closing = new AbortController();

  constructor(
    private readonly store: TaskStore,
    private readonly options: LifecycleOptions,
  ) {}

  /** Ends every waiting claim (they return what they have, usually nothing). */
  close(): void {
    this.closing.abort();
  }

  async submit(input: SubmitInput): Promise<SubmitResult> {
    const task = this.toNewTask(input);
    const [result] = await this.storeTasks(task.queue, [task], true);
    if (!result) throw new Error('submit returned no result');
    return result;
  }

  /** One outcome per input, in order; an invalid item fails alone. Items are stored in one script call per queue. */
  async submitMany(inputs: SubmitInput[], returnTasks: boolean): Promise<SubmitOutcome[]> {
    checkBatchSize(inputs, limits.SUBMIT_BATCH_MAX);
    return inBatchesByQueue(inputs, (input) => this.toNewTask(input), (queue, tasks) =>
      this.storeTasks(queue, tasks, returnTasks),
    );
  }

  /**
   * Stores tasks of one queue. Tasks claimable at once go straight to a claim waiting on this replica, if there is
   * one (a handoff: the same leases, a Redis round trip sooner); the rest wake the claims waiting here at once,
   * and the script's pub/sub message wakes those on other replicas (and these again, harmlessly).
   */
  private async storeTasks(queue: string, tasks: NewTask[], returnTasks: boolean): Promise<SubmitResult[]> {
    await this.store.rememberQueue(queue);
    const handoff = tasks.some(isClaimableNow) ? this.wakeBoard.takeWaiting(queue) : undefined;
    let stored: StoredSubmit | undefined;
    try {
      stored = await this.store.submit(queue, tasks, returnTasks, handoff?.claim);
    } finally {
      // On failure the waiting claim gets nothing and simply claims again.
      handoff?.deliver(stored && { tasks: stored.handedOff, drained: stored.pendingLeft === 0 });
    }
    const { results, handedOff, expiries } = stored;
    if (this.options.dueTimes) {
      const now = Date.now();
      this.noteDue(queue, [...tasks.map((task) => newTaskDueTime(task, now)), ...handedOff.map(({ task }) => dueTime(task))]);
    }
    this.options.observer?.expiriesHandled(queue, expiries);
    if (handedOff.length > 0) this.options.observer?.tasksLeased(queue, handedOff.map((claimed) => claimed.task), 'claim');
    const created = results.filter((result) => result.created).map((result) => result.task);
    if (created.length > 0) {
      if (created.some((task) => task.state === 'PENDING')) this.wakeBoard.ring(queue);
      this.options.observer?.tasksCreated(queue, created);
    }
    return results;
  }

  async get(queue: string, taskId: string): Promise<Task> {
    check.checkQueue(queue);
    check.checkTaskId(taskId);
    const task = await this.store.get(queue, taskId);
    if (!task) throw taskNotFound(queue, taskId);
    return task;
  }

  async list(input: ListInput): Promise<{ tasks: Task[]; nextPageToken: string }> {
    check.checkQueue(input.queue);
    const pageSize =
      input.pageSize === 0
        ? limits.PAGE_SIZE_DEFAULT
        : check.checkIntRange(input.pageSize, 'page_size', 1, limits.PAGE_SIZE_MAX);
    const cursor = input.pageToken === '' ? undefined : decodePageToken(input.pageToken, input.queue, input.state);
    const page: ListTasksPage = await this.store.list(input.queue, {
      ...(input.state === undefined ? {} : { state: input.state }),
      ...(cursor === undefined ? {} : { cursor }),
      pageSize,
      includePayload: input.includePayload,
    });
    return {
      tasks: page.tasks,
      nextPageToken:
        page.nextCursor === undefined ? '' : encodePageToken(input.queue, input.state, page.nextCursor),
    };
  }

  async cancel(queue: string, taskId: string): Promise<Task> {
    const task = await this.store.cancel(check.checkQueue(queue), check.checkTaskId(taskId));
    this.options.observer?.taskCancelled(task);
    return task;
  }

  async retry(queue: string, taskId: string): Promise<Task> {
    return this.store.retry(check.checkQueue(queue), check.checkTaskId(taskId));
  }

  /**
   * Claims from the queues in order until max_tasks are held. With a wait timeout and nothing claimable, waits
   * for a wake-up (a submit, a retry, a requeue on any replica), the next scheduled task, or the timeout.
   */
  async claim(input: ClaimInput, signal: AbortSignal): Promise<ClaimedTask[]> {
    return this.claimPlanned(this.planClaim(input), signal);
  }

  /** Checks a claim once, for a caller that repeats it (a worker session). */
  planClaim(input: ClaimInput): ClaimPlan {
    if (input.queues.length === 0 || input.queues.length > limits.CLAIM_MAX_QUEUES) {
      throw invalidArgument('queues', `must name 1 to ${limits.CLAIM_MAX_QUEUES} queues, got ${input.queues.length}`);
    }
    input.queues.forEach((queue, i) => check.checkQueue(queue, `queues[${i}]`));
    if (new Set(input.queues).size !== input.queues.length) throw invalidArgument('queues', 'must not repeat a queue');
    return {
      queues: input.queues,
      workerId: check.checkWorkerId(input.workerId),
      maxTasks: input.maxTasks === 0 ? 1 : check.checkIntRange(input.maxTasks, 'max_tasks', 1, limits.CLAIM_MAX_TASKS),
      leaseDurationMs:
        input.leaseDurationMs === undefined
          ? 0
          : check.checkDuration(input.leaseDurationMs, 'lease_duration', limits.LEASE_MIN_MS, limits.LEASE_MAX_MS),
      waitMs:
        input.waitTimeoutMs === undefined
          ? 0
          : check.checkDuration(input.waitTimeoutMs, 'wait_timeout', 0, limits.CLAIM_WAIT_MAX_MS),
    };
  }

  /** Claims once, waiting up to the plan's wait for work (ClaimTasks). */
  async claimPlanned(plan: ClaimPlan, signal: AbortSignal): Promise<ClaimedTask[]> {
    const claims = await this.openClaims(plan);
    try {
      return await claims.next(plan.maxTasks, signal, Date.now() + plan.waitMs);
    } finally {
      claims.close();
    }
  }

  /** A claim that stands for a worker session's whole life (see StandingClaim); close it when the session ends. */
  async openClaims(plan: ClaimPlan): Promise<StandingClaim> {
    // A queue that workers poll exists, even before its first task (operators see it, RunTask sees it served).
    await Promise.all(plan.queues.map((queue) => this.store.rememberQueue(queue)));
    const alarm = this.wakeBoard.arm(plan.queues);
    return new StandingClaim(plan, alarm, this.closing.signal, (claimPlan, maxTasks) => this.claimOnce(claimPlan, maxTasks));
  }

  private async claimOnce(plan: ClaimPlan, maxTasks: number): Promise<ClaimAttempt> {
    const { queues, workerId, leaseDurationMs } = plan;
    this.options.workers?.noteClaim(workerId, queues);
    const claimed: ClaimedTask[] = [];
    let nextDueTime = Infinity;
    for (const queue of queues) {
      const outcome = await this.store.claim(queue, { workerId, maxTasks: maxTasks - claimed.length, leaseDurationMs });
      claimed.push(...outcome.claimed);
      this.noteDue(queue, outcome.claimed.map(({ task }) => dueTime(task)));
      this.options.observer?.expiriesHandled(queue, outcome.expiries);
      if (outcome.claimed.length > 0) {
        this.options.observer?.tasksLeased(queue, outcome.claimed.map((c) => c.task), 'claim');
      }
      if (outcome.nextDueTime !== undefined) nextDueTime = Math.min(nextDueTime, outcome.nextDueTime);
      if (claimed.length >= maxTasks) break;
    }
    return { claimed, nextDueTime };
  }

  async start(input: StartInput): Promise<StartResult> {
    const task = this.toNewTask(input.task, 'task_id required');
    const workerId = check.checkWorkerId(input.workerId);
    if (input.leaseToken.length > limits.LEASE_TOKEN_MAX_LENGTH) {
      throw invalidArgument('lease_token', `is at most ${limits.LEASE_TOKEN_MAX_LENGTH} characters`);
    }
    await this.store.rememberQueue(task.queue);
    this.options.workers?.noteClaim(workerId, [task.queue]);
    const outcome = await this.store.start(task, {
      workerId,
      leaseDurationMs: this.optionalLease(input.leaseDurationMs),
      leaseToken: input.leaseToken,
      force: input.force,
    });
    // Counted before a refusal is thrown: a lease found run out was expired even when the start was refused.
    this.options.observer?.expiriesHandled(task.queue, outcome.expiries);
    if ('refused' in outcome) throw outcome.refused;
    const { started } = outcome;
    this.noteDue(task.queue, [dueTime(started.task)]);
    if (started.created) this.options.observer?.tasksCreated(task.queue, [started.task]);
    // The caller's own token back means its lease was extended, not a new lease granted.
    if (started.leaseToken !== input.leaseToken) this.options.observer?.tasksLeased(task.queue, [started.task], 'start');
    return started;
  }

  async heartbeat(input: HeartbeatInput): Promise<HeartbeatResult> {
    check.checkQueue(input.queue);
    check.checkTaskId(input.taskId);
    check.checkLeaseToken(input.leaseToken);
    const progress = input.progress;
    if (progress) {
      check.checkIntRange(progress.current, 'progress.current', 0, Number.MAX_SAFE_INTEGER);
      check.checkIntRange(progress.total, 'progress.total', 0, Number.MAX_SAFE_INTEGER);
      check.checkMaxLength(progress.message, 'progress.message', limits.PROGRESS_MESSAGE_MAX_LENGTH);
    }
    const update = { leaseDurationMs: this.optionalLease(input.leaseDurationMs), ...(progress ? { progress } : {}) };
    const result = await this.noticingExpiry(input.queue, () =>
      this.store.heartbeat(input.queue, input.taskId, input.leaseToken, update),
    );
    // A heartbeat may shorten the lease as well as extend it.
    this.noteDue(input.queue, [result.leaseExpireTime]);
    return result;
  }

  async complete(queue: string, taskId: string, leaseToken: string, result: Buffer): Promise<Task> {
    const completion = this.toCompletion({ queue, taskId, leaseToken, result });
    const [outcome] = await this.store.complete(queue, [completion], 'full');
    if (!outcome) throw new Error('complete returned no result');
    if ('error' in outcome) {
      this.reportExpiry(queue, outcome.error);
      throw outcome.error;
    }
    this.options.observer?.tasksCompleted(queue, [outcome.task]);
    return outcome.task;
  }

  /**
   * Completes many tasks in one call (a worker finishing a batch); each item succeeds or fails alone, in order.
   * One script call per queue: this is what lets a busy worker pay one round trip for many tasks.
   */
  async completeMany(inputs: CompleteInput[], view: TaskView): Promise<ItemOutcome[]> {
    checkBatchSize(inputs, limits.COMPLETE_BATCH_MAX);
    return inBatchesByQueue(
      inputs,
      (input) => this.toCompletion(input),
      async (queue, completions) => {
        const outcomes = await this.store.complete(queue, completions, view);
        for (const outcome of outcomes) if ('error' in outcome) this.reportExpiry(queue, outcome.error);
        const completed = outcomes.flatMap((outcome) => ('task' in outcome ? [outcome.task] : []));
        if (completed.length > 0) this.options.observer?.tasksCompleted(queue, completed);
        return outcomes;
      },
    );
  }

  /** Gives a held task back at once (a worker shutting down) without using up its attempt. */
  async release(queue: string, taskId: string, leaseToken: string): Promise<Task> {
    check.checkQueue(queue);
    check.checkTaskId(taskId);
    check.checkLeaseToken(leaseToken);
    return this.noticingExpiry(queue, () => this.store.release(queue, taskId, leaseToken));
  }

  async fail(input: FailInput): Promise<Task> {
    check.checkQueue(input.queue);
    check.checkTaskId(input.taskId);
    check.checkLeaseToken(input.leaseToken);
    const retryDelayMs =
      input.retryDelayMs === undefined
        ? undefined
        : check.checkDuration(input.retryDelayMs, 'retry_delay', 0, limits.RETRY_DELAY_MAX_MS);
    const failure = {
      type: check.truncate(input.error.type || 'Error', limits.ERROR_TYPE_MAX_LENGTH),
      message: check.truncate(input.error.message, limits.ERROR_MESSAGE_MAX_LENGTH),
      details: check.truncate(input.error.details, limits.ERROR_DETAILS_MAX_LENGTH),
      permanent: input.permanent,
      ...(retryDelayMs === undefined ? {} : { retryDelayMs }),
    };
    const task = await this.noticingExpiry(input.queue, () =>
      this.store.fail(input.queue, input.taskId, input.leaseToken, failure),
    );
    this.noteDue(input.queue, [dueTime(task)]);
    this.options.observer?.taskFailed(task);
    return task;
  }

  private toCompletion(input: CompleteInput): Completion & { queue: string } {
    return {
      queue: check.checkQueue(input.queue),
      id: check.checkTaskId(input.taskId),
      leaseToken: check.checkLeaseToken(input.leaseToken),
      result: check.checkBytes(input.result, 'result', this.options.maxPayloadBytes),
    };
  }

  /** A call that found its lease run out released the task: that expiry is reported like maintenance's. */
  private reportExpiry(queue: string, error: unknown): void {
    if (!(error instanceof LeaseExpiredError)) return;
    this.options.observer?.expiriesHandled(queue, {
      leasesExpired: 1,
      leasesExhausted: error.taskState === 'EXHAUSTED' ? 1 : 0,
      leasesCancelled: error.taskState === 'CANCELLED' ? 1 : 0,
      tasksExpired: 0,
    });
  }

  /** Tells this replica's maintenance the earliest of `times` (epoch ms), when something in `queue` falls due. */
  private noteDue(queue: string, times: readonly number[]): void {
    const earliest = Math.min(...times);
    if (earliest < Infinity) this.options.dueTimes?.noteDue(queue, earliest);
  }

  private async noticingExpiry<T>(queue: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.reportExpiry(queue, error);
      throw error;
    }
  }

  private optionalLease(leaseDurationMs: number | undefined): number {
    return leaseDurationMs === undefined
      ? 0
      : check.checkDuration(leaseDurationMs, 'lease_duration', limits.LEASE_MIN_MS, limits.LEASE_MAX_MS);
  }

  /** Validates a submission and fills in every default. */
  private toNewTask(input: SubmitInput, missingId: 'generate' | 'task_id required' = 'generate'): NewTask {
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
      payload: check.checkBytes(input.payload, 'payload', this.options.maxPayloadBytes),
      metadata: check.checkMetadata(input.metadata),
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
    return task;
  }
}

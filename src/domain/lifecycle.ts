import { invalidArgument, taskNotFound } from './errors.js';
import type { ClaimInput, CompleteInput, FailInput, HeartbeatInput, ListInput, StartInput, SubmitInput } from './inputs.js';
import * as limits from './limits.js';
import { checkBatchSize, inBatchesByQueue } from './batches.js';
import { storeTasks } from './handoff.js';
import { toNewTask } from './newTask.js';
import { PageTokens } from './pageToken.js';
import type { Completion, ItemOutcome, SubmittedItem, TaskStore, TaskView } from './store.js';
import type { ClaimedTask, HeartbeatResult, ListTasksPage, StartResult, SubmitResult, Task } from './task.js';
import * as check from './validation.js';
import { StandingClaim } from './claims.js';
import type { ClaimAttempt, ClaimPlan } from './claims.js';
import { QueueClaims } from './queueClaims.js';
import { WakeBoard } from './wakeBoard.js';
import type { WorkerRegistry } from './workers.js';

export interface LifecycleOptions {
  maxPayloadBytes: number;
  /** Told which workers claim, for the operator views. */
  workers?: WorkerRegistry;
  /** Signs ListTasks page tokens; replicas of one deployment must share its key (default: this process's own). */
  pageTokens?: PageTokens;
}

export type SubmitOutcome = SubmittedItem;

/**
 * The task lifecycle rules: validation, defaults and the order of operations. Storage does each step atomically;
 * the store given here reports each change (metrics, due times: see ReportingTaskStore), so these rules need not.
 */
export class Lifecycle {
  readonly wakeBoard = new WakeBoard();
  private readonly closing = new AbortController();

  private readonly pageTokens: PageTokens;
  private readonly queueClaims: QueueClaims;

  constructor(
    private readonly store: TaskStore,
    private readonly options: LifecycleOptions,
  ) {
    this.pageTokens = options.pageTokens ?? PageTokens.ephemeral();
    this.queueClaims = new QueueClaims(store);
  }

  /** Ends every waiting claim (they return what they have, usually nothing). */
  close(): void {
    this.closing.abort();
  }

  async submit(input: SubmitInput): Promise<SubmitResult> {
    const task = toNewTask(input, this.options.maxPayloadBytes);
    const [result] = await storeTasks(this.store, this.wakeBoard, task.queue, [task], true);
    if (!result) throw new Error('submit returned no result');
    if ('error' in result) throw result.error;
    return result;
  }

  /** One outcome per input, in order; an invalid item fails alone. Items are stored in one script call per queue. */
  async submitMany(inputs: SubmitInput[], returnTasks: boolean): Promise<SubmitOutcome[]> {
    checkBatchSize(inputs, limits.SUBMIT_BATCH_MAX);
    return inBatchesByQueue(
      inputs,
      (input) => toNewTask(input, this.options.maxPayloadBytes),
      (queue, tasks) => storeTasks(this.store, this.wakeBoard, queue, tasks, returnTasks),
    );
  }

  async get(queue: string, taskId: string): Promise<Task> {
    check.checkQueue(queue);
    check.checkTaskId(taskId);
    const task = await this.store.get(queue, taskId);
    if (!task) throw taskNotFound(queue, taskId);
    return task;
  }

  async list(input: ListInput): Promise<{ tasks: Task[]; nextPageToken: string; examined: number }> {
    check.checkQueue(input.queue);
    check.checkTaskType(input.type);
    const { metadata } = input;
    if (metadata !== undefined) check.checkMetadata({ [metadata.key]: metadata.value }, 'metadata filter');
    const pageSize =
      input.pageSize === 0
        ? limits.PAGE_SIZE_DEFAULT
        : check.checkIntRange(input.pageSize, 'page_size', 1, limits.PAGE_SIZE_MAX);
    const cursor = input.pageToken === '' ? undefined : this.pageTokens.decodeList(input.pageToken, input.queue, input.state, input.type, metadata);
    const page: ListTasksPage = await this.store.list(input.queue, {
      ...(input.state === undefined ? {} : { state: input.state }),
      ...(cursor === undefined ? {} : { cursor }),
      pageSize,
      includePayload: input.includePayload,
      type: input.type,
      ...(metadata === undefined ? {} : { metadata }),
      parentId: input.parentId ? check.checkTaskId(input.parentId) : '',
      rootId: input.rootId ? check.checkTaskId(input.rootId) : '',
    });
    return {
      tasks: page.tasks,
      nextPageToken:
        page.nextCursor === undefined ? '' : this.pageTokens.encodeList(input.queue, input.state, page.nextCursor, input.type, metadata),
      examined: page.examined,
    };
  }

  async cancel(queue: string, taskId: string): Promise<Task> {
    return this.store.cancel(check.checkQueue(queue), check.checkTaskId(taskId));
  }

  async retry(queue: string, taskId: string): Promise<Task> {
    return this.store.retry(check.checkQueue(queue), check.checkTaskId(taskId));
  }

  /**
   * Claims from the queues in order until max_tasks are held, not waiting for a queue whose Redis is slow (see
   * QueueClaims). With a wait timeout and nothing claimable, waits
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
    const claims = this.openClaims(plan);
    try {
      return await claims.next(plan.maxTasks, signal, Date.now() + plan.waitMs);
    } finally {
      claims.close();
    }
  }

  /** A claim that stands for a worker session's whole life (see StandingClaim); close it when the session ends. */
  openClaims(plan: ClaimPlan): StandingClaim {
    // Claims do not create queues: a claim on a queue unknown so far waits for its first task and writes nothing.
    const alarm = this.wakeBoard.arm(plan.queues);
    return new StandingClaim(plan, alarm, this.closing.signal, (claimPlan, maxTasks) => this.claimOnce(claimPlan, maxTasks));
  }

  private async claimOnce(plan: ClaimPlan, maxTasks: number): Promise<ClaimAttempt> {
    this.options.workers?.noteClaim(plan.workerId, plan.queues);
    return this.queueClaims.claimOnce(plan, maxTasks);
  }

  async start(input: StartInput): Promise<StartResult> {
    const task = toNewTask(input.task, this.options.maxPayloadBytes, 'task_id required');
    const workerId = check.checkWorkerId(input.workerId);
    if (input.leaseToken.length > limits.LEASE_TOKEN_MAX_LENGTH) {
      throw invalidArgument('lease_token', `is at most ${limits.LEASE_TOKEN_MAX_LENGTH} characters`);
    }
    const outcome = await this.store.start(task, {
      workerId,
      leaseDurationMs: this.optionalLease(input.leaseDurationMs),
      leaseToken: input.leaseToken,
      force: input.force,
    });
    // A refused start changes nothing, not even the worker registry.
    if ('refused' in outcome) throw outcome.refused;
    this.options.workers?.noteClaim(workerId, [task.queue]);
    return outcome.started;
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
    const { leaseExpireTime, cancelRequested } = await this.store.heartbeat(input.queue, input.taskId, input.leaseToken, update);
    return { leaseExpireTime, cancelRequested };
  }

  async complete(queue: string, taskId: string, leaseToken: string, result: Buffer): Promise<Task> {
    const completion = this.toCompletion({ queue, taskId, leaseToken, result });
    const [outcome] = await this.store.complete(queue, [completion], 'full');
    if (!outcome) throw new Error('complete returned no result');
    if ('error' in outcome) throw outcome.error;
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
      (queue, completions) => this.store.complete(queue, completions, view),
    );
  }

  /**
   * A worker session's completions that free `maxTasks` of its slots. When they are all valid and of the session's
   * one queue, one script completes them and claims the next tasks for the session (a claim without its own round
   * trip); otherwise they are completed as completeMany does and nothing is claimed: the session's claims take the
   * credit.
   */
  async completeAndClaim(inputs: CompleteInput[], view: TaskView, plan: ClaimPlan, maxTasks: number): Promise<{ outcomes: ItemOutcome[]; claimed: ClaimedTask[] }> {
    checkBatchSize(inputs, limits.COMPLETE_BATCH_MAX);
    const [queue] = plan.queues;
    let completions: (Completion & { queue: string })[] | undefined;
    try {
      completions = inputs.map((input) => this.toCompletion(input));
    } catch {
      completions = undefined;
    }
    if (plan.queues.length !== 1 || queue === undefined || !completions || completions.some((c) => c.queue !== queue)) {
      return { outcomes: await this.completeMany(inputs, view), claimed: [] };
    }
    this.options.workers?.noteClaim(plan.workerId, plan.queues);
    const outcome = await this.store.completeAndClaim(queue, completions, view, {
      workerId: plan.workerId,
      maxTasks,
      leaseDurationMs: plan.leaseDurationMs,
    });
    return { outcomes: outcome.outcomes, claimed: outcome.claimed };
  }

  /** Gives a held task back at once (a worker shutting down) without using up its attempt. */
  async release(queue: string, taskId: string, leaseToken: string): Promise<Task> {
    check.checkQueue(queue);
    check.checkTaskId(taskId);
    check.checkLeaseToken(leaseToken);
    return this.store.release(queue, taskId, leaseToken);
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
    return (await this.store.fail(input.queue, input.taskId, input.leaseToken, failure)).task;
  }

  private toCompletion(input: CompleteInput): Completion & { queue: string } {
    return {
      queue: check.checkQueue(input.queue),
      id: check.checkTaskId(input.taskId),
      leaseToken: check.checkLeaseToken(input.leaseToken),
      result: check.checkBytes(input.result, 'result', this.options.maxPayloadBytes),
    };
  }

  private optionalLease(leaseDurationMs: number | undefined): number {
    return leaseDurationMs === undefined
      ? 0
      : check.checkDuration(leaseDurationMs, 'lease_duration', limits.LEASE_MIN_MS, limits.LEASE_MAX_MS);
  }
}

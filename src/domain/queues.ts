import { BatonError, invalidArgument } from './errors.js';
import * as limits from './limits.js';
import type { QueueChanges, QueueInfo, QueueStore, RateLimitChange } from './store.js';
import { PageTokens } from './pageToken.js';
import type { Task, TaskState } from './task.js';
import * as check from './validation.js';

/** A quota as UpdateQueue gives it: -1 (remove: 0 to the store) or 1..max. */
function checkQuota(value: number, field: string, max: number): number {
  if (value === -1) return 0;
  if (value < 1 || value > max) throw invalidArgument(field, `must be -1 (no limit) or an integer from 1 to ${max}, got ${value}`);
  return check.checkIntRange(value, field, 1, max);
}

/** A rate limit change as asked: claims -1 removes the limit (null), else claims and period must be in range. */
function checkRateLimit(change: RateLimitChange | undefined, field: string): RateLimitChange | undefined {
  if (change === undefined || change === null) return change;
  if (change.claims === -1) return null;
  check.checkIntRange(change.claims, `${field}.claims`, 1, limits.RATE_LIMIT_CLAIMS_MAX);
  check.checkDuration(change.periodMs, `${field}.period`, 1, limits.DAY_MS);
  return change;
}

/** Whether the changes set a limit that a queue keeps as a whole (see QueueAdmin.checkPartitioning). */
function limitedPerQueue(changes: QueueChanges): boolean {
  return (changes.maxPendingTasks ?? 0) > 0 || (changes.maxStoredPayloadBytes ?? 0) > 0 || (changes.claimRateLimit ?? null) !== null;
}

/** Per script call: purge and bulk retry work through big queues in bounded steps. */
const BULK_STEP = 1_000;
/** ListActiveTasks returns at most this many tasks per queue. */
const ACTIVE_LIST_MAX = 10_000;
export const RETRYABLE_STATES: readonly TaskState[] = ['FAILED', 'EXHAUSTED', 'CANCELLED', 'EXPIRED'];

export interface ActiveTasksByWorker {
  workerId: string;
  tasks: Task[];
}

/** Operator views and controls of queues: what is in them, who holds what, and pause/resume/purge/redrive. */
export class QueueAdmin {
  constructor(
    private readonly store: QueueStore,
    private readonly liveWindowMs: number,
    /** Signs ListQueues page tokens; replicas of one deployment must share its key. */
    private readonly pageTokens: PageTokens = PageTokens.ephemeral(),
  ) {}

  private async existing(queue: string, field = 'queue'): Promise<string> {
    check.checkQueue(queue, field);
    if (!(await this.store.queueExists(queue))) throw new BatonError('NOT_FOUND', `queue "${queue}" not found`);
    return queue;
  }

  async get(queue: string): Promise<QueueInfo> {
    return this.store.getQueue(await this.existing(queue), this.liveWindowMs);
  }

  /** Every queue name, sorted: the dashboard filters them by the viewer's grants before paging. */
  async names(): Promise<string[]> {
    return (await this.store.knownQueues()).sort();
  }

  /** Queues by name; the page token is the last name of the previous page. */
  async list(pageSize: number, pageToken: string): Promise<{ queues: QueueInfo[]; nextPageToken: string }> {
    const size =
      pageSize === 0 ? limits.PAGE_SIZE_DEFAULT : check.checkIntRange(pageSize, 'page_size', 1, limits.PAGE_SIZE_MAX);
    let after = '';
    if (pageToken !== '') {
      after = this.pageTokens.open(pageToken);
      if (!after.startsWith('q:') || !limits.QUEUE_NAME_PATTERN.test(after.slice(2))) {
        throw invalidArgument('page_token', 'is not a token returned by this method');
      }
      after = after.slice(2);
    }
    const names = (await this.store.knownQueues()).filter((name) => name > after).sort();
    const page = names.slice(0, size);
    const queues = await this.store.getQueues(page, this.liveWindowMs);
    const last = page.at(-1);
    return {
      queues,
      nextPageToken: names.length > size && last !== undefined ? this.pageTokens.seal(`q:${last}`) : '',
    };
  }

  async pause(queue: string): Promise<QueueInfo> {
    await this.store.updateQueue(await this.existing(queue), { paused: true });
    return this.get(queue);
  }

  /** Claims waiting on the queue wake at once. */
  async resume(queue: string): Promise<QueueInfo> {
    await this.store.updateQueue(await this.existing(queue), { paused: false });
    return this.get(queue);
  }

  /** Deletes scheduled and pending tasks (and finished ones when asked); active tasks stay with their workers. */
  async purge(queue: string, includeFinished: boolean): Promise<number> {
    await this.existing(queue);
    let total = 0;
    for (;;) {
      const { deleted, more } = await this.store.purge(queue, includeFinished, BULK_STEP);
      total += deleted;
      if (!more) return total;
    }
  }

  /** Makes finished tasks in `states` (default FAILED and EXHAUSTED) PENDING again with a fresh attempt budget. */
  async retryTasks(queue: string, states: readonly TaskState[]): Promise<number> {
    await this.existing(queue);
    const wanted = states.length === 0 ? (['FAILED', 'EXHAUSTED'] as const) : states;
    for (const state of wanted) {
      if (!RETRYABLE_STATES.includes(state)) {
        throw invalidArgument('states', `${state} cannot be retried; use ${RETRYABLE_STATES.join(', ')}`);
      }
    }
    let total = 0;
    let offset = 0;
    for (;;) {
      const step = await this.store.retryMany(queue, wanted, BULK_STEP, offset);
      total += step.retried;
      offset = step.offset;
      if (!step.more) return total;
    }
  }

  /**
   * Deletes the queue and everything in it (tasks, settings, events, counters) and forgets its name. Refused while
   * tasks are leased unless `force`. Returns how many tasks it held.
   */
  async delete(queue: string, force: boolean): Promise<number> {
    return this.store.deleteQueue(await this.existing(queue), force);
  }

  async update(queue: string, changes: QueueChanges): Promise<QueueInfo> {
    check.checkQueue(queue);
    if (changes.maxAttempts !== undefined) {
      check.checkIntRange(changes.maxAttempts, 'settings.max_attempts', limits.MAX_ATTEMPTS_MIN, limits.MAX_ATTEMPTS_MAX);
    }
    if (changes.leaseDurationMs !== undefined) {
      check.checkDuration(changes.leaseDurationMs, 'settings.lease_duration', limits.LEASE_MIN_MS, limits.LEASE_MAX_MS);
    }
    // Zero restores the server's default.
    if (changes.retentionMs !== undefined && changes.retentionMs !== 0) {
      check.checkDuration(changes.retentionMs, 'settings.retention', limits.SECOND_MS, limits.DELAY_MAX_MS);
    }
    if (changes.eventRetention !== undefined) {
      check.checkIntRange(changes.eventRetention, 'settings.event_retention', 10, 1_000_000);
    }
    // Zero removes the age limit.
    if (changes.eventMaxAgeMs !== undefined && changes.eventMaxAgeMs !== 0) {
      check.checkDuration(changes.eventMaxAgeMs, 'settings.event_max_age', limits.SECOND_MS, limits.DELAY_MAX_MS);
    }
    if (changes.completedRingSize !== undefined) {
      check.checkIntRange(changes.completedRingSize, 'settings.completed_ring_size', 1, limits.COMPLETED_RING_MAX);
    }
    // A quota of -1 removes it: the store keeps none as 0.
    const quotas: QueueChanges = {};
    if (changes.maxPendingTasks !== undefined) {
      quotas.maxPendingTasks = checkQuota(changes.maxPendingTasks, 'settings.max_pending_tasks', limits.QUEUE_PENDING_QUOTA_MAX);
    }
    if (changes.maxStoredPayloadBytes !== undefined) {
      quotas.maxStoredPayloadBytes = checkQuota(changes.maxStoredPayloadBytes, 'settings.max_stored_payload_bytes', limits.QUEUE_BYTES_QUOTA_MAX);
    }
    const claimRateLimit = checkRateLimit(changes.claimRateLimit, 'settings.claim_rate_limit');
    if (claimRateLimit !== undefined) quotas.claimRateLimit = claimRateLimit;
    const keyRateLimit = checkRateLimit(changes.keyRateLimit, 'settings.key_rate_limit');
    if (keyRateLimit !== undefined) quotas.keyRateLimit = keyRateLimit;
    if (changes.concurrencyKeyLimit !== undefined) {
      quotas.concurrencyKeyLimit = checkQuota(changes.concurrencyKeyLimit, 'settings.concurrency_key_limit', limits.CONCURRENCY_KEY_LIMIT_MAX);
    }
    if (changes.partitions !== undefined) {
      check.checkIntRange(changes.partitions, 'settings.partitions', 1, limits.PARTITIONS_MAX);
    }
    const next = { ...changes, ...quotas };
    if (next.partitions !== undefined || limitedPerQueue(next)) await this.checkPartitioning(queue, next);
    await this.store.updateQueue(queue, next);
    return this.get(queue);
  }

  /**
   * Partitions only grow. A limit kept per queue (a quota, the queue's claim rate) cannot be kept exactly by
   * partitions each keeping their own, so a partitioned queue has none: FAILED_PRECONDITION names the conflict.
   */
  private async checkPartitioning(queue: string, changes: QueueChanges): Promise<void> {
    const current = (await this.store.queueExists(queue)) ? await this.store.getQueue(queue, this.liveWindowMs) : undefined;
    const count = current?.settings.partitions ?? 1;
    const partitions = changes.partitions ?? count;
    if (partitions < count) {
      throw new BatonError('FAILED_PRECONDITION', `settings.partitions: cannot be lowered (from ${count} to ${partitions}); partitions only grow`);
    }
    if (partitions === 1) return;
    const settings = current?.settings;
    const conflicts: [string, boolean][] = [
      ['max_pending_tasks', (changes.maxPendingTasks ?? settings?.maxPendingTasks ?? 0) > 0],
      ['max_stored_payload_bytes', (changes.maxStoredPayloadBytes ?? settings?.maxStoredPayloadBytes ?? 0) > 0],
      ['claim_rate_limit', (changes.claimRateLimit === undefined ? settings?.claimRateLimit : changes.claimRateLimit) != null],
    ];
    const conflict = conflicts.find(([, set]) => set);
    if (conflict) {
      throw new BatonError(
        'FAILED_PRECONDITION',
        `settings.${conflict[0]}: a queue with more than one partition cannot have one (each partition would keep its own); remove it first`,
      );
    }
  }

  /** What each worker holds now under a live lease, for one queue or every queue. */
  async activeTasks(queue: string, workerId: string): Promise<ActiveTasksByWorker[]> {
    if (workerId !== '') check.checkWorkerId(workerId);
    // Over every queue, only those holding leases run the listing script.
    const queues = queue === '' ? await this.store.withLiveLeases(await this.store.knownQueues()) : [await this.existing(queue)];
    const tasks = (
      await Promise.all(queues.map((q) => this.store.activeTasks(q, workerId, ACTIVE_LIST_MAX)))
    ).flat();
    const byWorker = new Map<string, Task[]>();
    for (const task of tasks) {
      const holder = task.lease?.workerId ?? '';
      byWorker.set(holder, [...(byWorker.get(holder) ?? []), task]);
    }
    return [...byWorker]
      .map(([id, held]) => ({ workerId: id, tasks: held }))
      .sort((a, b) => a.workerId.localeCompare(b.workerId));
  }

  /** The last `limit` finished tasks (0: the whole ring), newest first. */
  async completedTasks(queue: string, limit: number): Promise<Task[]> {
    await this.existing(queue);
    const size = limit === 0 ? limits.COMPLETED_RING_MAX : check.checkIntRange(limit, 'limit', 1, limits.COMPLETED_RING_MAX);
    return this.store.completedTasks(queue, size);
  }
}

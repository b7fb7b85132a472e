import { BatonError, invalidArgument } from './errors.js';
import * as limits from './limits.js';
import type { QueueChanges, QueueInfo, TaskStore } from './store.js';
import type { Task, TaskState } from './task.js';
import * as check from './validation.js';

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
    private readonly store: TaskStore,
    private readonly liveWindowMs: number,
  ) {}

  private async existing(queue: string, field = 'queue'): Promise<string> {
    check.checkQueue(queue, field);
    if (!(await this.store.queueExists(queue))) throw new BatonError('NOT_FOUND', `queue "${queue}" not found`);
    return queue;
  }

  async get(queue: string): Promise<QueueInfo> {
    return this.store.getQueue(await this.existing(queue), this.liveWindowMs);
  }

  /** Queues by name; the page token is the last name of the previous page. */
  async list(pageSize: number, pageToken: string): Promise<{ queues: QueueInfo[]; nextPageToken: string }> {
    const size =
      pageSize === 0 ? limits.PAGE_SIZE_DEFAULT : check.checkIntRange(pageSize, 'page_size', 1, limits.PAGE_SIZE_MAX);
    let after = '';
    if (pageToken !== '') {
      after = Buffer.from(pageToken, 'base64url').toString('utf8');
      if (!after.startsWith('q:') || !limits.QUEUE_NAME_PATTERN.test(after.slice(2))) {
        throw invalidArgument('page_token', 'is not a token returned by this method');
      }
      after = after.slice(2);
    }
    const names = (await this.store.knownQueues()).filter((name) => name > after).sort();
    const page = names.slice(0, size);
    const queues = await Promise.all(page.map((name) => this.store.getQueue(name, this.liveWindowMs)));
    const last = page.at(-1);
    return {
      queues,
      nextPageToken: names.length > size && last !== undefined ? Buffer.from(`q:${last}`).toString('base64url') : '',
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
    // Setting defaults may come before the first task: the queue then exists from now on.
    await this.store.rememberQueue(queue);
    await this.store.updateQueue(queue, changes);
    return this.get(queue);
  }

  /** What each worker holds now under a live lease, for one queue or every queue. */
  async activeTasks(queue: string, workerId: string): Promise<ActiveTasksByWorker[]> {
    if (workerId !== '') check.checkWorkerId(workerId);
    const queues = queue === '' ? await this.store.knownQueues() : [await this.existing(queue)];
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

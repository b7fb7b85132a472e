import { BatonError, invalidArgument } from './errors.js';
import type { TaskStore, WorkerDescription, WorkerRecord } from './store.js';
import * as check from './validation.js';

export type WorkerStatus = 'ALIVE' | 'LOST';

/** A worker as operators see it: what it said about itself, where it works, and what it did there. */
export interface WorkerView extends WorkerRecord {
  status: WorkerStatus;
  activeTasks: number;
  processedCount: number;
  failedCount: number;
}

/** Claims refresh a worker's registry entry at most this often per replica, so the hot path stays one script. */
const CLAIM_REFRESH_MS = 1_000;
const REMEMBERED_MAX = 10_000;

/**
 * The worker registry. Workers appear when they claim (or register explicitly, so an idle worker stays visible);
 * a worker not seen for `lostAfterMs` is LOST; maintenance forgets it after the worker retention.
 */
export class WorkerRegistry {
  private readonly refreshedAt = new Map<string, number>();

  constructor(
    private readonly store: TaskStore,
    private readonly lostAfterMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Notes a claiming worker without delaying the claim; a failure here only delays its registry entry. */
  noteClaim(workerId: string, queues: readonly string[]): void {
    const now = Date.now();
    if (now - (this.refreshedAt.get(workerId) ?? 0) < CLAIM_REFRESH_MS) return;
    if (this.refreshedAt.size >= REMEMBERED_MAX) this.refreshedAt.clear();
    this.refreshedAt.set(workerId, now);
    this.store.registerWorker(workerId, undefined, queues).catch(this.onError);
  }

  async register(workerId: string, description: WorkerDescription, queues: readonly string[]): Promise<WorkerView> {
    check.checkWorkerId(workerId);
    queues.forEach((queue, i) => check.checkQueue(queue, `queues[${i}]`));
    if (description.hostname !== undefined) check.checkMaxLength(description.hostname, 'hostname', 255);
    if (description.sdkName !== undefined) check.checkMaxLength(description.sdkName, 'sdk_name', 64);
    if (description.sdkVersion !== undefined) check.checkMaxLength(description.sdkVersion, 'sdk_version', 64);
    if (description.labels !== undefined) check.checkMetadata(description.labels, 'labels');
    if (description.pid !== undefined && (description.pid < 0 || !Number.isInteger(description.pid))) {
      throw invalidArgument('pid', 'must be a non-negative integer');
    }
    await this.store.registerWorker(workerId, description, queues);
    this.refreshedAt.set(workerId, Date.now());
    return this.get(workerId);
  }

  async get(workerId: string): Promise<WorkerView> {
    check.checkWorkerId(workerId);
    const [worker] = await this.list({ workerId, includeLost: true });
    if (!worker) throw new BatonError('NOT_FOUND', `worker "${workerId}" not found`);
    return worker;
  }

  /** Workers, most recently seen first; per-queue figures are summed over the queues each worker serves. */
  async list(filter: { queue?: string; workerId?: string; includeLost: boolean }): Promise<WorkerView[]> {
    const records = (await this.store.listWorkers()).filter(
      (w) =>
        (filter.workerId === undefined || w.workerId === filter.workerId) &&
        (filter.queue === undefined || w.queues.includes(filter.queue)),
    );
    const queues = [...new Set(records.flatMap((w) => w.queues))];
    const statsByQueue = await Promise.all(queues.map((queue) => this.store.workerStats(queue)));
    const now = Date.now();
    const views = records.map((record): WorkerView => {
      const view: WorkerView = { ...record, status: 'ALIVE', activeTasks: 0, processedCount: 0, failedCount: 0 };
      for (const stats of statsByQueue) {
        const mine = stats.find((s) => s.workerId === record.workerId);
        if (!mine) continue;
        view.activeTasks += mine.active;
        view.processedCount += mine.completed;
        view.failedCount += mine.failed;
        view.lastSeen = Math.max(view.lastSeen, mine.lastSeen);
      }
      view.status = now - view.lastSeen <= this.lostAfterMs ? 'ALIVE' : 'LOST';
      return view;
    });
    return views
      .filter((v) => filter.includeLost || v.status === 'ALIVE')
      .sort((a, b) => b.lastSeen - a.lastSeen);
  }
}

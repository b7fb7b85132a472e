import { BatonError, invalidArgument } from './errors.js';
import * as limits from './limits.js';
import { PageTokens } from './pageToken.js';
import type { WorkerDescription, WorkerRecord, WorkerStore } from './store.js';
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
/** The most workers list() reads (the dashboard's view); ListWorkers pages instead. */
const LIST_MAX = 10_000;

export interface WorkerFilter {
  queue?: string;
  includeLost: boolean;
}

/**
 * The worker registry. Workers appear when they claim (or register explicitly, so an idle worker stays visible);
 * a worker not seen for `lostAfterMs` is LOST; maintenance forgets it after the worker retention.
 */
export class WorkerRegistry {
  private readonly refreshedAt = new Map<string, number>();

  constructor(
    private readonly store: WorkerStore,
    private readonly lostAfterMs: number,
    private readonly onError: (error: unknown) => void,
    /** Signs ListWorkers page tokens; replicas of one deployment must share its key. */
    private readonly pageTokens: PageTokens = PageTokens.ephemeral(),
  ) {}

  /** Notes a claiming worker without delaying the claim; a failure here only delays its registry entry. */
  noteClaim(workerId: string, queues: readonly string[]): void {
    const now = Date.now();
    if (now - (this.refreshedAt.get(workerId) ?? 0) < CLAIM_REFRESH_MS) return;
    if (this.refreshedAt.size >= REMEMBERED_MAX) this.refreshedAt.clear();
    this.refreshedAt.set(workerId, now);
    this.store.registerWorker(workerId, undefined, queues).catch(this.onError);
  }

  /**
   * Whether a worker was seen working on the queue within `withinMs`: the registry names the queues each worker
   * claims from, even a queue with no task yet (a claim there writes nothing in the queue itself).
   */
  async servesQueue(queue: string, withinMs: number): Promise<boolean> {
    const since = Date.now() - withinMs;
    // Most recently seen first: the pages stop at the first worker not seen within the window.
    for (let offset = 0; ; offset += limits.PAGE_SIZE_MAX) {
      const { workers, more } = await this.store.listWorkers(offset, limits.PAGE_SIZE_MAX);
      for (const worker of workers) {
        if (worker.lastSeen <= since) return false;
        if (worker.queues.includes(queue)) return true;
      }
      if (!more) return false;
    }
  }

  async register(workerId: string, description: WorkerDescription, queues: readonly string[]): Promise<WorkerView> {
    check.checkWorkerId(workerId);
    if (queues.length > limits.WORKER_QUEUES_MAX) {
      throw invalidArgument('queues', `has ${queues.length} entries; the limit is ${limits.WORKER_QUEUES_MAX}`);
    }
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
    const record = await this.store.getWorker(workerId);
    if (!record) throw new BatonError('NOT_FOUND', `worker "${workerId}" not found`);
    const [view] = await this.views([record]);
    if (!view) throw new BatonError('NOT_FOUND', `worker "${workerId}" not found`);
    return view;
  }

  /**
   * A page of workers, most recently seen first. The page token is where the next page starts in that order, so
   * a worker seen again between two pages may show on both, or on neither; a page may hold fewer than
   * `pageSize` workers (the filters apply to each page read) and only an empty next token ends the list.
   */
  async listPage(filter: WorkerFilter, pageSize: number, pageToken: string): Promise<{ workers: WorkerView[]; nextPageToken: string }> {
    if (filter.queue !== undefined) check.checkQueue(filter.queue);
    const size = pageSize === 0 ? limits.PAGE_SIZE_DEFAULT : check.checkIntRange(pageSize, 'page_size', 1, limits.PAGE_SIZE_MAX);
    const offset = pageToken === '' ? 0 : this.pageTokens.decodeWorkers(pageToken, filter.queue ?? '', filter.includeLost);
    const { workers, more } = await this.store.listWorkers(offset, size);
    const views = await this.views(workers.filter((w) => filter.queue === undefined || w.queues.includes(filter.queue)));
    return {
      workers: views.filter((v) => filter.includeLost || v.status === 'ALIVE'),
      nextPageToken: more ? this.pageTokens.encodeWorkers(filter.queue ?? '', filter.includeLost, offset + size) : '',
    };
  }

  /** Up to `max` workers, most recently seen first, read page by page (the dashboard's list). */
  async list(filter: WorkerFilter, max = LIST_MAX): Promise<WorkerView[]> {
    const all: WorkerView[] = [];
    for (let offset = 0; offset < max; offset += limits.PAGE_SIZE_MAX) {
      const { workers, more } = await this.store.listWorkers(offset, Math.min(limits.PAGE_SIZE_MAX, max - offset));
      const views = await this.views(workers.filter((w) => filter.queue === undefined || w.queues.includes(filter.queue)));
      all.push(...views.filter((v) => filter.includeLost || v.status === 'ALIVE'));
      if (!more) break;
    }
    return all.sort((a, b) => b.lastSeen - a.lastSeen);
  }

  /** Registry records with what each did in its queues: one script per queue they serve, for these workers only. */
  private async views(records: readonly WorkerRecord[]): Promise<WorkerView[]> {
    const serving = new Map<string, string[]>();
    for (const record of records) {
      for (const queue of record.queues) serving.set(queue, [...(serving.get(queue) ?? []), record.workerId]);
    }
    const statsByQueue = await Promise.all([...serving].map(([queue, ids]) => this.store.workerStats(queue, ids)));
    const now = Date.now();
    return records.map((record): WorkerView => {
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
  }
}

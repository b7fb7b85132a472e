import { Gauge } from 'prom-client';
import { registerLimitMetrics } from './limitGauges.js';
import type { Registry } from 'prom-client';
import type { QueueInfo } from '../domain/store.js';
import { TASK_STATES } from '../domain/task.js';
import type { QueueLabels } from './queueLabels.js';

/** Where the gauges read from: the queue store (its Redis round trips are timed like all others). */
export interface QueueStatsSource {
  knownQueues(): Promise<string[]>;
  getQueue(queue: string, liveWindowMs: number): Promise<QueueInfo>;
}

type Snapshot = ReadonlyMap<string, QueueInfo>;

/**
 * Queue depth gauges, read from Redis when scraped. One read of every labelled queue serves all scrapes for
 * `cacheMs`, so several Prometheus servers scraping several replicas cost little. Every replica reports the same
 * cluster-wide values: aggregate them with max by (queue), never sum.
 */
export class QueueGauges {
  private cached: { at: number; snapshot: Promise<Snapshot> } | undefined;
  private failing = false;

  constructor(
    registry: Registry,
    private readonly source: QueueStatsSource,
    private readonly queues: QueueLabels,
    private readonly cacheMs: number,
    /** A worker seen in a queue within this window counts as live there. */
    private readonly liveWindowMs: number,
    private readonly onReadError: (error: unknown) => void,
  ) {
    const read = (): Promise<Snapshot> => this.snapshot();
    new Gauge({
      name: 'baton_queue_tasks',
      help: 'Tasks in the queue by state, cluster-wide (the same on every replica: use max by (queue, state)).',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        const snapshot = await read();
        this.reset();
        for (const [queue, stats] of snapshot) {
          for (const state of TASK_STATES) this.set({ queue, state: state.toLowerCase() }, stats.counts[state]);
        }
      },
    });
    new Gauge({
      name: 'baton_queue_oldest_pending_age_seconds',
      help:
        'How long the longest-waiting pending task of the queue has been claimable, 0 when none is pending; ' +
        'cluster-wide (use max by (queue)).',
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        const snapshot = await read();
        this.reset();
        for (const [queue, stats] of snapshot) this.set({ queue }, (stats.oldestPendingAgeMs ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'baton_queue_live_workers',
      help:
        'Workers that claimed or heartbeated in the queue within the lost-worker window; cluster-wide ' +
        '(use max by (queue)).',
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        const snapshot = await read();
        this.reset();
        for (const [queue, stats] of snapshot) this.set({ queue }, stats.liveWorkers);
      },
    });
    registerLimitMetrics(registry, read);
  }

  private snapshot(): Promise<Snapshot> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.snapshot;
    const snapshot = this.read();
    this.cached = { at: now, snapshot };
    return snapshot;
  }

  /** Never fails: a queue that cannot be read is left out of this scrape, and the first failure of a run is reported. */
  private async read(): Promise<Snapshot> {
    const snapshot = new Map<string, QueueInfo>();
    let firstError: unknown;
    try {
      const known = await this.source.knownQueues();
      this.queues.admitAll(known);
      const labelled = known.filter((queue) => this.queues.has(queue));
      const results = await Promise.allSettled(labelled.map((queue) => this.source.getQueue(queue, this.liveWindowMs)));
      results.forEach((result, i) => {
        const queue = labelled[i];
        if (queue === undefined) return;
        if (result.status === 'fulfilled') snapshot.set(queue, result.value);
        else firstError ??= result.reason;
      });
    } catch (error) {
      firstError = error;
    }
    if (firstError !== undefined && !this.failing) this.onReadError(firstError);
    this.failing = firstError !== undefined;
    return snapshot;
  }
}

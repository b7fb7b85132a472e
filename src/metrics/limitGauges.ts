import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { QueueInfo } from '../domain/store.js';

type Snapshot = ReadonlyMap<string, QueueInfo>;

/** A per-queue value of the snapshot, and whether it only ever grows (a counter) or not (a gauge). */
interface QueueValue {
  name: string;
  help: string;
  kind: 'counter' | 'gauge';
  value(stats: QueueInfo): number;
}

const CLUSTER_WIDE = 'cluster-wide (the same on every replica: use max by (queue)).';

const QUEUE_VALUES: readonly QueueValue[] = [
  {
    name: 'baton_queue_key_limited_tasks',
    help: `PENDING tasks waiting for a slot (or a rate token) of their concurrency key; ${CLUSTER_WIDE}`,
    kind: 'gauge',
    value: (stats) => stats.keyLimitedTasks,
  },
  {
    name: 'baton_queue_throttled_keys',
    help: `Concurrency keys whose tasks wait for a token of the key rate limit now; ${CLUSTER_WIDE}`,
    kind: 'gauge',
    value: (stats) => stats.throttledKeys,
  },
  {
    name: 'baton_queue_throttled_claims_total',
    help: `Claims the queue's claim rate limit cut short; ${CLUSTER_WIDE}`,
    kind: 'counter',
    value: (stats) => stats.throttledClaims,
  },
  {
    name: 'baton_queue_throttled_seconds_total',
    help: `How long the queue's claim rate limit held claimable tasks back; ${CLUSTER_WIDE}`,
    kind: 'counter',
    value: (stats) => stats.throttledMs / 1000,
  },
  {
    name: 'baton_queue_key_throttled_tasks_total',
    help: `Times a claim held a task back for want of a token of its key's rate limit; ${CLUSTER_WIDE}`,
    kind: 'counter',
    value: (stats) => stats.keyThrottledTasks,
  },
];

/**
 * The flow-control metrics of every labelled queue, read from the same snapshot as the queue gauges: what the
 * per-key concurrency and the rate limits hold back, and the ACTIVE tasks of each queue's busiest keys (at most
 * ten keys per queue, so the label stays bounded).
 */
export function registerLimitMetrics(registry: Registry, read: () => Promise<Snapshot>): void {
  for (const metric of QUEUE_VALUES) {
    const options = {
      name: metric.name,
      help: metric.help,
      labelNames: ['queue'] as const,
      registers: [registry],
    };
    if (metric.kind === 'gauge') {
      new Gauge({
        ...options,
        async collect() {
          const snapshot = await read();
          this.reset();
          for (const [queue, stats] of snapshot) this.set({ queue }, metric.value(stats));
        },
      });
    } else {
      new Counter({
        ...options,
        async collect() {
          const snapshot = await read();
          this.reset();
          for (const [queue, stats] of snapshot) this.inc({ queue }, metric.value(stats));
        },
      });
    }
  }
  new Gauge({
    name: 'baton_queue_concurrency_key_active_tasks',
    help: `ACTIVE tasks of the queue's busiest concurrency keys (at most 10 per queue); ${CLUSTER_WIDE}`,
    labelNames: ['queue', 'key'] as const,
    registers: [registry],
    async collect() {
      const snapshot = await read();
      this.reset();
      for (const [queue, stats] of snapshot) {
        for (const usage of stats.topConcurrencyKeys) this.set({ queue, key: usage.key }, usage.active);
      }
    },
  });
}

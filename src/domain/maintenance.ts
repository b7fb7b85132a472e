import type { LifecycleObserver } from './observer.js';
import type { TaskStore } from './store.js';

export interface MaintenanceOptions {
  retentionMs: number;
  /** Workers not seen for this long are forgotten (their per-queue counters too). */
  workerRetentionMs: number;
  /** How often the loop looks for queues that are due. */
  tickMs: number;
  /** Every queue is reaped at least this often, even when nothing in it is known to be due. */
  maxIntervalMs: number;
  /** Tasks handled per step per reap call. */
  batchLimit: number;
  onError: (error: unknown) => void;
  /** Told the queues found and each reap's outcome (metrics). */
  observer?: LifecycleObserver;
}

// New queues are picked up this quickly, so their first leases are watched too.
const QUEUE_LIST_REFRESH_MS = 1_000;

/**
 * Runs the reap script for every known queue: lease expiry, deadlines, due scheduled tasks, retention. Every
 * replica runs this loop; the scripts make concurrent runs safe, so there is no leader to elect or lose.
 */
export class Maintenance {
  private readonly nextRunAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private queuesRefreshedAt = 0;
  private stopped = false;

  constructor(
    private readonly store: TaskStore,
    private readonly options: MaintenanceOptions,
  ) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Runs one pass over the queues that are due now. Public so tests can drive it deterministically. */
  async runOnce(now = Date.now()): Promise<void> {
    if (now - this.queuesRefreshedAt >= QUEUE_LIST_REFRESH_MS) {
      await this.store.reapWorkers(this.options.workerRetentionMs);
      const queues = await this.store.knownQueues();
      this.options.observer?.queuesKnown(queues);
      for (const queue of queues) {
        if (!this.nextRunAt.has(queue)) this.nextRunAt.set(queue, 0);
      }
      this.queuesRefreshedAt = now;
    }
    const due = [...this.nextRunAt].filter(([, at]) => at <= now).map(([queue]) => queue);
    await Promise.all(due.map((queue) => this.reap(queue)));
  }

  private async reap(queue: string): Promise<void> {
    const { retentionMs, batchLimit, maxIntervalMs, workerRetentionMs } = this.options;
    const outcome = await this.store.reap(queue, { limit: batchLimit, retentionMs, workerRetentionMs });
    this.options.observer?.expiriesHandled(queue, outcome);
    const hitLimit = [outcome.leasesExpired, outcome.tasksExpired, outcome.tasksPromoted, outcome.tasksDeleted].some(
      (count) => count >= batchLimit,
    );
    const wait = hitLimit ? 0 : Math.min(outcome.nextDueInMs ?? maxIntervalMs, maxIntervalMs);
    this.nextRunAt.set(queue, Date.now() + wait);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch(this.options.onError)
        .finally(() => {
          this.running = undefined;
          this.schedule(this.options.tickMs);
        });
    }, delayMs);
  }
}

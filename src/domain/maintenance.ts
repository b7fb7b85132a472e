import type { LifecycleObserver } from './observer.js';
import type { TaskStore } from './store.js';

export interface MaintenanceOptions {
  retentionMs: number;
  /** Workers not seen for this long are forgotten (their per-queue counters too). */
  workerRetentionMs: number;
  /** How often the loop looks for queues that are due. */
  tickMs: number;
  /**
   * Every queue is reaped at least this often, even when nothing in it is known to be due: what other replicas
   * leased or scheduled since this one last looked, should they die before it is due.
   */
  maxIntervalMs: number;
  /** Tasks handled per step per reap call. */
  batchLimit: number;
  onError: (error: unknown) => void;
  /** Told the queues found and each reap's outcome (metrics). */
  observer?: LifecycleObserver;
}

// New queues are picked up this quickly, so their first leases are watched too.
const QUEUE_LIST_REFRESH_MS = 1_000;

/** Where the lifecycle tells maintenance of the due times it creates. */
export interface DueTimes {
  noteDue(queue: string, atMs: number): void;
}

/**
 * Runs the reap script for every known queue: lease expiry, deadlines, due scheduled tasks, retention. Every
 * replica runs this loop; the scripts make concurrent runs safe, so there is no leader to elect or lose.
 *
 * A queue is reaped when something in it is due: as the last reap found, or as this replica's own leases, delays
 * and deadlines say (noteDue), so an idle queue costs a script call per `maxIntervalMs` per replica, not per tick.
 */
export class Maintenance implements DueTimes {
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

  /**
   * Something in `queue` falls due at `atMs` (a lease this replica granted, a delay, a deadline). A queue this
   * replica has not reaped yet is reaped at once: what else falls due in it, and when, only Redis knows.
   */
  noteDue(queue: string, atMs: number): void {
    const next = this.nextRunAt.get(queue);
    if (next === undefined) this.nextRunAt.set(queue, 0);
    else if (atMs < next) this.nextRunAt.set(queue, atMs);
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
    // Not due again until the script answers, unless noteDue says otherwise meanwhile; after a failure, next tick.
    this.nextRunAt.set(queue, Infinity);
    let wait = 0;
    try {
      const outcome = await this.store.reap(queue, { limit: batchLimit, retentionMs, workerRetentionMs });
      this.options.observer?.expiriesHandled(queue, outcome);
      const hitLimit = [outcome.leasesExpired, outcome.tasksExpired, outcome.tasksPromoted, outcome.tasksDeleted].some(
        (count) => count >= batchLimit,
      );
      wait = hitLimit ? 0 : Math.min(outcome.nextDueInMs ?? maxIntervalMs, maxIntervalMs);
    } finally {
      this.noteDue(queue, Date.now() + wait);
    }
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

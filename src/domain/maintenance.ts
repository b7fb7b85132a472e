import type { LifecycleObserver } from './observer.js';
import { FLOW_CHILD_GRACE_MS } from './limits.js';
import type { QueueStore, ReapOutcome, WorkerStore } from './store.js';

export interface MaintenanceOptions {
  retentionMs: number;
  /** Workers not seen for this long are forgotten (their per-queue counters too). */
  workerRetentionMs: number;
  /** How often the loop looks for queues that are due. */
  tickMs: number;
  /**
   * Every known queue is reaped at least this often, even when nothing in it is known to be due (the slow sweep,
   * spread over the interval and shared by the replicas): due times lost with a replica that died before sharing
   * them, quiet queues' events past their age limit.
   */
  maxIntervalMs: number;
  /**
   * How long this replica's claim on a due queue keeps other replicas from reaping it: if the replica dies
   * mid-reap, another reaps the queue this much later (default DUE_CLAIM_MS).
   */
  dueClaimMs?: number;
  /** Tasks handled per step per reap call. */
  batchLimit: number;
  onError: (error: unknown) => void;
  /** Told each reap's outcome (debug logs); called after the observer. */
  onReaped?: (queue: string, outcome: ReapOutcome) => void;
  /** Told the queues found and each reap's outcome (metrics). */
  observer?: LifecycleObserver;
  /** Tells the parents of children a reap found left on the outbox past its grace (flows.ts). */
  outbox?: { tellParents(queue: string): Promise<number> };
  /** How long a parent waits before it is checked for children never stored (default FLOW_CHILD_GRACE_MS). */
  childGraceMs?: number;
  /** Checks parents waiting past that grace for children never stored (flowRepair.ts). */
  flowRepair?: { checkParents(queue: string): Promise<number> };
}

// The list of queues (for the sweep and the metrics) is read this often.
const QUEUE_LIST_REFRESH_MS = 1_000;
/** Reaps one replica starts per tick at most: a restart with many queues due is worked through, not all at once. */
export const REAPS_PER_TICK = 50;
/**
 * The sweep reaps at most this many queues a second, all replicas together, so idle maintenance costs a bounded
 * number of scripts however many queues exist: with more queues than this over maxIntervalMs, a round takes longer.
 */
export const SWEEP_PER_SECOND_MAX = 50;
/** A replica asks for its next stretch of the sweep this often (or once per tick, if ticks are slower). */
export const SWEEP_CLAIM_EVERY_MS = 1_000;
/** How long a replica's claim on a due queue lasts unless it gives the claim back sooner (it does, after the reap). */
export const DUE_CLAIM_MS = 2_000;

/**
 * A queue where tasks finished is reaped this soon after: a finished task's retention (the queue's own, or the
 * default) is known only to the reap script, which then records when the oldest finished task expires. A queue with
 * something due sooner (a lease) is unaffected.
 */
export const FINISHED_REAP_DELAY_MS = 1_000;

/** Where maintenance hears when what the lifecycle's changes made falls due (from ReportingTaskStore). */
export interface DueTimes {
  noteDue(queue: string, atMs: number): void;
}

/**
 * Runs the reap script for queues with something due: lease expiry, deadlines, due scheduled tasks, retention.
 * Every replica runs this loop and the replicas share the work, so there is no leader to elect or lose.
 *
 * What is due is shared: a replica notes the due times its changes make (noteDue) in an index in Redis, a batch
 * per tick. Each tick a replica claims up to REAPS_PER_TICK queues that the index says are due (claimDue): they
 * leave the index, so each due queue is reaped by one replica, not by all of them. After the reap the replica gives
 * the claim back with when the queue is next due. A claim not given back (the replica died) lapses after
 * `dueClaimMs` and is handed to another replica, so a dead replica's leases are still requeued. The slow sweep
 * reaps every known queue once per `maxIntervalMs`, at most SWEEP_PER_SECOND_MAX a second, for all replicas
 * together: they take turns on one cursor over the sorted queue list (claimSweep), each asking about once per
 * SWEEP_CLAIM_EVERY_MS. So each replica's cost is the due queues and the sweep divided by the replicas.
 */
export class Maintenance implements DueTimes {
  /** Queues to reap here, by when: claimed from the shared index, or reached by the sweep. */
  private readonly nextRunAt = new Map<string, number>();
  /** Due times noted since the last tick, for the shared index. */
  private readonly unshared = new Map<string, number>();
  private readonly reaping = new Set<string>();
  /** Queues this replica claimed from the shared index, with when the claim lapses: given back after the reap. */
  private readonly claimed = new Map<string, number>();
  /** The known queues, sorted, so every replica's sweep positions name the same queues. */
  private queues: string[] = [];
  private nextSweepClaimAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private queuesRefreshedAt = 0;
  private stopped = false;

  constructor(
    private readonly store: QueueStore,
    private readonly workers: Pick<WorkerStore, 'reapWorkers'>,
    private readonly options: MaintenanceOptions,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /**
   * Something in `queue` falls due at `atMs` (a lease this replica granted, a delay, a deadline): shared with the
   * other replicas at the next tick, and reaped by whichever claims it when it is due.
   */
  noteDue(queue: string, atMs: number): void {
    const shared = this.unshared.get(queue);
    if (shared === undefined || atMs < shared) this.unshared.set(queue, atMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.shareDueTimes().catch(this.options.onError);
  }

  /** Runs one pass: shares due times, claims what is due, and reaps it. Public so tests can drive it. */
  async runOnce(now = Date.now()): Promise<void> {
    if (now - this.queuesRefreshedAt >= QUEUE_LIST_REFRESH_MS) {
      await this.workers.reapWorkers(this.options.workerRetentionMs);
      const queues = await this.store.knownQueues();
      this.options.observer?.queuesKnown(queues);
      this.queues = queues.sort();
      this.queuesRefreshedAt = now;
    }
    await this.shareDueTimes();
    const room = REAPS_PER_TICK - this.reaping.size - [...this.nextRunAt.values()].filter((at) => at <= now).length;
    // A look first, one plain command: an idle tick runs no script.
    if (room > 0 && (await this.store.anyDue(now))) {
      const { queues, claimedUntil } = await this.store.claimDue(now, room, this.options.dueClaimMs ?? DUE_CLAIM_MS);
      for (const queue of queues) {
        this.claimed.set(queue, claimedUntil);
        this.markDueAt(queue, now);
      }
    }
    await this.sweep(now);
    const due = [...this.nextRunAt]
      .filter(([queue, at]) => at <= now && !this.reaping.has(queue))
      .slice(0, REAPS_PER_TICK)
      .map(([queue]) => queue);
    await Promise.all(due.map((queue) => this.reap(queue)));
  }

  /**
   * Marks this replica's next stretch of the shared sweep due. It asks no more often than the shared pace owes a
   * queue, so a few quiet queues cost no script a tick. A stretch is what the pace owed since anyone last asked:
   * the replicas ask at random moments around that period, never in step, so each gets its share.
   */
  private async sweep(now: number): Promise<void> {
    if (this.queues.length === 0 || now < this.nextSweepClaimAt) return;
    const { maxIntervalMs, tickMs } = this.options;
    const perMs = Math.min(this.queues.length / maxIntervalMs, SWEEP_PER_SECOND_MAX / 1_000);
    this.nextSweepClaimAt = now + Math.max(SWEEP_CLAIM_EVERY_MS, tickMs, 1 / perMs) * (0.5 + Math.random());
    const { start, count } = await this.store.claimSweep(this.queues.length, maxIntervalMs, SWEEP_PER_SECOND_MAX, REAPS_PER_TICK);
    for (let i = 0; i < count; i++) {
      const queue = this.queues[(start + i) % this.queues.length];
      if (queue !== undefined) this.markDueAt(queue, now);
    }
  }

  private async shareDueTimes(): Promise<void> {
    if (this.unshared.size === 0) return;
    const dues = new Map(this.unshared);
    this.unshared.clear();
    try {
      await this.store.noteDue(dues);
    } catch (error) {
      // Kept for the next tick, unless sooner ones were noted meanwhile.
      for (const [queue, at] of dues) if (!((this.unshared.get(queue) ?? Infinity) <= at)) this.unshared.set(queue, at);
      throw error;
    }
  }

  private async reap(queue: string): Promise<void> {
    const { retentionMs, batchLimit, workerRetentionMs } = this.options;
    // Not due again here until the script answers.
    this.nextRunAt.delete(queue);
    this.reaping.add(queue);
    try {
      const childGraceMs = this.options.childGraceMs ?? FLOW_CHILD_GRACE_MS;
      const outcome = await this.store.reap(queue, { limit: batchLimit, retentionMs, workerRetentionMs, childGraceMs });
      this.options.observer?.expiriesHandled(queue, outcome);
      this.options.onReaped?.(queue, outcome);
      if (outcome.untoldChildren) await this.options.outbox?.tellParents(queue);
      if (outcome.uncheckedParents) await this.options.flowRepair?.checkParents(queue);
      const hitLimit = [outcome.leasesExpired, outcome.tasksExpired, outcome.tasksPromoted, outcome.tasksDeleted].some(
        (count) => count >= batchLimit,
      );
      const nextDueAt = hitLimit ? Date.now() : outcome.nextDueInMs === undefined ? undefined : Date.now() + outcome.nextDueInMs;
      const claimedUntil = this.claimed.get(queue);
      if (claimedUntil !== undefined) {
        this.claimed.delete(queue);
        await this.store.reschedule(queue, claimedUntil, nextDueAt);
      } else if (nextDueAt !== undefined) {
        // Found by the sweep: shared with the next tick's batch.
        this.noteDue(queue, nextDueAt);
      }
    } catch (error) {
      // Tried again next tick; a claim that is not given back meanwhile lapses, and another replica tries.
      this.markDueAt(queue, Date.now());
      throw error;
    } finally {
      this.reaping.delete(queue);
    }
  }

  private markDueAt(queue: string, atMs: number): void {
    const next = this.nextRunAt.get(queue);
    if (next === undefined || atMs < next) this.nextRunAt.set(queue, atMs);
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

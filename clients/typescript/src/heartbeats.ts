import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { Progress, Task as Task } from './contract.js';
import { type BatonClient } from './client.js';
import { durationFromMs } from './time.js';
import { LeaseLostError, statusOf } from './errors.js';

/** Answers (to a heartbeat or an outcome) that mean the lease is gone for good. */
export const LEASE_GONE_CODES = new Set<grpc.status>([
  grpc.status.ABORTED,
  grpc.status.NOT_FOUND,
  grpc.status.FAILED_PRECONDITION,
]);

/** The lease on one held task: what its heartbeats learnt, and their own bookkeeping. */
export class Lease {
  /** performance.now() by which the lease has surely run out unless a heartbeat renews it. */
  deadline = 0;
  /** performance.now() of the first heartbeat, while the task waits for it among the keeper's fresh leases. */
  firstBeatAt = 0;
  /** A heartbeat's answer asked for the task to be cancelled. */
  cancelRequested = false;
  /** The server no longer honours our token: no more heartbeats, the outcome is dropped. */
  lost = false;
  /** The next heartbeat. */
  timer: NodeJS.Timeout | undefined = undefined;
  /** Fires at the deadline: no renewal by then means the lease is gone. */
  watchdog: NodeJS.Timeout | undefined = undefined;
  beating = false;
  beatAgain = false;
  /** Progress for the next heartbeat to carry, and who waits for the server to have it. */
  progress: Progress | undefined = undefined;
  progressWaiters: (() => void)[] = [];
}

/** A held task as its lease keeper sees it. */
export interface LeasedTask {
  readonly task: Task;
  readonly token: string;
  readonly lease: Lease;
  /** Only read here: nothing to keep once the task is over; a reporting task's outcome is on its way. */
  readonly phase: 'waiting' | 'running' | 'reporting' | 'over';
}

/** What the worker does when a heartbeat changes a task's fate. */
export interface LeaseEvents<T extends LeasedTask> {
  /** The lease is gone (heartbeats have stopped already). */
  lost(entry: T, error: LeaseLostError): void;
  /** The server asked for the task to be cancelled; said once per task. */
  cancelRequested(entry: T): void;
  /** A heartbeat failed without losing the lease; it is tried again soon. */
  error(error: unknown): void;
}

/**
 * Keeps the leases of a worker's held tasks alive: a heartbeat per task every `heartbeatMs` renews its lease for
 * `leaseMs`, carries the handler's progress and brings back cancel requests; a watchdog declares the lease lost
 * when no renewal got through in time.
 *
 * Most tasks are over long before their first heartbeat is due, so a fresh lease waits for it without timers of
 * its own: fresh leases are due in the order they were taken, and one timer serves them all. A task still held
 * when its first heartbeat is due (or that reports progress) gets its own heartbeat timer and watchdog from then
 * on. Before that its lease cannot run out unnoticed: the first heartbeat is due at most a third of the way into
 * the lease, and it checks the deadline before anything else.
 */
export class LeaseKeeper<T extends LeasedTask> {
  /** Leases waiting for their first heartbeat, oldest (first due) first. */
  private readonly fresh = new Set<T>();
  private freshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: BatonClient,
    private readonly leaseMs: number,
    private readonly heartbeatMs: number,
    private readonly on: LeaseEvents<T>,
  ) {}

  /** `receivedAt`: the server leased the task just before pushing it, a one-way trip earlier. */
  keep(entry: T, receivedAt: number): void {
    const lease = entry.lease;
    lease.deadline = receivedAt + this.leaseMs;
    lease.firstBeatAt = receivedAt + this.heartbeatMs;
    this.fresh.add(entry);
    this.freshTimer ??= setTimeout(this.onFreshDue, Math.max(0, lease.firstBeatAt - performance.now()));
  }

  /** Sends progress with a heartbeat at once. Resolves when the server has it (or the task is over); never rejects. */
  reportProgress(entry: T, progress: Progress): Promise<void> {
    const lease = entry.lease;
    if (entry.phase === 'over' || lease.lost) return Promise.resolve();
    lease.progress = progress;
    const reported = new Promise<void>((resolve) => lease.progressWaiters.push(resolve));
    this.leaveFresh(entry);
    this.scheduleBeat(entry, performance.now());
    return reported;
  }

  /** The task is over for this worker: no more heartbeats, and no one waits for progress any longer. */
  stop(entry: T): void {
    const lease = entry.lease;
    this.forget(entry);
    clearTimeout(lease.timer);
    clearTimeout(lease.watchdog);
    for (const resolve of lease.progressWaiters.splice(0)) resolve();
  }

  lose(entry: T, error: LeaseLostError): void {
    const lease = entry.lease;
    if (lease.lost || entry.phase === 'over') return;
    lease.lost = true;
    this.forget(entry);
    clearTimeout(lease.timer);
    clearTimeout(lease.watchdog);
    this.on.lost(entry, error);
  }

  /** Runs when the oldest fresh lease's first heartbeat is due: those due get their own timers and beat now. */
  private readonly onFreshDue = (): void => {
    this.freshTimer = undefined;
    const now = performance.now();
    for (const entry of this.fresh) {
      if (entry.lease.firstBeatAt > now) {
        this.freshTimer = setTimeout(this.onFreshDue, entry.lease.firstBeatAt - now);
        return;
      }
      this.leaveFresh(entry);
      this.scheduleBeat(entry, now);
    }
  };

  /** A lease that needs timers of its own from now on: its watchdog is armed (its heartbeat is the caller's). */
  private leaveFresh(entry: T): void {
    if (!this.fresh.delete(entry)) return;
    this.stopFreshTimerWhenIdle();
    this.armWatchdog(entry);
  }

  /** The task is over or its lease lost: it is no longer waited for. */
  private forget(entry: T): void {
    if (this.fresh.delete(entry)) this.stopFreshTimerWhenIdle();
  }

  // No timer is left to keep the process alive for leases that are all gone.
  private stopFreshTimerWhenIdle(): void {
    if (this.fresh.size > 0) return;
    clearTimeout(this.freshTimer);
    this.freshTimer = undefined;
  }

  private armWatchdog(entry: T): void {
    const lease = entry.lease;
    clearTimeout(lease.watchdog);
    if (entry.phase === 'over' || lease.lost) return;
    lease.watchdog = setTimeout(() => {
      if (performance.now() >= lease.deadline) {
        this.expire(entry);
      } else {
        this.armWatchdog(entry);
      }
    }, Math.max(0, lease.deadline - performance.now()));
  }

  /**
   * The lease ran out unrenewed. One reason, whichever of the watchdog and an overdue heartbeat notices first: the
   * two race when a failed heartbeat's retry comes due with the deadline.
   */
  private expire(entry: T): void {
    this.lose(entry, new LeaseLostError('no heartbeat got through before the lease ran out'));
  }

  private scheduleBeat(entry: T, at: number): void {
    const lease = entry.lease;
    if (entry.phase === 'over' || lease.lost) return;
    if (lease.beating) {
      lease.beatAgain = lease.beatAgain || at <= performance.now();
      return;
    }
    clearTimeout(lease.timer);
    lease.timer = setTimeout(() => void this.beat(entry), Math.max(0, at - performance.now()));
  }

  private async beat(entry: T): Promise<void> {
    const lease = entry.lease;
    if (entry.phase === 'over' || lease.lost || lease.beating) return;
    const sentAt = performance.now();
    if (sentAt >= lease.deadline) {
      // The event loop was blocked (or the machine slept) past the lease, or a retry came due with the watchdog: a
      // heartbeat now cannot save it.
      this.expire(entry);
      return;
    }
    lease.beating = true;
    const progress = lease.progress;
    lease.progress = undefined;
    const waiters = lease.progressWaiters.splice(0);
    let next: number;
    try {
      const reply = await this.client.heartbeat(
        {
          queue: entry.task.queue,
          task_id: entry.task.id,
          lease_token: entry.token,
          lease_duration: durationFromMs(this.leaseMs),
          ...(progress ? { progress } : {}),
        },
        // Never wait longer than the lease has left, nor so long that the next beat is late.
        { timeoutMs: Math.max(100, Math.min(this.heartbeatMs, lease.deadline - sentAt)), retry: false },
      );
      lease.deadline = sentAt + this.leaseMs;
      this.armWatchdog(entry);
      for (const resolve of waiters) resolve();
      if (reply.cancel_requested && !lease.cancelRequested) {
        lease.cancelRequested = true;
        this.on.cancelRequested(entry);
      }
      next = sentAt + this.heartbeatMs;
    } catch (error) {
      lease.progress ??= progress;
      lease.progressWaiters.unshift(...waiters);
      const code = statusOf(error);
      if (code !== undefined && LEASE_GONE_CODES.has(code)) {
        lease.beating = false;
        // While the outcome is on its way, a refused heartbeat usually means it got there first: its own answer
        // says whether the lease was lost. Beat no more either way.
        if (entry.phase === 'reporting') return;
        const reason = error instanceof Error ? error.message : String(error);
        this.lose(entry, new LeaseLostError(`the server refused a heartbeat: ${reason}`, { cause: error }));
        return;
      }
      this.on.error(error);
      // Try again soon; the watchdog gives up when the lease runs out.
      next = performance.now() + Math.min(250, this.heartbeatMs / 2);
    }
    lease.beating = false;
    if (lease.beatAgain || lease.progress) {
      lease.beatAgain = false;
      next = performance.now();
    }
    this.scheduleBeat(entry, next);
  }
}

import type { Alarm } from './wakeBoard.js';
import type { ClaimedTask } from './task.js';

/** A checked claim (Lifecycle.planClaim): lease 0 means each task's own; max tasks at least 1. */
export interface ClaimPlan {
  queues: readonly string[];
  workerId: string;
  maxTasks: number;
  leaseDurationMs: number;
  /** How long a claim may wait for work (ClaimTasks' wait_timeout); 0 for none. */
  waitMs: number;
}

export interface ClaimAttempt {
  claimed: ClaimedTask[];
  /** Epoch ms at which the earliest scheduled task of the queues becomes due (Infinity: none). */
  nextDueTime: number;
}

/** One claim attempt over the plan's queues, in order (Lifecycle). */
export type ClaimOnce = (plan: ClaimPlan, maxTasks: number) => Promise<ClaimAttempt>;

/**
 * A claim that stands between calls, for a worker session: one alarm for its whole life, so that it asks Redis
 * only when its queues may have work (after a wake-up, a claim that filled up, a handoff that left tasks pending,
 * or when a scheduled task falls due), and takes tasks submitted on this replica straight from the submit (a
 * handoff). New credit alone does not make a worker claim again: an empty queue stays empty until a wake-up says
 * otherwise. No claim looks again on a timer of its own: the wake board's sweep covers lost wake-ups, one claim
 * per queue (see WAKE_SWEEP_MS).
 */
export class StandingClaim {
  private mayHaveWork = true;
  private recheckAt = 0;
  /** The caller's signal joined with the replica's shutdown, kept while the caller passes the same signal. */
  private stop: { signal: AbortSignal; joined: AbortSignal } | undefined;

  constructor(
    private readonly plan: ClaimPlan,
    private readonly alarm: Alarm,
    /** The replica's shutdown: ends every wait. */
    private readonly closing: AbortSignal,
    private readonly claimOnce: ClaimOnce,
  ) {}

  /** Up to `maxTasks` tasks, as soon as there are any; none when `untilMs` passes or `signal` aborts. */
  async next(maxTasks: number, signal: AbortSignal, untilMs = Infinity): Promise<ClaimedTask[]> {
    const { workerId, leaseDurationMs } = this.plan;
    const stop = this.joined(signal);
    for (;;) {
      if (stop.aborted) return [];
      if (this.alarm.takeRing()) this.mayHaveWork = true;
      if (this.mayHaveWork || Date.now() >= this.recheckAt) {
        const { claimed, nextDueTime } = await this.claimOnce(this.plan, maxTasks);
        // Fewer than asked: the queues had no more then (a wake-up since then is kept by the alarm).
        this.mayHaveWork = claimed.length >= maxTasks;
        this.recheckAt = nextDueTime;
        // A full claim: the queues may hold more, for the claims parked beside this one (a sweep's claim rings them).
        if (this.mayHaveWork) this.alarm.ringOthers();
        if (claimed.length > 0) return claimed;
      }
      if (Date.now() >= untilMs) return [];
      const handedOff = await this.alarm.wait(Math.min(untilMs, this.recheckAt), stop, {
        workerId,
        maxTasks,
        leaseDurationMs,
      });
      if (handedOff) {
        if (!handedOff.drained) this.mayHaveWork = true;
        if (handedOff.tasks.length > 0) return handedOff.tasks;
      }
    }
  }

  close(): void {
    this.alarm.disarm();
  }

  // A session passes the same signal to every call, and each AbortSignal.any costs time and lingers until collected.
  private joined(signal: AbortSignal): AbortSignal {
    if (this.stop?.signal !== signal) this.stop = { signal, joined: AbortSignal.any([signal, this.closing]) };
    return this.stop.joined;
  }
}

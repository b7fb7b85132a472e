import type { ClaimQuery } from './store.js';
import type { ClaimedTask } from './task.js';

/** Tasks a submit leased to a waiting claim. */
export interface HandedOff {
  tasks: ClaimedTask[];
  /** The queue had no pending task left afterwards. */
  drained: boolean;
}

/**
 * Where waiting claims park until their queues may have work. A wake-up comes from Redis pub/sub (published by
 * the script that made tasks claimable, on any replica), so a waiting claim reacts within milliseconds. A submit
 * on this replica does better: it hands its tasks straight to a claim waiting here (see takeWaiting).
 */

export interface Alarm {
  /** Whether a wake-up came since arming or since the last call; clears it. */
  takeRing(): boolean;
  /**
   * Resolves on a wake-up (possibly one that came before this call and was not taken), at `untilMs`, or on abort,
   * with nothing; or with what a submit handed off, when `takes` says what this claim would take.
   */
  wait(untilMs: number, signal: AbortSignal, takes?: ClaimQuery): Promise<HandedOff | undefined>;
  /** This claim found its queues may hold more than it took: wakes a few of the claims parked on them. */
  ringOthers(): void;
  disarm(): void;
}

/**
 * A waiting claim, reserved for one submit: no other submit can take it, and it waits for this one's deliver() for
 * up to the board's handoff patience. A submit slower than that (its Redis master stalls) does not hold the claim:
 * the claim claims again on its own, and deliver() then says the tasks were not taken.
 */
export interface Handoff {
  readonly claim: ClaimQuery;
  /**
   * Ends the claim's wait with what was leased to it; with nothing (the submit failed), it carries on. False when
   * the claim stopped waiting first: the caller gives back the tasks leased to it.
   */
  deliver(handedOff: HandedOff | undefined): boolean;
}

/** How long a reserved claim waits for its handoff before it stops waiting (see Handoff). */
const DEFAULT_HANDOFF_PATIENCE_MS = 250;

interface Waiter {
  ring(): void;
  /** Waiting now, and not rung since. */
  parked(): boolean;
  /** Reserves the waiter if it is waiting now and takes handoffs. */
  reserve(): Handoff | undefined;
}

/**
 * A wake-up published while the subscriber connection was down is lost; the board's sweep covers that. Parked
 * claims never look again on a timer of their own: each sweep rings one waiter per queue, whose claim looks for
 * all of them (and rings more when it finds more than it takes). So an idle queue costs one claim per period,
 * however many claims wait on it.
 */
export const WAKE_SWEEP_MS = 5_000;
/**
 * Claims a wake-up rings per queue. A claim that fills up rings as many more, so a burst of tasks reaches every
 * claim it needs while one task does not set thousands of parked claims claiming.
 */
export const WAKE_FANOUT = 4;
/** The longest delay setTimeout takes; a longer wait ends early and the claim waits again. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class WakeBoard {
  private readonly waitersByQueue = new Map<string, Set<Waiter>>();
  private sweeper: NodeJS.Timeout | undefined;

  /** Starts the periodic sweep (see WAKE_SWEEP_MS). */
  startSweeping(intervalMs = WAKE_SWEEP_MS): void {
    clearInterval(this.sweeper);
    this.sweeper = setInterval(() => {
      this.sweep();
    }, intervalMs);
    this.sweeper.unref();
  }

  stopSweeping(): void {
    clearInterval(this.sweeper);
  }

  /** Rings one waiting claim of each queue that has waiting claims, in turns. */
  sweep(): void {
    for (const queue of this.waitersByQueue.keys()) this.ring(queue, 1);
  }

  constructor(private readonly handoffPatienceMs = DEFAULT_HANDOFF_PATIENCE_MS) {}

  /** Arms an alarm before the first claim attempt, so a wake-up that races with an attempt is not missed. */
  arm(queues: readonly string[]): Alarm {
    let rang = false;
    /** Set while wait() is pending: ends it. */
    let settle: ((handedOff: HandedOff | undefined) => void) | undefined;
    let takes: ClaimQuery | undefined;
    /** The current reservation; `live` until delivered or given up on. */
    let reservation: { live: boolean } | undefined;
    const waiter: Waiter = {
      ring: () => {
        rang = true;
        if (!reservation) settle?.(undefined);
      },
      parked: () => settle !== undefined && !reservation && !rang,
      reserve: () => {
        const end = settle;
        if (!takes || !end || reservation) return undefined;
        const reserved = { live: true };
        reservation = reserved;
        const patience = setTimeout(() => {
          if (reserved.live) end(undefined);
        }, this.handoffPatienceMs);
        return {
          claim: takes,
          deliver: (handedOff) => {
            clearTimeout(patience);
            if (!reserved.live) return false;
            end(handedOff);
            return true;
          },
        };
      },
    };
    for (const queue of queues) {
      let waiters = this.waitersByQueue.get(queue);
      if (!waiters) {
        waiters = new Set();
        this.waitersByQueue.set(queue, waiters);
      }
      waiters.add(waiter);
    }
    return {
      takeRing: () => {
        const wasRung = rang;
        rang = false;
        return wasRung;
      },
      ringOthers: () => {
        for (const queue of queues) this.ring(queue, WAKE_FANOUT, waiter);
      },
      disarm: () => {
        for (const queue of queues) {
          const waiters = this.waitersByQueue.get(queue);
          waiters?.delete(waiter);
          if (waiters?.size === 0) this.waitersByQueue.delete(queue);
        }
        // A wake-up this claim will not act on is passed on.
        if (rang) for (const queue of queues) this.ring(queue, 1);
      },
      wait: (untilMs, signal, claim) =>
        new Promise<HandedOff | undefined>((resolve) => {
          const delay = untilMs - Date.now();
          if (rang || signal.aborted || delay <= 0) {
            resolve(undefined);
            return;
          }
          const done = (handedOff: HandedOff | undefined): void => {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            settle = undefined;
            takes = undefined;
            if (reservation) reservation.live = false;
            reservation = undefined;
            resolve(handedOff);
          };
          // Once reserved, only the handoff (or its patience running out) ends the wait: the tasks leased to this
          // claim should reach it.
          const onAbort = (): void => {
            if (!reservation) done(undefined);
          };
          // No deadline (a worker session with nothing scheduled): only a wake-up or an abort ends the wait.
          const timer = Number.isFinite(delay) ? setTimeout(onAbort, Math.min(delay, MAX_TIMER_MS)) : undefined;
          signal.addEventListener('abort', onAbort, { once: true });
          settle = done;
          takes = claim;
        }),
    };
  }

  /**
   * Tasks may have become claimable in `queue`: rings up to `count` of its claims, parked ones first, in turns
   * (each rung claim goes to the back of the line). A claim rung while it is claiming claims once more after.
   */
  ring(queue: string, count = WAKE_FANOUT, except?: Waiter): void {
    const waiters = this.waitersByQueue.get(queue);
    if (!waiters) return;
    const chosen: Waiter[] = [];
    for (const waiter of waiters) {
      if (chosen.length >= count) break;
      if (waiter !== except && waiter.parked()) chosen.push(waiter);
    }
    for (const waiter of waiters) {
      if (chosen.length >= count) break;
      if (waiter !== except && !chosen.includes(waiter)) chosen.push(waiter);
    }
    for (const waiter of chosen) {
      waiters.delete(waiter);
      waiters.add(waiter);
      waiter.ring();
    }
  }

  /** Reserves a claim waiting on `queue` that takes handoffs, if any, in turns. */
  takeWaiting(queue: string): Handoff | undefined {
    const waiters = this.waitersByQueue.get(queue);
    for (const waiter of waiters ?? []) {
      const handoff = waiter.reserve();
      if (!handoff) continue;
      // To the back of the line: idle workers take turns.
      waiters?.delete(waiter);
      waiters?.add(waiter);
      return handoff;
    }
    return undefined;
  }

  get waitingQueues(): number {
    return this.waitersByQueue.size;
  }
}

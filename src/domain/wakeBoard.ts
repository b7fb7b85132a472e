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
  disarm(): void;
}

/** A waiting claim, reserved for one submit: only deliver() ends its wait, and no other submit can take it. */
export interface Handoff {
  readonly claim: ClaimQuery;
  /** Ends the claim's wait with what was leased to it; with nothing (the submit failed), it carries on. */
  deliver(handedOff: HandedOff | undefined): void;
}

interface Waiter {
  ring(): void;
  /** Reserves the waiter if it is waiting now and takes handoffs. */
  reserve(): Handoff | undefined;
}

export class WakeBoard {
  private readonly waitersByQueue = new Map<string, Set<Waiter>>();

  /** Arms an alarm before the first claim attempt, so a wake-up that races with an attempt is not missed. */
  arm(queues: readonly string[]): Alarm {
    let rang = false;
    /** Set while wait() is pending: ends it. */
    let settle: ((handedOff: HandedOff | undefined) => void) | undefined;
    let takes: ClaimQuery | undefined;
    let reserved = false;
    const waiter: Waiter = {
      ring: () => {
        rang = true;
        if (!reserved) settle?.(undefined);
      },
      reserve: () => {
        if (!takes || !settle || reserved) return undefined;
        reserved = true;
        return { claim: takes, deliver: settle };
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
      disarm: () => {
        for (const queue of queues) {
          const waiters = this.waitersByQueue.get(queue);
          waiters?.delete(waiter);
          if (waiters?.size === 0) this.waitersByQueue.delete(queue);
        }
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
            reserved = false;
            resolve(handedOff);
          };
          // Once reserved, only the handoff ends the wait: the tasks leased to this claim must reach it.
          const onAbort = (): void => {
            if (!reserved) done(undefined);
          };
          const timer = setTimeout(onAbort, delay);
          signal.addEventListener('abort', onAbort, { once: true });
          settle = done;
          takes = claim;
        }),
    };
  }

  ring(queue: string): void {
    const waiters = this.waitersByQueue.get(queue);
    if (!waiters) return;
    for (const waiter of [...waiters]) waiter.ring();
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

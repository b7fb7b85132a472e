import type { ClaimAttempt, ClaimPlan } from './claims.js';
import type { ClaimOutcome, ClaimQuery, TaskStore } from './store.js';
import type { ClaimedTask } from './task.js';

/** How long a claim waits for one queue before it asks the next one without it. */
const DEFAULT_SLOW_QUEUE_MS = 250;
/** A claim call not yet settled: when it started, and whether a round already left it behind as slow. */
interface OutstandingCall {
  startedAt: number;
  leftBehind: boolean;
}

/** How soon a claim asks again a queue that failed or was slow while others answered. */
const RECHECK_SLOW_QUEUE_MS = 500;

/** A queue's claim call settled: its outcome, or its error. */
type Answer = { outcome: ClaimOutcome } | { error: Error };

/** One queue's claim call in a round. */
interface QueueCall {
  queue: string;
  call: Promise<ClaimOutcome>;
}

/**
 * One claim round over several queues, each queue asked on its own (each may live on its own Redis master), so a
 * master that stops answering slows only its own queues.
 *
 * The queues are tried in order, as documented: each is asked for what is still wanted once the queues before it
 * answered, so a claim never takes more than it delivers. A queue that has not answered within `slowQueueMs` is
 * left behind (the round asks the next ones without it), and while a call to a queue has been outstanding that long
 * the other rounds of this replica skip that queue (its master is likely frozen: more commands would only queue up
 * behind the first) until the call settles, which it does within the command timeout, or as soon as the master
 * answers again. Leases a queue left behind grants after all are given back at once (release): the round did not
 * wait for them. When no queue answers in time, the round waits for the first to answer, as a claim on one queue
 * does (and fails, UNAVAILABLE, only when every queue fails); when every queue is stalled, each is asked as usual.
 */
export class QueueClaims {
  /** Per queue, its claim calls still outstanding (when each started), from every round of this replica. */
  private readonly outstanding = new Map<string, Set<OutstandingCall>>();

  constructor(
    private readonly store: Pick<TaskStore, 'claim' | 'release'>,
    private readonly slowQueueMs = DEFAULT_SLOW_QUEUE_MS,
  ) {}

  async claimOnce(plan: ClaimPlan, maxTasks: number): Promise<ClaimAttempt> {
    const { workerId, leaseDurationMs } = plan;
    const claimed: ClaimedTask[] = [];
    const behind: QueueCall[] = [];
    let nextDueTime = Infinity;
    let failure: Error | undefined;
    let anyAnswered = false;
    const stalled = new Set(plan.queues.filter((queue) => this.isStalled(queue)));
    // With every queue stalled there is nothing better to wait for: each is asked and waited for as usual.
    if (stalled.size === plan.queues.length) stalled.clear();
    for (const queue of plan.queues) {
      if (claimed.length >= maxTasks) break;
      if (stalled.has(queue)) {
        nextDueTime = Math.min(nextDueTime, Date.now() + RECHECK_SLOW_QUEUE_MS);
        continue;
      }
      const { call, record } = this.track(queue, { workerId, maxTasks: maxTasks - claimed.length, leaseDurationMs });
      const entry = { queue, call };
      const answer = await this.within(call, this.slowQueueMs);
      if (answer === undefined) {
        // Stalled from now on, whatever the clocks' rounding says, until the call settles.
        record.leftBehind = true;
        behind.push(entry);
        nextDueTime = Math.min(nextDueTime, Date.now() + RECHECK_SLOW_QUEUE_MS);
        continue;
      }
      anyAnswered = true;
      if ('error' in answer) {
        // A queue whose Redis fails does not cost the leases the others granted: they are delivered.
        failure ??= answer.error;
        nextDueTime = Math.min(nextDueTime, Date.now() + RECHECK_SLOW_QUEUE_MS);
        continue;
      }
      claimed.push(...answer.outcome.claimed);
      if (answer.outcome.nextDueTime !== undefined) nextDueTime = Math.min(nextDueTime, answer.outcome.nextDueTime);
    }
    if (!anyAnswered && behind.length > 0) return this.waitForFirst(behind, maxTasks);
    for (const entry of behind) this.giveBackWhenAnswered(entry);
    if (claimed.length === 0 && failure !== undefined) throw failure;
    return { claimed, nextDueTime };
  }

  /**
   * No queue answered in time: waits until one does, and answers with what those that answered by then gave (in
   * queue order, up to `maxTasks`); the others' leases are given back when they answer. Only when every queue fails
   * does the round fail, with the first one's error.
   */
  private async waitForFirst(calls: QueueCall[], maxTasks: number): Promise<ClaimAttempt> {
    const answers: (Answer | undefined)[] = calls.map(() => undefined);
    const settled = calls.map((entry, i) =>
      this.within(entry.call, Infinity).then((answer) => {
        answers[i] = answer;
        return answer;
      }),
    );
    let pending = settled.length;
    while (pending > 0) {
      const answer = await Promise.race(settled.filter((_, i) => answers[i] === undefined));
      pending = answers.filter((a) => a === undefined).length;
      if (answer && !('error' in answer)) break;
    }
    const claimed: ClaimedTask[] = [];
    let nextDueTime = pending > 0 ? Date.now() + RECHECK_SLOW_QUEUE_MS : Infinity;
    let failure: Error | undefined;
    answers.forEach((answer, i) => {
      const entry = calls[i];
      if (!entry) return;
      if (answer === undefined) {
        this.giveBackWhenAnswered(entry);
      } else if ('error' in answer) {
        failure ??= answer.error;
        nextDueTime = Math.min(nextDueTime, Date.now() + RECHECK_SLOW_QUEUE_MS);
      } else {
        const room = maxTasks - claimed.length;
        claimed.push(...answer.outcome.claimed.slice(0, room));
        this.giveBack(entry.queue, answer.outcome.claimed.slice(room));
        if (answer.outcome.nextDueTime !== undefined) nextDueTime = Math.min(nextDueTime, answer.outcome.nextDueTime);
      }
    });
    if (claimed.length === 0 && failure !== undefined && pending === 0) throw failure;
    return { claimed, nextDueTime };
  }

  private giveBackWhenAnswered(entry: QueueCall): void {
    entry.call.then(
      (outcome) => {
        this.giveBack(entry.queue, outcome.claimed);
      },
      () => undefined,
    );
  }

  /**
   * Leases nobody will receive go back at once rather than run out. Nobody else holds their tokens, so this is safe
   * whatever happens; if the release fails, the lease runs out as an abandoned one does.
   */
  private giveBack(queue: string, leases: readonly ClaimedTask[]): void {
    for (const { task, leaseToken } of leases) this.store.release(queue, task.id, leaseToken).catch(() => undefined);
  }

  /** The queue's claim, noted as outstanding until it settles. */
  private track(queue: string, query: ClaimQuery): { call: Promise<ClaimOutcome>; record: OutstandingCall } {
    const started: OutstandingCall = { startedAt: Date.now(), leftBehind: false };
    let calls = this.outstanding.get(queue);
    if (!calls) {
      calls = new Set();
      this.outstanding.set(queue, calls);
    }
    calls.add(started);
    const settled = (): void => {
      calls.delete(started);
      if (calls.size === 0) this.outstanding.delete(queue);
    };
    const call = this.store.claim(queue, query);
    call.then(settled, settled);
    return { call, record: started };
  }

  /** A call to the queue has gone unanswered longer than a healthy queue takes. */
  private isStalled(queue: string): boolean {
    const calls = this.outstanding.get(queue);
    if (!calls) return false;
    const since = Date.now() - this.slowQueueMs;
    for (const { startedAt, leftBehind } of calls) if (leftBehind || startedAt <= since) return true;
    return false;
  }

  /** The call's outcome or error, if it settles within `ms`; undefined otherwise. */
  private async within(call: Promise<ClaimOutcome>, ms: number): Promise<Answer | undefined> {
    const settled = call.then(
      (outcome): Answer => ({ outcome }),
      (error: unknown) => ({ error: error instanceof Error ? error : new Error(String(error)) }),
    );
    if (ms === Infinity) return settled;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        resolve(undefined);
      }, ms);
    });
    try {
      return await Promise.race([settled, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

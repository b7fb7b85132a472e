import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnavailableError } from '../../src/domain/errors.js';
import { QueueClaims } from '../../src/domain/queueClaims.js';
import type { ClaimPlan } from '../../src/domain/claims.js';
import type { ClaimOutcome, ClaimQuery } from '../../src/domain/store.js';
import type { ClaimedTask, Task } from '../../src/domain/task.js';

const NO_EXPIRIES = { leasesExpired: 0, leasesExhausted: 0, leasesCancelled: 0, tasksExpired: 0 };

/**
 * A store whose queues each hold `tasks` tasks, answering at once, except the frozen ones: their claims wait until
 * the test thaws them. Records every claim (queue and how many it asked for) and every release.
 */
function storeWith(frozen: ReadonlySet<string>) {
  const asked: string[] = [];
  const released: string[] = [];
  const thaws: (() => void)[] = [];
  let sequence = 0;
  const lease = (queue: string): ClaimedTask => {
    sequence += 1;
    return { leaseToken: `t${sequence}`, task: { queue, id: `${queue}-${sequence}` } as Task };
  };
  const store = {
    claim(queue: string, query: ClaimQuery): Promise<ClaimOutcome> {
      asked.push(`${queue}:${query.maxTasks}`);
      const answer = (): ClaimOutcome => ({ claimed: Array.from({ length: query.maxTasks }, () => lease(queue)), expiries: NO_EXPIRIES });
      if (!frozen.has(queue)) return Promise.resolve(answer());
      return new Promise((resolve) => thaws.push(() => { resolve(answer()); }));
    },
    release(queue: string, id: string): Promise<Task> {
      released.push(id);
      return Promise.resolve({ queue, id } as Task);
    },
  };
  return { store, asked, released, thaw: () => { thaws.splice(0).forEach((thaw) => { thaw(); }); } };
}

const plan = (queues: string[], maxTasks: number): ClaimPlan => ({ queues, workerId: 'w', maxTasks, leaseDurationMs: 0, waitMs: 0 });
const ids = (claimed: ClaimedTask[]): string[] => claimed.map((c) => c.task.id);

describe('a claim over queues on different Redis masters', () => {
  it('tries the queues in order, asking each only for what is still wanted', async () => {
    const { store, asked } = storeWith(new Set());
    const { claimed } = await new QueueClaims(store, 50).claimOnce(plan(['a', 'b'], 3), 3);
    assert.deepEqual(asked, ['a:3']);
    assert.equal(claimed.length, 3);
  });

  it("answers with the healthy queues' tasks when one queue's master does not answer, and gives back what it grants late", async () => {
    const { store, asked, released, thaw } = storeWith(new Set(['a']));
    const claims = new QueueClaims(store, 50);
    const first = await claims.claimOnce(plan(['a', 'b'], 2), 2);
    assert.deepEqual(ids(first.claimed), ['b-1', 'b-2']);
    assert.ok(first.nextDueTime < Date.now() + 1_000, 'the frozen queue is asked again soon');
    // While its call is outstanding, other rounds do not queue more commands behind it.
    const second = await claims.claimOnce(plan(['a', 'b'], 1), 1);
    assert.equal(second.claimed.length, 1);
    assert.deepEqual(asked, ['a:2', 'b:2', 'b:1']);
    // The master answers at last: the round did not wait for its leases, so they go back at once.
    thaw();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(released.sort(), ['a-4', 'a-5']);
  });

  it('waits for the queues to answer when none answers in time, as a claim on one queue does', async () => {
    const { store, released, thaw } = storeWith(new Set(['a', 'b']));
    const round = new QueueClaims(store, 20).claimOnce(plan(['a', 'b'], 3), 3);
    setTimeout(thaw, 100);
    const { claimed } = await round;
    assert.deepEqual(ids(claimed), ['a-1', 'a-2', 'a-3'], 'the first queue in order fills the claim');
    assert.deepEqual(released, ['b-4', 'b-5', 'b-6'], 'the second one was asked too: its leases go back');
  });

  it('fails with the first queue\'s error when every queue fails', async () => {
    const failing = {
      claim: (queue: string) => Promise.reject(new UnavailableError('timeout', `Redis did not answer for ${queue}`)),
      release: () => Promise.reject(new Error('nothing to release')),
    };
    await assert.rejects(
      new QueueClaims(failing, 50).claimOnce(plan(['a', 'b'], 1), 1),
      (error: unknown) => error instanceof UnavailableError && /for a/.test(error.message),
    );
  });
});

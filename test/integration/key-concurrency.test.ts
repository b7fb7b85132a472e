import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import type { BatonClient } from '../../clients/typescript/src/client.js';
import { claimOne, getTask, rejectsWith, submit } from '../support/api.js';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';

/** Claims what one call gives (no wait), as `key/id` strings in claim order. */
async function claimAll(client: BatonClient, queue: string, max = 100, workerId = 'w1') {
  const { tasks } = await client.claimTasks({ queues: [queue], worker_id: workerId, max_tasks: max });
  return tasks.map((claimed) => ({
    label: `${claimed.task?.concurrency_key ?? ''}/${claimed.task?.id ?? ''}`,
    id: claimed.task?.id ?? '',
    token: claimed.lease_token,
  }));
}

async function queueView(client: BatonClient, queue: string) {
  const { queue: found } = await client.getQueue({ queue });
  assert.ok(found?.counts && found.settings);
  return found;
}

describe('per-key concurrency: at most N ACTIVE tasks per concurrency key', () => {
  const setup = useTestServer();
  const client = () => setup.client;

  it('claims at most the limit per key while other keys go on, and shows the key in the task', async () => {
    const queue = uniqueQueue('keys-limit');
    await client().updateQueue({ queue, settings: { concurrency_key_limit: 2 } });
    for (let i = 0; i < 5; i++) await submit(client(), { queue, task_id: `a${i}`, concurrency_key: 'tenant-a' });
    await submit(client(), { queue, task_id: 'b0', concurrency_key: 'tenant-b' });
    await submit(client(), { queue, task_id: 'free' });

    const claimed = await claimAll(client(), queue);
    assert.deepEqual(claimed.map((c) => c.label).sort(), ['/free', 'tenant-a/a0', 'tenant-a/a1', 'tenant-b/b0']);
    assert.deepEqual(await claimAll(client(), queue), [], 'the key at its limit holds its other tasks back');

    const view = await queueView(client(), queue);
    assert.equal(view.settings?.concurrency_key_limit, 2);
    assert.equal(view.counts?.pending, 3, 'tasks waiting for a slot are PENDING');
    assert.equal(view.key_limited_tasks, 3);
    assert.deepEqual(view.top_concurrency_keys, [
      { key: 'tenant-a', active: 2, waiting: 3 },
      { key: 'tenant-b', active: 1, waiting: 0 },
    ]);
    assert.equal((await getTask(client(), queue, 'a4')).state, 'TASK_STATE_PENDING');
    assert.equal((await getTask(client(), queue, 'a4')).concurrency_key, 'tenant-a');
    const listed = await client().listTasks({ queue, state: 'TASK_STATE_PENDING', page_size: 10 });
    assert.deepEqual(listed.tasks.map((t) => t.id).sort(), ['a2', 'a3', 'a4'], 'ListTasks finds the waiting tasks');
  });

  it('lets the key\'s next task in, highest priority first, as each slot frees (complete, fail, cancel, expiry)', async () => {
    const queue = uniqueQueue('keys-free');
    await client().updateQueue({ queue, settings: { concurrency_key_limit: 1 } });
    await submit(client(), { queue, task_id: 'first', concurrency_key: 'k', max_attempts: 1 });
    await submit(client(), { queue, task_id: 'low', concurrency_key: 'k', priority: -1 });
    await submit(client(), { queue, task_id: 'high', concurrency_key: 'k', priority: 5 });
    await submit(client(), { queue, task_id: 'mid', concurrency_key: 'k' });
    await submit(client(), { queue, task_id: 'last', concurrency_key: 'k' });

    const [first] = await claimAll(client(), queue);
    assert.equal(first?.id, 'first');
    await client().failTask({ queue, task_id: 'first', lease_token: first.token, error: { type: 'E', message: 'no', details: '' } });
    const [high] = await claimAll(client(), queue);
    assert.equal(high?.id, 'high', 'a failure gives the slot back; priority holds within the key');
    await client().completeTask({ queue, task_id: 'high', lease_token: high.token });
    assert.equal((await claimOne(client(), queue, 'w1', 1_000)).task.id, 'mid');
    await client().cancelTask({ queue, task_id: 'last' });
    assert.deepEqual(await claimAll(client(), queue), [], 'cancelling a waiting task frees no slot');

    // An ACTIVE task whose cancel is requested gives its slot back when its lease runs out.
    await client().cancelTask({ queue, task_id: 'mid' });
    const low = await eventually(async () => (await claimAll(client(), queue, 1, 'w2'))[0], 5_000, 50);
    assert.equal(low.id, 'low', 'the lease of the cancelled task ran out and freed the slot');
    assert.equal((await getTask(client(), queue, 'mid')).state, 'TASK_STATE_CANCELLED');
  });

  it('keeps the slot of a task whose lease ran out: it is requeued, not doubled', async () => {
    const queue = uniqueQueue('keys-expiry');
    await client().updateQueue({ queue, settings: { concurrency_key_limit: 1 } });
    await submit(client(), { queue, task_id: 'one', concurrency_key: 'k' });
    await submit(client(), { queue, task_id: 'two', concurrency_key: 'k' });
    await claimOne(client(), queue, 'w1', 1_000);
    const again = await eventually(async () => (await claimAll(client(), queue, 10, 'w2'))[0], 5_000, 50);
    assert.equal(again.id, 'one', 'the requeued task is claimed again before the waiting one');
    assert.deepEqual(await claimAll(client(), queue), []);
    const { top_concurrency_keys: top } = await queueView(client(), queue);
    assert.deepEqual(top, [{ key: 'k', active: 1, waiting: 1 }]);
  });

  it('lets waiting tasks in when the limit is raised or removed at run time, and holds claims back when lowered', async () => {
    const queue = uniqueQueue('keys-change');
    await client().updateQueue({ queue, settings: { concurrency_key_limit: 1 } });
    for (let i = 0; i < 4; i++) await submit(client(), { queue, task_id: `t${i}`, concurrency_key: 'k' });
    assert.equal((await claimAll(client(), queue)).length, 1);
    await client().updateQueue({ queue, settings: { concurrency_key_limit: 3 } });
    assert.equal((await claimAll(client(), queue)).length, 2, 'raised to 3: two more');
    await client().updateQueue({ queue, settings: { concurrency_key_limit: -1 } });
    assert.equal((await queueView(client(), queue)).settings?.concurrency_key_limit, 0, '-1 removes the limit');
    assert.equal((await claimAll(client(), queue)).length, 1, 'no limit: the last one');

    const lowered = uniqueQueue('keys-lowered');
    await client().updateQueue({ queue: lowered, settings: { concurrency_key_limit: 3 } });
    for (let i = 0; i < 3; i++) await submit(client(), { queue: lowered, task_id: `t${i}`, concurrency_key: 'k' });
    const [held] = await claimAll(client(), lowered, 1);
    await client().updateQueue({ queue: lowered, settings: { concurrency_key_limit: 1 } });
    assert.deepEqual(await claimAll(client(), lowered), [], 'a claimable task of a key now full waits again');
    assert.equal((await queueView(client(), lowered)).key_limited_tasks, 2);
    await client().completeTask({ queue: lowered, task_id: held?.id ?? '', lease_token: held?.token ?? '' });
    assert.equal((await claimAll(client(), lowered)).length, 1);
  });

  it('serves keys in turn: a key with a backlog does not hold back keys that came later', async () => {
    const queue = uniqueQueue('keys-fair');
    await client().updateQueue({ queue, settings: { concurrency_key_limit: 1 } });
    const submitMany = (key: string, count: number) =>
      client().submitTasks({ requests: Array.from({ length: count }, (_, i) => ({ queue, task_id: `${key}${i}`, concurrency_key: key })) });
    await submitMany('big', 60);
    await submitMany('late', 10);
    await submitMany('later', 10);
    const order: string[] = [];
    for (let i = 0; i < 30; i++) {
      const claimed = await claimOne(client(), queue);
      order.push(claimed.task.concurrency_key);
      await client().completeTask({ queue, task_id: claimed.task.id, lease_token: claimed.lease_token });
    }
    for (let round = 0; round < 10; round++) {
      assert.deepEqual(order.slice(round * 3, round * 3 + 3).sort(), ['big', 'late', 'later'], `round ${round}: ${order.join(' ')}`);
    }
  });

  it('purges waiting and claimable keyed tasks and gives their slots back', async () => {
    const queue = uniqueQueue('keys-purge');
    await client().updateQueue({ queue, settings: { concurrency_key_limit: 1 } });
    for (let i = 0; i < 3; i++) await submit(client(), { queue, task_id: `t${i}`, concurrency_key: 'k' });
    assert.equal((await client().purgeQueue({ queue })).purged_count, 3);
    assert.equal((await queueView(client(), queue)).key_limited_tasks, 0);
    await submit(client(), { queue, task_id: 'after', concurrency_key: 'k' });
    assert.equal((await claimAll(client(), queue))[0]?.id, 'after', 'the purged task left no slot held');
  });

  it('refuses a bad concurrency key or limit with INVALID_ARGUMENT naming the field', async () => {
    const queue = uniqueQueue('keys-invalid');
    await rejectsWith(client().submitTask({ queue, concurrency_key: 'has space' }), grpc.status.INVALID_ARGUMENT, /concurrency_key/);
    await rejectsWith(client().submitTask({ queue, concurrency_key: 'x'.repeat(129) }), grpc.status.INVALID_ARGUMENT, /concurrency_key.*1-128/);
    await rejectsWith(
      client().updateQueue({ queue, settings: { concurrency_key_limit: -2 } }),
      grpc.status.INVALID_ARGUMENT,
      /settings.concurrency_key_limit.*1 to 1000000/,
    );
    await rejectsWith(
      client().updateQueue({ queue, settings: { concurrency_key_limit: 1_000_001 } }),
      grpc.status.INVALID_ARGUMENT,
      /settings.concurrency_key_limit/,
    );
  });
});

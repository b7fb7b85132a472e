import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import type { Input } from '../../clients/typescript/src/client.js';
import type { SubmitTaskRequest } from '../../clients/typescript/src/contract.js';
import { DEFAULT_KEYSPACE } from '../../src/store/keys.js';
import { claimOne, duration, getTask, rejectsWith } from '../support/api.js';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';

describe('unique tasks: a submit with a unique_key returns the task holding the key', () => {
  const setup = useTestServer();
  const client = () => setup.client;
  const submitUnique = async (request: Input<typeof SubmitTaskRequest>) => {
    const response = await client().submitTask(request);
    assert.ok(response.task);
    return { task: response.task, created: response.created, debounced: response.debounced };
  };
  const taskCount = async (queue: string) => (await client().listTasks({ queue })).tasks.length;
  /** The unique keys Redis keeps for the queue: entries of its `unique` hash and of its window index. */
  const storedKeys = async (queue: string) => {
    const keys = DEFAULT_KEYSPACE.queueKeys(queue);
    const node = setup.redis.masters[0]?.client;
    assert.ok(node);
    return [await node.hlen(keys[12] ?? ''), await node.zcard(keys[13] ?? '')];
  };

  it('holds the key for the window after the submit, whatever task_id later submits name; then a submit creates again', async () => {
    const queue = uniqueQueue('unique-window');
    const first = await submitUnique({ queue, payload: Buffer.from('a'), unique_key: 'user-7', unique_for: duration(400) });
    assert.equal(first.created, true);
    assert.equal(first.task.unique_key, 'user-7', 'the task view shows its key');
    const again = await submitUnique({ queue, task_id: 'other', payload: Buffer.from('b'), unique_key: 'user-7', unique_for: duration(400) });
    assert.deepEqual([again.created, again.task.id, again.task.payload.toString()], [false, first.task.id, 'a']);
    await rejectsWith(client().getTask({ queue, task_id: 'other' }), grpc.status.NOT_FOUND);
    assert.equal((await submitUnique({ queue, unique_key: 'user-8', unique_for: duration(400) })).created, true, 'another key is free');

    const later = await eventually(async () => {
      const attempt = await submitUnique({ queue, unique_key: 'user-7', unique_for: duration(400) });
      return attempt.created ? attempt : undefined;
    });
    assert.notEqual(later.task.id, first.task.id);
    assert.equal(await taskCount(queue), 3);
  });

  it('holds a window even after its task finished and was purged, refusing with ALREADY_EXISTS naming the task', async () => {
    const queue = uniqueQueue('unique-window-purged');
    const first = await submitUnique({ queue, task_id: 'holder', unique_key: 'k', unique_for: duration(60_000) });
    const claimed = await claimOne(client(), queue);
    await client().completeTask({ queue, task_id: 'holder', lease_token: claimed.lease_token });
    const held = await submitUnique({ queue, unique_key: 'k', unique_for: duration(60_000) });
    assert.deepEqual([held.created, held.task.id, held.task.state], [false, first.task.id, 'TASK_STATE_SUCCEEDED']);
    await client().purgeQueue({ queue, include_finished: true });
    await rejectsWith(
      client().submitTask({ queue, unique_key: 'k', unique_for: duration(60_000) }),
      grpc.status.ALREADY_EXISTS,
      /unique_key is held by task "holder" .* until .* though that task was deleted since/,
    );
    assert.equal(await taskCount(queue), 0);
  });

  it('forgets a window once it ended: maintenance deletes the key from Redis', async () => {
    const queue = uniqueQueue('unique-window-reaped');
    await submitUnique({ queue, unique_key: 'short', unique_for: duration(100) });
    await submitUnique({ queue, unique_key: 'long', unique_for: duration(60_000) });
    assert.deepEqual(await storedKeys(queue), [2, 2]);
    await eventually(async () => ((await storedKeys(queue))[0] === 1 ? true : undefined));
    assert.deepEqual(await storedKeys(queue), [1, 1], 'the long window is kept');
    assert.equal((await client().getQueue({ queue })).queue?.unique_keys, 1, 'GetQueue counts the keys stored');
  });

  const untilFinished = (queue: string, taskId: string) =>
    submitUnique({ queue, task_id: taskId, unique_key: 'report', unique_until_finished: true });

  async function assertReleasedBy(label: string, finish: (queue: string) => Promise<void>): Promise<void> {
    const queue = uniqueQueue(`unique-until-${label}`);
    assert.equal((await untilFinished(queue, 'first')).created, true);
    const held = await untilFinished(queue, 'second');
    assert.deepEqual([held.created, held.task.id], [false, 'first'], 'held while the task is unfinished');
    await finish(queue);
    const after = await untilFinished(queue, 'third');
    assert.deepEqual([after.created, after.task.id], [true, 'third'], `released by ${label}`);
  }

  it('holds an until-finished key until the task succeeds', () =>
    assertReleasedBy('complete', async (queue) => {
      const claimed = await claimOne(client(), queue);
      assert.equal((await untilFinished(queue, 'x')).task.id, 'first', 'still held while ACTIVE');
      await client().completeTask({ queue, task_id: 'first', lease_token: claimed.lease_token });
    }));

  it('holds an until-finished key until the task fails for good', () =>
    assertReleasedBy('fail', async (queue) => {
      const claimed = await claimOne(client(), queue);
      await client().failTask({ queue, task_id: 'first', lease_token: claimed.lease_token, permanent: true });
    }));

  it('keeps an until-finished key through a retry: only the last failure releases it', async () => {
    const queue = uniqueQueue('unique-until-retry');
    await submitUnique({ queue, task_id: 'first', unique_key: 'r', unique_until_finished: true, max_attempts: 2 });
    const claimed = await claimOne(client(), queue);
    await client().failTask({ queue, task_id: 'first', lease_token: claimed.lease_token, retry_delay: duration(0) });
    const held = await submitUnique({ queue, unique_key: 'r', unique_until_finished: true });
    assert.deepEqual([held.created, held.task.id], [false, 'first']);
  });

  it('holds an until-finished key until the task is cancelled', () =>
    assertReleasedBy('cancel', async (queue) => {
      await client().cancelTask({ queue, task_id: 'first' });
    }));

  it('holds an until-finished key until the task is purged, and deletes the key from Redis with it', () =>
    assertReleasedBy('purge', async (queue) => {
      assert.deepEqual(await storedKeys(queue), [1, 0]);
      await client().purgeQueue({ queue });
      assert.deepEqual(await storedKeys(queue), [0, 0]);
    }));

  it('deletes a finished until-finished key when retention deletes its task', async () => {
    const queue = uniqueQueue('unique-until-retention');
    await client().updateQueue({ queue, settings: { retention: { seconds: 1, nanos: 0 } } });
    await untilFinished(queue, 'first');
    await client().cancelTask({ queue, task_id: 'first' });
    assert.deepEqual(await storedKeys(queue), [1, 0], 'kept while the finished task is retained');
    await eventually(async () => ((await storedKeys(queue))[0] === 0 ? true : undefined), 10_000);
    await rejectsWith(client().getTask({ queue, task_id: 'first' }), grpc.status.NOT_FOUND);
  });

  it('an explicit task_id that exists already is answered as before and takes no key', async () => {
    const queue = uniqueQueue('unique-id-conflict');
    await submitUnique({ queue, task_id: 'plain', payload: Buffer.from('plain') });
    const byId = await submitUnique({ queue, task_id: 'plain', unique_key: 'k', unique_for: duration(60_000) });
    assert.deepEqual([byId.created, byId.task.unique_key], [false, '']);
    const fresh = await submitUnique({ queue, task_id: 'fresh', unique_key: 'k', unique_for: duration(60_000) });
    assert.equal(fresh.created, true, 'the key was still free');
    assert.equal((await getTask(client(), queue, 'fresh')).unique_key, 'k');
  });

  it('RunTask with a held key waits on the task holding it, answering as soon as that one ends', async () => {
    const queue = uniqueQueue('unique-run');
    await submitUnique({ queue, task_id: 'holder', unique_key: 'k', unique_until_finished: true });
    const running = client().runTask({ task: { queue, task_id: 'mine', unique_key: 'k', unique_until_finished: true }, timeout: duration(30_000) });
    const claimed = await claimOne(client(), queue);
    await client().completeTask({ queue, task_id: 'holder', lease_token: claimed.lease_token, result: Buffer.from('done') });
    const completedAt = Date.now();
    const outcome = await running;
    assert.deepEqual([outcome.created, outcome.finished, outcome.task?.id, outcome.task?.result.toString()], [false, true, 'holder', 'done']);
    assert.ok(Date.now() - completedAt < 10_000, 'woken by the end of the holder, not by its own timeout');
  });

  it('refuses bad unique options with INVALID_ARGUMENT naming the field, storing nothing', async () => {
    const queue = uniqueQueue('unique-invalid');
    const cases: [Input<typeof SubmitTaskRequest>, RegExp][] = [
      [{ unique_key: 'k' }, /unique_key: set exactly one of unique_for, unique_until_finished and debounce/],
      [{ unique_key: 'k', unique_for: duration(1000), unique_until_finished: true }, /unique_key: set exactly one/],
      [{ unique_for: duration(1000) }, /unique_for: needs a unique_key/],
      [{ unique_until_finished: true }, /unique_until_finished: needs a unique_key/],
      [{ debounce: duration(1000) }, /debounce: needs a unique_key/],
      [{ unique_key: 'x'.repeat(257), unique_until_finished: true }, /unique_key: is 257 bytes; the limit is 256 bytes/],
      [{ unique_key: 'k', unique_for: duration(31 * 86_400_000) }, /unique_for: must be from 1ms to 30d/],
      [{ unique_key: 'k', unique_for: duration(0) }, /unique_for: must be from 1ms/],
      [{ unique_key: 'k', debounce: duration(100), delay: duration(100) }, /debounce: is the delay of the task: set no delay or schedule_time/],
    ];
    for (const [request, message] of cases) {
      await rejectsWith(client().submitTask({ queue, ...request }), grpc.status.INVALID_ARGUMENT, message);
    }
    const batch = await client().submitTasks({ requests: [{ queue, unique_key: 'k' }, { queue, task_id: 'ok' }] });
    assert.match(batch.results[0]?.error?.message ?? '', /^requests\[0\]\.unique_key: set exactly one/);
    assert.equal(batch.results[1]?.created, true);
    assert.equal(await taskCount(queue), 1);
  });
});

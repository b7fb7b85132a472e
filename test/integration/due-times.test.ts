/**
 * The scripts that make something fall due (a lease's end, a delay or backoff, a deadline) reply when, so that the
 * replica that called them can have maintenance handle it on time without working it out again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NewTask } from '../../src/domain/task.js';
import { createRedisClient } from '../../src/store/redis.js';
import type { RedisClient } from '../../src/store/redis.js';
import { RedisCalls } from '../../src/store/redisCalls.js';
import { RedisTaskStore } from '../../src/store/redisTaskStore.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { uniqueQueue } from '../support/baton.js';

function newTask(queue: string, id: string, fields: Partial<NewTask> = {}): NewTask {
  return {
    queue,
    id,
    payload: Buffer.from('x'),
    metadata: {},
    type: '',
    priority: 0,
    delayMs: 0,
    maxAttempts: 0,
    leaseDurationMs: 0,
    retryPolicy: { initialBackoffMs: 1_000, maxBackoffMs: 3_600_000, multiplier: 2, jitter: 0 },
    ...fields,
  };
}

describe('due times in script replies', () => {
  let redis: TestRedis;
  let client: RedisClient;
  let store: RedisTaskStore;
  const worker = { workerId: 'w', maxTasks: 10, leaseDurationMs: 0 };

  before(async () => {
    redis = await startPlainRedis();
    client = createRedisClient(redis.config, 'due-times-test');
    store = new RedisTaskStore(new RedisCalls(client, 2_000));
  });

  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('a submit replies the earliest delay or deadline it created, and none for tasks claimable now', async () => {
    const queue = uniqueQueue('due-submit');
    const plain = await store.submit(queue, [newTask(queue, 'now')], false);
    assert.equal(plain.due, undefined);

    const deadline = Date.now() + 120_000;
    const later = await store.submit(
      queue,
      [newTask(queue, 'delayed', { delayMs: 60_000 }), newTask(queue, 'deadline', { expireTime: deadline })],
      true,
    );
    const [first] = later.results;
    assert.ok(first && 'task' in first);
    const delayed = first.task;
    assert.equal(delayed.state, 'SCHEDULED');
    assert.equal(later.due, delayed.scheduleTime);

    const sooner = await store.submit(queue, [newTask(queue, 'soon', { expireTime: Date.now() + 30_000 })], true);
    const [soon] = sooner.results;
    assert.ok(soon && 'task' in soon);
    assert.equal(sooner.due, soon.task.expireTime);

    const again = await store.submit(queue, [newTask(queue, 'delayed', { delayMs: 60_000 })], false);
    assert.equal(again.due, undefined, 'an id that exists already creates nothing due');
  });

  it('a claim, a handoff and a start reply when their leases end; a heartbeat when the lease it set ends', async () => {
    const queue = uniqueQueue('due-lease');
    await store.submit(queue, [newTask(queue, 'a'), newTask(queue, 'b', { leaseDurationMs: 5_000 })], false);
    const claimed = await store.claim(queue, worker);
    const leaseEnds = claimed.claimed.map(({ task }) => task.lease?.expireTime ?? Infinity);
    assert.equal(claimed.claimed.length, 2);
    assert.equal(claimed.due, Math.min(...leaseEnds));

    const handedOff = await store.submitAndHandOff(queue, [newTask(queue, 'c')], false, worker);
    assert.equal(handedOff.handedOff.length, 1);
    assert.equal(handedOff.due, handedOff.handedOff[0]?.task.lease?.expireTime);

    const started = await store.start(newTask(queue, 'd'), { workerId: 'w', leaseDurationMs: 0, leaseToken: '', force: false });
    assert.ok('started' in started);
    assert.equal(started.due, started.started.task.lease?.expireTime);

    const held = claimed.claimed[0];
    assert.ok(held);
    const beat = await store.heartbeat(queue, held.task.id, held.leaseToken, { leaseDurationMs: 2_000 });
    assert.equal(beat.due, beat.leaseExpireTime);
  });

  it('a failure replies when its retry is due, and nothing when the task has ended', async () => {
    const queue = uniqueQueue('due-fail');
    await store.submit(queue, [newTask(queue, 'a'), newTask(queue, 'b')], false);
    const [a, b] = (await store.claim(queue, worker)).claimed;
    assert.ok(a && b);
    const failure = { type: 'E', message: 'm', details: '', permanent: false, retryDelayMs: 10_000 };
    const retried = await store.fail(queue, a.task.id, a.leaseToken, failure);
    assert.equal(retried.task.state, 'SCHEDULED');
    assert.equal(retried.due, retried.task.scheduleTime);
    const ended = await store.fail(queue, b.task.id, b.leaseToken, { ...failure, permanent: true });
    assert.equal(ended.task.state, 'FAILED');
    assert.equal(ended.due, undefined);
  });
});

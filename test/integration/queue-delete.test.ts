import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import { claimOne, duration, rejectsWith, sleep, submit } from '../support/api.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { keysOfQueue } from '../support/redisKeys.js';
import { openSession } from '../support/session.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { RedisNode, TestRedis } from '../../tools/redis/cluster.js';

describe('DeleteQueue: a queue and all its keys go at once', () => {
  let redis: TestRedis;
  let server: TestServer;
  let other: TestServer;
  before(async () => {
    redis = await startRedisCluster();
    server = await startTestServer(redis.config);
    other = await startTestServer(redis.config);
  });
  after(async () => {
    await other.stop();
    await server.stop();
    await redis.stop();
  });
  const client = () => server.client;
  const node = (): RedisNode => {
    const master = redis.masters[0];
    assert.ok(master);
    return master;
  };
  const listed = async (): Promise<string[]> => (await client().listQueues({ page_size: 1000 })).queues.map((q) => q.name);

  it('deletes tasks in every state, settings, counters and events, leaving no key of its hash tag', async () => {
    const queue = uniqueQueue('delete-all');
    await client().updateQueue({ queue, settings: { max_attempts: 3, completed_ring_size: 10 } });
    await submit(client(), { queue, task_id: 'pending' });
    await submit(client(), { queue, task_id: 'scheduled', delay: duration(3_600_000) });
    await submit(client(), { queue, task_id: 'done' });
    const claimed = await claimOne(client(), queue, 'w1');
    await client().completeTask({ queue, task_id: claimed.task.id, lease_token: claimed.lease_token });
    assert.ok((await keysOfQueue(node(), queue)).length >= 8, 'the queue has its keys before');
    assert.ok((await listed()).includes(queue));

    const { deleted_task_count } = await client().deleteQueue({ queue });
    assert.equal(deleted_task_count, 3);
    assert.deepEqual(await keysOfQueue(node(), queue), []);
    assert.ok(!(await listed()).includes(queue), 'ListQueues no longer lists it');
    await rejectsWith(client().getQueue({ queue }), grpc.status.NOT_FOUND, new RegExp(`queue "${queue}" not found`));
  });

  it('refuses while tasks are leased and changes nothing; force deletes, and the lease holder then gets NOT_FOUND', async () => {
    const queue = uniqueQueue('delete-leased');
    await submit(client(), { queue, task_id: 'held' });
    await submit(client(), { queue, task_id: 'waiting' });
    const held = await claimOne(client(), queue, 'w1');
    const before = await keysOfQueue(node(), queue);
    await rejectsWith(client().deleteQueue({ queue }), grpc.status.FAILED_PRECONDITION, /1 leased task\(s\); set force=true/);
    assert.deepEqual(await keysOfQueue(node(), queue), before);
    assert.equal((await client().getQueue({ queue })).queue?.counts?.pending, 1);

    assert.equal((await client().deleteQueue({ queue, force: true })).deleted_task_count, 2);
    assert.deepEqual(await keysOfQueue(node(), queue), []);
    await rejectsWith(
      client().completeTask({ queue, task_id: held.task.id, lease_token: held.lease_token }),
      grpc.status.NOT_FOUND,
    );
    assert.deepEqual(await keysOfQueue(node(), queue), [], 'the late completion recreated nothing');
  });

  it('answers NOT_FOUND for a queue that does not exist', async () => {
    const queue = uniqueQueue('delete-unknown');
    await rejectsWith(client().deleteQueue({ queue }), grpc.status.NOT_FOUND, new RegExp(`queue "${queue}" not found`));
  });

  it('a submit through a replica that registered the queue before the delete registers it again', async () => {
    const queue = uniqueQueue('delete-recreate');
    await submit(other.client, { queue, task_id: 'old' });
    await client().deleteQueue({ queue });
    await submit(other.client, { queue, task_id: 'new' });
    assert.ok((await listed()).includes(queue), 'listed again');
    const { tasks } = await client().listTasks({ queue });
    assert.deepEqual(tasks.map((t) => t.id), ['new']);
  });

  it('claims and worker sessions on an unknown queue neither register it nor write any key', async () => {
    const queue = uniqueQueue('claim-unknown');
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w1', wait_timeout: duration(200) });
    assert.equal(claimed.tasks.length, 0);
    const session = openSession(client(), { start: { queues: [queue], worker_id: 'w2' }, credit: 1 });
    await sleep(300);
    session.cancel();
    await session.ended;
    assert.ok(!(await listed()).includes(queue));
    assert.deepEqual(await keysOfQueue(node(), queue), []);
    await rejectsWith(client().getQueue({ queue }), grpc.status.NOT_FOUND);
  });

  it('a worker waiting on a queue with no task yet gets its first task', async () => {
    const queue = uniqueQueue('claim-first');
    const waiting = client().claimTasks({ queues: [queue], worker_id: 'w1', wait_timeout: duration(10_000) });
    await sleep(100);
    await submit(client(), { queue, task_id: 'first' });
    assert.deepEqual((await waiting).tasks.map((t) => t.task?.id), ['first']);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster } from 'ioredis';
import { claimOne, getTask, submit } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { DEFAULT_KEYSPACE } from '../../src/store/keys.js';

describe('Redis Cluster failover (3 masters, 1 replica each)', () => {
  let redis: TestRedis;
  let server: TestServer;
  before(async () => {
    redis = await startRedisCluster(3, 1);
    server = await startTestServer(redis.config);
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it('spreads queues over the masters, each queue whole on one slot', async () => {
    const probe = new Cluster(redis.config.clusterNodes ?? []);
    probe.on('error', () => undefined); // the test kills a node this client knows
    const queues = Array.from({ length: 12 }, () => uniqueQueue('spread'));
    const mastersUsed = new Set<number>();
    for (const queue of queues) {
      const task = await submit(server.client, { queue });
      const claimed = await claimOne(server.client, queue);
      const done = await server.client.completeTask({ queue, task_id: task.id, lease_token: claimed.lease_token });
      assert.equal(done.task?.state, 'TASK_STATE_SUCCEEDED');
      const slots = new Set(
        await Promise.all(DEFAULT_KEYSPACE.queueKeys(queue).map((key) => probe.call('CLUSTER', 'KEYSLOT', key) as Promise<number>)),
      );
      const [slot = -1, ...others] = slots;
      assert.equal(others.length, 0, `every key of queue ${queue} is in one slot`);
      mastersUsed.add(Math.floor(slot / Math.ceil(16384 / 3)));
    }
    probe.disconnect();
    assert.ok(mastersUsed.size > 1, 'queues land on different masters');
  });

  it('after a master dies and its replica takes over, tasks stored before are still served', async () => {
    const probe = new Cluster(redis.config.clusterNodes ?? []);
    probe.on('error', () => undefined); // the test kills a node this client knows
    // Pick queues until one lives on the first master, the one we will kill.
    const victim = redis.masters[0];
    assert.ok(victim);
    const [slotStart, slotEnd] = [0, Math.ceil(16384 / 3) - 1];
    let queue = '';
    for (;;) {
      queue = uniqueQueue('failover');
      const slot = (await probe.call('CLUSTER', 'KEYSLOT', DEFAULT_KEYSPACE.queueKeys(queue)[0] ?? '')) as number;
      if (slot >= slotStart && slot <= slotEnd) break;
    }
    const before = await submit(server.client, { queue, task_id: 'stored-before' });
    // Replication is asynchronous: wait until the replica has the write before killing the master.
    await victim.client.call('WAIT', '1', '2000');

    await victim.kill('SIGKILL');
    // The promoted replica never saw SCRIPT LOAD: the first call gets NOSCRIPT, and ioredis falls back to EVAL.
    // A claim refused with UNAVAILABLE while the cluster fails over may still run once it recovers (at least once):
    // its lease then runs out and the task comes back. Short leases keep that recovery inside the test's time.
    const claimed = await eventually(
      async () => {
        try {
          return await claimOne(server.client, queue, 'after-failover', 1_000);
        } catch {
          return undefined;
        }
      },
      20_000,
      200,
    );
    assert.equal(claimed.task.id, before.id);
    const done = await server.client.completeTask({ queue, task_id: before.id, lease_token: claimed.lease_token });
    assert.ok(done.task && done.task.errors.every((e) => e.type === 'LEASE_EXPIRED'), 'only leases lost to the failover');
    assert.equal(done.task.state, 'TASK_STATE_SUCCEEDED');
    const after = await submit(server.client, { queue, task_id: 'stored-after' });
    assert.equal((await getTask(server.client, queue, after.id)).state, 'TASK_STATE_PENDING');
    probe.disconnect();
  });
});

import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import { claimOne, duration, getTask, rejectsWith, sleep, submit } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { RedisNode, TestRedis } from '../../tools/redis/cluster.js';
import { DEFAULT_KEYSPACE } from '../../src/store/keys.js';

/** Calls of each command on a node since its stats were last reset. */
async function commandCalls(node: RedisNode): Promise<Record<string, number>> {
  const info = await node.client.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) calls[match[1] ?? ''] = Number(match[2]);
  return calls;
}

describe('replicated acknowledgements (--redis-replica-acks 1) on 3 masters with a replica each', () => {
  let redis: TestRedis;
  let server: TestServer;
  /** A queue on each master, by the master's index. */
  const queueOn: string[] = [];

  before(async () => {
    redis = await startRedisCluster(3, 1);
    server = await startTestServer({ ...redis.config, replicaAcks: 1, replicaAckTimeoutMs: 300 });
    const slotsPerMaster = Math.ceil(16384 / 3);
    const first = redis.masters[0];
    assert.ok(first);
    for (let i = 0; queueOn.filter(Boolean).length < 3; i++) {
      const queue = uniqueQueue(`acks${i}`);
      const slot = Number(await first.client.call('CLUSTER', 'KEYSLOT', DEFAULT_KEYSPACE.queueKeys(queue)[0] ?? ''));
      const master = Math.floor(slot / slotsPerMaster);
      queueOn[master] ??= queue;
    }
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it("sends each write's WAIT to the node that ran its script, and none with reads", async () => {
    await Promise.all(redis.masters.map((m) => m.client.call('CONFIG', 'RESETSTAT')));
    for (const queue of queueOn) {
      for (let i = 0; i < 5; i++) await submit(server.client, { queue, task_id: `t${i}` });
      const claimed = await claimOne(server.client, queue);
      await server.client.completeTask({ queue, task_id: claimed.task.id, lease_token: claimed.lease_token });
      await getTask(server.client, queue, 't1');
      await server.client.listTasks({ queue });
    }
    let writes = 0;
    for (const [i, master] of redis.masters.entries()) {
      const calls = await commandCalls(master);
      const scripts = (calls.evalsha ?? 0) + (calls.eval ?? 0);
      const waits = calls.wait ?? 0;
      // Per queue: 5 submits, a claim, a completion (the reads, get and list, are scripts too but pay no WAIT).
      const reads = 2;
      assert.ok(scripts >= 7 + reads, `master ${i} ran the scripts of its queue (${scripts})`);
      // A queue's registration (registerQueue.lua, on the slot of the set of queues) is a write with its WAIT too.
      assert.equal(waits, scripts - reads, `master ${i}: one WAIT per write, on the same node`);
      writes += waits;
    }
    assert.ok(writes >= 21);
  });

  it('answers UNAVAILABLE when the replica does not confirm, and only for the queues of its master', async () => {
    const [queue, other] = [queueOn[0] ?? '', queueOn[1] ?? ''];
    const replica = redis.replicas[0];
    assert.ok(replica);
    replica.process.kill('SIGSTOP');
    try {
      await rejectsWith(
        server.client.submitTask({ queue, task_id: 'frozen-replica' }, { retry: false, timeoutMs: 3_000 }),
        grpc.status.UNAVAILABLE,
        /may or may not be durable; an idempotent retry is safe/,
      );
      // Another master's queue is not affected.
      await submit(server.client, { queue: other, task_id: 'healthy' });
    } finally {
      replica.process.kill('SIGCONT');
    }
    // The retry with the same id is acknowledged once the replica confirms.
    const task = await eventually(async () => submit(server.client, { queue, task_id: 'frozen-replica' }).catch(() => undefined));
    assert.equal(task.id, 'frozen-replica');
  });

  it('does not deliver a lease its replica did not confirm, and gives it back', async () => {
    const queue = queueOn[2] ?? '';
    const replica = redis.replicas[2];
    assert.ok(replica);
    await submit(server.client, { queue, task_id: 'give-back' });
    replica.process.kill('SIGSTOP');
    try {
      await rejectsWith(
        server.client.claimTasks({
          queues: [queue],
          worker_id: 'unlucky',
          lease_duration: duration(60_000),
          wait_timeout: duration(2_000),
        }, { retry: false, timeoutMs: 5_000 }),
        grpc.status.UNAVAILABLE,
        /may or may not be durable/,
      );
    } finally {
      replica.process.kill('SIGCONT');
    }
    // Given back at once, not after the 60 s lease: another worker gets it.
    const claimed = await eventually(async () => {
      const response = await server.client
        .claimTasks({ queues: [queue], worker_id: 'lucky', wait_timeout: duration(200) })
        .catch(() => undefined);
      return response?.tasks.find((t) => t.task?.id === 'give-back');
    });
    assert.equal(claimed.task?.attempt !== undefined, true);
  });

  it('answers NOREPLICAS (min-replicas-to-write) as UNAVAILABLE naming the cause', async () => {
    const master = redis.masters[1];
    assert.ok(master);
    await master.client.call('CONFIG', 'SET', 'min-replicas-to-write', '2');
    try {
      await rejectsWith(
        server.client.submitTask({ queue: queueOn[1] ?? '', task_id: 'too-few' }, { retry: false, timeoutMs: 3_000 }),
        grpc.status.UNAVAILABLE,
        /too few replicas|NOREPLICAS/,
      );
    } finally {
      await master.client.call('CONFIG', 'SET', 'min-replicas-to-write', '0');
    }
    await sleep(0);
  });
  it('acknowledges every write of a steady load while a queue\'s slot moves to another master', async () => {
    const [from, to] = redis.masters;
    assert.ok(from && to);
    const slotsPerMaster = Math.ceil(16384 / 3);
    const slotOf = async (queue: string): Promise<number> =>
      Number(await from.client.call('CLUSTER', 'KEYSLOT', DEFAULT_KEYSPACE.queueKeys(queue)[0] ?? ''));
    let moving = '';
    for (let i = 0; !moving; i++) {
      const queue = uniqueQueue(`moving${i}`);
      const slot = await slotOf(queue);
      if (slot < slotsPerMaster && slot !== (await slotOf(queueOn[0] ?? ''))) moving = queue;
    }
    const queues = [moving, queueOn[1] ?? '', queueOn[2] ?? '', moving];
    const slot = await slotOf(moving);
    /** Moves the slot as redis-cli --cluster reshard does, a key at a time (so writes meet ASK, then MOVED). */
    const moveSlot = async (): Promise<void> => {
      const [fromId, toId] = (await Promise.all([from, to].map((m) => m.client.call('CLUSTER', 'MYID')))) as string[];
      await to.client.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId ?? '');
      await from.client.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId ?? '');
      for (;;) {
        const keys = (await from.client.call('CLUSTER', 'GETKEYSINSLOT', slot, 1)) as string[];
        if (keys.length === 0) break;
        await from.client.call('MIGRATE', '127.0.0.1', String(to.port), '', 0, 5_000, 'KEYS', ...keys);
        await sleep(50);
      }
      for (const master of [to, from, ...redis.masters.slice(2)]) await master.client.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId ?? '');
    };

    const failures: string[] = [];
    const latencies: number[] = [];
    const calls: Promise<void>[] = [];
    let moved: Promise<void> | undefined;
    for (let batch = 0; batch < 100; batch++) {
      if (batch === 20) moved = moveSlot();
      const requests = Array.from({ length: 20 }, (_, i) => ({ queue: queues[i % queues.length] ?? '', task_id: `steady-${batch}-${i}` }));
      const sent = Date.now();
      calls.push(
        server.client.submitTasks({ requests }, { retry: false, timeoutMs: 5_000 }).then(
          (reply) => {
            latencies.push(Date.now() - sent);
            for (const result of reply.results) if (result.error) failures.push(result.error.message);
          },
          (error: unknown) => {
            failures.push(String(error));
          },
        ),
      );
      await sleep(50);
    }
    await Promise.all([...calls, moved]);
    assert.equal(failures.length, 0, `${failures.length} of 2000 submits failed, e.g. ${failures.slice(0, 3).join(' | ')}`);
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? Infinity;
    assert.ok(p99 < 1_000, `p99 ${p99}ms`);
    const owner = (await to.client.call('CLUSTER', 'COUNTKEYSINSLOT', slot)) as number;
    assert.ok(owner > 0, 'the slot moved with its keys');
  });
});

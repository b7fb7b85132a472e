import assert from 'node:assert/strict';
import { WAKE_SWEEP_MS } from '../../src/domain/wakeBoard.js';
import { after, before, describe, it } from 'node:test';
import { claimOne, duration, getTask, submit } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

describe('several service replicas on one Redis Cluster', () => {
  let redis: TestRedis;
  let replicaA: TestServer;
  let replicaB: TestServer;
  before(async () => {
    redis = await startRedisCluster();
    [replicaA, replicaB] = await Promise.all([startTestServer(redis.config), startTestServer(redis.config)]);
  });
  after(async () => {
    await Promise.all([replicaA.stop(), replicaB.stop()]);
    await redis.stop();
  });

  it('a claim waiting on one replica wakes within milliseconds of a submit on another', async () => {
    const queue = uniqueQueue('wake');
    const waiting = replicaA.client.claimTasks({ queues: [queue], worker_id: 'w', wait_timeout: duration(10_000) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const submittedAt = Date.now();
    await submit(replicaB.client, { queue, task_id: 'wake-me' });
    const response = await waiting;
    const latency = Date.now() - submittedAt;
    assert.equal(response.tasks[0]?.task?.id, 'wake-me');
    assert.ok(latency < WAKE_SWEEP_MS / 5, `woke after ${latency}ms; the safety sweep alone would take ${WAKE_SWEEP_MS}ms`);
  });

  it('a waiting claim returns empty when its wait_timeout ends', async () => {
    const started = Date.now();
    const response = await replicaA.client.claimTasks({
      queues: [uniqueQueue('idle')],
      worker_id: 'w',
      wait_timeout: duration(300),
    });
    assert.equal(response.tasks.length, 0);
    assert.ok(Date.now() - started >= 290);
  });

  it('two workers racing for one task on different replicas: exactly one wins', async () => {
    for (let round = 0; round < 20; round++) {
      const queue = uniqueQueue('race');
      await submit(replicaA.client, { queue });
      const [a, b] = await Promise.all([
        replicaA.client.claimTasks({ queues: [queue], worker_id: 'a', wait_timeout: duration(100) }),
        replicaB.client.claimTasks({ queues: [queue], worker_id: 'b', wait_timeout: duration(100) }),
      ]);
      assert.equal(a.tasks.length + b.tasks.length, 1, `round ${round}: exactly one claim wins`);
    }
  });

  it('both replicas running the requeue loop never requeue one expired lease twice', async () => {
    const queue = uniqueQueue('double-reap');
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await submit(replicaA.client, { queue })).id);
    const claimed = await replicaA.client.claimTasks({
      queues: [queue],
      worker_id: 'doomed',
      max_tasks: 30,
      lease_duration: duration(1_000),
    });
    assert.equal(claimed.tasks.length, 30);
    const requeued = await eventually(async () => {
      const tasks = await Promise.all(ids.map((id) => getTask(replicaB.client, queue, id)));
      return tasks.every((t) => t.state === 'TASK_STATE_PENDING') ? tasks : undefined;
    });
    for (const task of requeued) {
      assert.equal(task.errors.length, 1, `task ${task.id} has exactly one LEASE_EXPIRED error`);
      assert.equal(task.attempt, 1);
    }
    const reclaimed = await replicaB.client.claimTasks({ queues: [queue], worker_id: 'next', max_tasks: 100 });
    assert.equal(reclaimed.tasks.length, 30, 'each task is pending exactly once');
  });

  it('an expired lease is noticed within about a second of its expiry, without any claim', async () => {
    const queue = uniqueQueue('detect');
    const task = await submit(replicaA.client, { queue });
    const claimed = await claimOne(replicaA.client, queue, 'w', 1_000);
    const expiry = Number(claimed.task.lease?.expire_time?.seconds) * 1000 + Math.floor((claimed.task.lease?.expire_time?.nanos ?? 0) / 1e6);
    const requeued = await eventually(async () => {
      const t = await getTask(replicaB.client, queue, task.id);
      return t.state === 'TASK_STATE_PENDING' ? t : undefined;
    }, 5_000, 20);
    const lag = Number(requeued.update_time?.seconds) * 1000 + Math.floor((requeued.update_time?.nanos ?? 0) / 1e6) - expiry;
    assert.ok(lag >= 0 && lag < 1_300, `requeued ${lag}ms after the lease expired`);
  });
});

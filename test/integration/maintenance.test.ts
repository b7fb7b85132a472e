import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { claimOne, duration, getTask, submit, timestamp } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import type { Task } from '../../clients/typescript/src/contract.js';

/** Scripts Redis has run so far (EVALSHA and EVAL calls). */
async function scriptCalls(redis: TestRedis): Promise<number> {
  let calls = 0;
  for (const node of redis.masters) {
    const stats = await node.client.info('commandstats');
    for (const match of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1]);
  }
  return calls;
}

/** Polls a task (every 20 ms, up to 5 s) until it is in `state`. */
function reaches(server: TestServer, queue: string, id: string, state: string): Promise<Task> {
  return eventually(async () => {
    const task = await getTask(server.client, queue, id);
    return task.state === state ? task : undefined;
  }, 5_000, 20);
}

function epochMs(time: { seconds?: string | number | null; nanos?: number | null } | null | undefined): number {
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

describe('maintenance: leases, delays and deadlines handled on time, idle queues left alone', () => {
  let redis: TestRedis;
  let server: TestServer;
  /** Queues the replica has known and reaped for a while with nothing due: it has no reason to look again soon. */
  const quiet = {
    lease: uniqueQueue('quiet-lease'),
    delay: uniqueQueue('quiet-delay'),
    retry: uniqueQueue('quiet-retry'),
    deadline: uniqueQueue('quiet-deadline'),
  };
  before(async () => {
    redis = await startRedisCluster();
    server = await startTestServer(redis.config);
    for (const queue of Object.values(quiet)) await submit(server.client, { queue });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it('runs no script for queues with nothing due, however often it ticks', async () => {
    const queues = Array.from({ length: 20 }, () => uniqueQueue('idle-queue'));
    // Pending tasks: nothing in them falls due, however long they wait.
    for (const queue of queues) await submit(server.client, { queue });
    // The replica finds new queues within a second and reaps each once.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const before = await scriptCalls(redis);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const calls = (await scriptCalls(redis)) - before;
    // Each second the replica still forgets lost workers (one script); 40 ticks of 50 ms reap nothing.
    assert.ok(calls <= 4, `${calls} scripts in 2 s for 20 idle queues`);
  });

  it('requeues a lease this replica granted within moments of its expiry', async () => {
    const queue = quiet.lease;
    const claimed = await claimOne(server.client, queue, 'w', 1_000);
    const task = claimed.task;
    const requeued = await reaches(server, queue, task.id, 'TASK_STATE_PENDING');
    const lag = epochMs(requeued.update_time) - epochMs(claimed.task.lease?.expire_time);
    assert.ok(lag >= 0 && lag < 500, `requeued ${lag}ms after the lease expired`);
  });

  it('makes a delayed task claimable within moments of its time', async () => {
    const queue = quiet.delay;
    const task = await submit(server.client, { queue, delay: duration(500) });
    const due = epochMs(task.schedule_time);
    const pending = await reaches(server, queue, task.id, 'TASK_STATE_PENDING');
    const lag = epochMs(pending.update_time) - due;
    assert.ok(lag >= 0 && lag < 500, `claimable ${lag}ms after its schedule time`);
  });

  it('retries a failed task within moments of its backoff', async () => {
    const queue = quiet.retry;
    const claimed = await claimOne(server.client, queue, 'w');
    const failed = await server.client.failTask({
      queue,
      task_id: claimed.task.id,
      lease_token: claimed.lease_token,
      error: { type: 'Flaky', message: 'try again' },
      retry_delay: duration(500),
    });
    assert.equal(failed.task?.state, 'TASK_STATE_SCHEDULED');
    const pending = await reaches(server, queue, claimed.task.id, 'TASK_STATE_PENDING');
    const lag = epochMs(pending.update_time) - epochMs(failed.task.schedule_time);
    assert.ok(lag >= 0 && lag < 500, `claimable again ${lag}ms after its backoff`);
  });

  it('expires a task at its deadline', async () => {
    const queue = quiet.deadline;
    const deadline = Date.now() + 500;
    const task = await submit(server.client, { queue, expire_time: timestamp(deadline) });
    const expired = await reaches(server, queue, task.id, 'TASK_STATE_EXPIRED');
    const lag = epochMs(expired.update_time) - deadline;
    assert.ok(lag >= 0 && lag < 500, `expired ${lag}ms after its deadline`);
  });

  it('when the replica that granted a lease is gone, another requeues it within its maintenance interval', async () => {
    const survivor = await startTestServer(redis.config, {}, { maintenanceMaxIntervalMs: 1_000 });
    try {
      const granting = await startTestServer(redis.config);
      const queue = uniqueQueue('orphan-lease');
      const task = await submit(granting.client, { queue });
      // The survivor has looked at the queue by then and found nothing due.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const claimed = await claimOne(granting.client, queue, 'w', 1_000);
      await granting.stop();
      const requeued = await reaches(survivor, queue, task.id, 'TASK_STATE_PENDING');
      const lag = epochMs(requeued.update_time) - epochMs(claimed.task.lease?.expire_time);
      assert.ok(lag >= 0 && lag < 1_300, `requeued ${lag}ms after the lease expired`);
    } finally {
      await survivor.stop();
    }
  });
});

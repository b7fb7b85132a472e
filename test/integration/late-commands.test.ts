import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import { getTask, rejectsWith, submit } from '../support/api.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startPlainRedis, startRedisCluster } from '../../tools/redis/cluster.js';
import type { RedisNode, TestRedis } from '../../tools/redis/cluster.js';

/** Error replies the node sent that came from Baton's scripts ('BATON <CODE> ...'), since its stats were reset. */
async function scriptRefusals(node: RedisNode): Promise<number> {
  const info = await node.client.info('errorstats');
  return Number(/^errorstat_BATON:count=(\d+)/m.exec(info)?.[1] ?? 0);
}

/**
 * Freezes `master` (SIGSTOP) while `call` runs, so that its command sits in the master's socket; resumes it only
 * once `call` is done (Baton has answered).
 */
async function whileFrozen(master: RedisNode, call: () => Promise<void>): Promise<void> {
  await master.client.call('CONFIG', 'RESETSTAT');
  master.process.kill('SIGSTOP');
  try {
    await call();
  } finally {
    master.process.kill('SIGCONT');
  }
}

const setups: { name: string; start: () => Promise<TestRedis>; replicaAcks: number }[] = [
  { name: 'a plain Redis, no replicated acknowledgements', start: startPlainRedis, replicaAcks: 0 },
  { name: 'a cluster master with a replica, replicated acknowledgements on', start: () => startRedisCluster(1, 1), replicaAcks: 1 },
];

for (const setup of setups) {
  describe(`a command Baton timed out never runs later, once its frozen master resumes (${setup.name})`, () => {
    let redis: TestRedis;
    let server: TestServer;
    let master: RedisNode;

    before(async () => {
      redis = await setup.start();
      // A short command timeout, so the master is resumed well inside the cluster's node timeout (no failover).
      server = await startTestServer({
        ...redis.config,
        commandTimeoutMs: 400,
        replicaAcks: setup.replicaAcks,
        replicaAckTimeoutMs: 200,
      });
      const first = redis.masters[0];
      assert.ok(first);
      master = first;
    });
    after(async () => {
      await server.stop();
      await redis.stop();
    });

    it('a submit answered UNAVAILABLE is never stored', async () => {
      const queue = uniqueQueue('late-submit');
      // The queue is known already: the submit's script is the first command of the call.
      await submit(server.client, { queue, task_id: 'earlier' });
      await whileFrozen(master, () =>
        rejectsWith(
          server.client.submitTask({ queue, task_id: 'in-the-socket' }, { retry: false, timeoutMs: 10_000 }),
          grpc.status.UNAVAILABLE,
          /did not answer within 400ms/,
        ),
      );
      // The next call goes behind the frozen one on the same connection: by its answer, the submit has run.
      await rejectsWith(server.client.getTask({ queue, task_id: 'in-the-socket' }), grpc.status.NOT_FOUND);
      assert.ok((await scriptRefusals(master)) >= 1, 'the submit reached Redis and was refused there');
      assert.equal((await getTask(server.client, queue, 'earlier')).id, 'earlier');
    });

    it('a claim answered UNAVAILABLE grants no lease', async () => {
      const queue = uniqueQueue('late-claim');
      await submit(server.client, { queue, task_id: 'waiting' });
      await whileFrozen(master, () =>
        rejectsWith(
          server.client.claimTasks({ queues: [queue], worker_id: 'too-late', max_tasks: 1 }, { retry: false, timeoutMs: 10_000 }),
          grpc.status.UNAVAILABLE,
          /did not answer within 400ms/,
        ),
      );
      const task = await getTask(server.client, queue, 'waiting');
      assert.equal(task.state, 'TASK_STATE_PENDING');
      assert.equal(task.attempt, 0, 'no attempt was started');
      assert.ok((await scriptRefusals(master)) >= 1, 'the claim reached Redis and was refused there');
      const claimed = await server.client.claimTasks({ queues: [queue], worker_id: 'in-time' });
      assert.deepEqual(
        claimed.tasks.map((t) => [t.task?.id, t.task?.attempt]),
        [['waiting', 1]],
      );
    });
  });
}

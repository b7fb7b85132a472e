import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { getTask, rejectsWith, sleep, submit } from '../support/api.js';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import { lifecycleScenarios } from '../scenarios/lifecycle.js';

describe('task lifecycle on a single plain Redis', () => {
  const setup = useTestServer(startPlainRedis);
  lifecycleScenarios(() => setup.server);

  it('a ClaimTasks cancelled while its claim runs in Redis gives the task back at once, its attempt unused', async () => {
    const queue = uniqueQueue('gone');
    // A first claim makes the server know the queue, so the next one goes straight to its claim script.
    assert.equal((await setup.client.claimTasks({ queues: [queue], worker_id: 'gone-worker' })).tasks.length, 0);
    const task = await submit(setup.client, { queue, max_attempts: 1 });
    const admin = new Redis({ host: '127.0.0.1', port: setup.redis.masters[0]?.port });
    try {
      // Redis holds every write for 400 ms, so the claim script is sent and runs only after the caller has left.
      await admin.call('CLIENT', 'PAUSE', '400', 'WRITE');
      const caller = new AbortController();
      const claim = setup.client.claimTasks({ queues: [queue], worker_id: 'gone-worker' }, { signal: caller.signal });
      await sleep(100);
      caller.abort();
      await rejectsWith(claim, grpc.status.CANCELLED);
      // Long before its 30 s lease would run out.
      await eventually(async () => ((await getTask(setup.client, queue, task.id)).state === 'TASK_STATE_PENDING' ? true : undefined));
      const again = await setup.client.claimTasks({ queues: [queue], worker_id: 'next-worker' });
      // Its only attempt is still there, and no error was recorded: the task never ran.
      assert.equal(again.tasks[0]?.task?.id, task.id);
      assert.equal(again.tasks[0].task.errors.length, 0);
    } finally {
      admin.disconnect();
    }
  });
});

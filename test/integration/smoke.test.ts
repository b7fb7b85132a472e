import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestRedis } from '../support/redis.js';
import type { TestRedis } from '../support/redis.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';

describe('smoke', () => {
  let redis: TestRedis;
  let server: TestServer;
  before(async () => {
    redis = await startTestRedis();
    server = await startTestServer(redis.config);
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it('submits, claims and completes', async () => {
    const queue = uniqueQueue('smoke');
    const { task, created } = await server.client.submitTask({ queue, payload: Buffer.from('hi') });
    assert.equal(created, true);
    assert.equal(task?.state, 'TASK_STATE_PENDING');
    const claim = await server.client.claimTasks({ queues: [queue], worker_id: 'w1' });
    assert.equal(claim.tasks.length, 1);
    const claimed = claim.tasks[0];
    assert.ok(claimed?.task);
    assert.equal(claimed.task.payload.toString(), 'hi');
    const done = await server.client.completeTask({
      queue,
      task_id: claimed.task.id,
      lease_token: claimed.lease_token,
      result: Buffer.from('ok'),
    });
    assert.equal(done.task?.state, 'TASK_STATE_SUCCEEDED');
    assert.equal(done.task?.result.toString(), 'ok');
  });
});

/** WorkTasks: completions that give their credit back claim the session's next tasks in their own script. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { sleep } from '../support/api.js';
import { uniqueQueue, useTestServer } from '../support/baton.js';
import { callsBetween, commandCalls } from '../support/serverProcess.js';
import { openSession } from '../support/session.js';
import type { TestSession } from '../support/session.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';

describe('WorkTasks: the next task comes with the completion that frees its slot', () => {
  // Maintenance makes its first pass at start and then stays quiet, so the scripts counted are the session's own.
  const setup = useTestServer(() => startPlainRedis(), {}, { maintenanceTickMs: 3_600_000 });
  const client = () => setup.client;
  const scripts = async (): Promise<Map<string, number>> => {
    const redis = new Redis(setup.redis.config.url ?? '');
    try {
      return await commandCalls(redis);
    } finally {
      redis.disconnect();
    }
  };

  async function submitMany(queue: string, count: number): Promise<string[]> {
    const response = await client().submitTasks({ requests: Array.from({ length: count }, () => ({ queue })) });
    return response.results.map((r) => r.task_id);
  }

  /** Completes the session's latest task, giving its credit back in the same message. */
  function completeLatest(session: TestSession, queue: string): void {
    const latest = session.received().at(-1);
    assert.ok(latest?.task);
    session.send({ completions: [{ queue, task_id: latest.task.id, lease_token: latest.lease_token }], credit: 1 });
  }

  it('runs one script per task for a worker of one slot: the completion and the next claim together', async () => {
    const queue = uniqueQueue('next-task');
    const ids = await submitMany(queue, 6);
    const session = openSession(client(), { start: { queues: [queue], worker_id: 'w1' }, credit: 1 });
    await session.tasks(1);
    const before = await scripts();
    for (let n = 2; n <= 6; n++) {
      completeLatest(session, queue);
      await session.tasks(n);
      const [answer] = await session.completed();
      assert.equal(answer?.state, 'TASK_STATE_SUCCEEDED');
    }
    assert.equal(callsBetween(before, await scripts(), ['evalsha', 'eval']), 5, 'five completions, each claiming the next task');
    assert.deepEqual(session.received().map((c) => c.task?.id), ids, 'in queue order, each once');
    session.cancel();
  });

  it('gives credit the completion could not use to the session, which pushes a task submitted later', async () => {
    const queue = uniqueQueue('next-task-empty');
    await submitMany(queue, 1);
    const session = openSession(client(), { start: { queues: [queue], worker_id: 'w1' }, credit: 1 });
    await session.tasks(1);
    completeLatest(session, queue);
    await session.completed();
    const [later] = await submitMany(queue, 1);
    const pushed = await session.tasks(2);
    assert.equal(pushed[1]?.task?.id, later);
    session.cancel();
  });

  it('claims nothing with the completion while the queue is paused, and pushes the next task on resume', async () => {
    const queue = uniqueQueue('next-task-paused');
    const [, second] = await submitMany(queue, 2);
    const session = openSession(client(), { start: { queues: [queue], worker_id: 'w1' }, credit: 1 });
    await session.tasks(1);
    await client().pauseQueue({ queue });
    completeLatest(session, queue);
    const [answer] = await session.completed();
    assert.equal(answer?.state, 'TASK_STATE_SUCCEEDED');
    await sleep(100);
    assert.equal(session.received().length, 1, 'nothing claimed while paused');
    await client().resumeQueue({ queue });
    const pushed = await session.tasks(2);
    assert.equal(pushed[1]?.task?.id, second);
    session.cancel();
  });

  it('refuses more credit than a session may hold even when it comes with completions, changing nothing', async () => {
    const queue = uniqueQueue('next-task-credit');
    await submitMany(queue, 1);
    const session = openSession(client(), { start: { queues: [queue], worker_id: 'w1' }, credit: 1 });
    const [task] = await session.tasks(1);
    assert.ok(task?.task);
    session.send({ completions: [{ queue, task_id: task.task.id, lease_token: task.lease_token }], credit: 1_000_000 });
    const status = await session.ended;
    assert.equal(status.code, 3);
    assert.match(status.details, /credit/);
    const stored = await client().getTask({ queue, task_id: task.task.id });
    assert.equal(stored.task?.state, 'TASK_STATE_ACTIVE', 'the completion of the refused message was not made');
  });
});

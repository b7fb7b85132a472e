import assert from 'node:assert/strict';
import { WAKE_SWEEP_MS } from '../../src/domain/wakeBoard.js';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { duration, getTask, sleep, submit } from '../support/api.js';
import { startTestServer, uniqueQueue, useTestServer } from '../support/baton.js';
import { openSession } from '../support/session.js';

describe('WorkTasks: a worker session on one stream', () => {
  const setup = useTestServer();
  const client = () => setup.client;

  async function submitMany(queue: string, count: number): Promise<string[]> {
    const response = await client().submitTasks({
      requests: Array.from({ length: count }, (_, i) => ({ queue, payload: Buffer.from(`task ${i}`) })),
    });
    return response.results.map((r) => r.task_id);
  }

  it('pushes leased tasks up to the credit granted, and more as credit comes', async () => {
    const queue = uniqueQueue('session-credit');
    const ids = await submitMany(queue, 5);
    const session = openSession(client(), { start: { queues: [queue], worker_id: 'w1' }, credit: 3 });
    const first = await session.tasks(3);
    await sleep(200);
    assert.equal(session.received().length, 3, 'no task beyond the credit');
    assert.deepEqual(first.map((c) => c.task?.id), ids.slice(0, 3), 'in queue order');
    for (const claimed of first) {
      assert.equal(claimed.task?.state, 'TASK_STATE_ACTIVE');
      assert.equal(claimed.task.lease?.worker_id, 'w1');
      assert.match(claimed.lease_token, /^t/);
    }
    session.send({ credit: 10 });
    const all = await session.tasks(5);
    assert.deepEqual(all.map((c) => c.task?.id), ids);
    session.cancel();
  });

  it('pushes a task submitted while the worker waits without a poll', async () => {
    const queue = uniqueQueue('session-push');
    const session = openSession(client(), { start: { queues: [queue], worker_id: 'w1' }, credit: 1 });
    await sleep(100);
    const started = Date.now();
    const task = await submit(client(), { queue, payload: Buffer.from('now') });
    const [pushed] = await session.tasks(1);
    assert.equal(pushed?.task?.id, task.id);
    // Pushed by the submit's wake-up, well before the wake board's safety sweep would have rung the session.
    assert.ok(Date.now() - started < WAKE_SWEEP_MS / 5, `pushed ${Date.now() - started}ms after submit`);
    session.cancel();
  });

  it('leases a task submitted on the replica where a session waits by the submit itself: the submit answers ACTIVE', async () => {
    const queue = uniqueQueue('session-handoff');
    const session = openSession(client(), { start: { queues: [queue], worker_id: 'w-handoff' }, credit: 2 });
    await sleep(100);
    const submitted = await client().submitTask({ queue, payload: Buffer.from('straight') });
    assert.equal(submitted.task?.state, 'TASK_STATE_ACTIVE');
    assert.equal(submitted.task.lease?.worker_id, 'w-handoff');
    const [pushed] = await session.tasks(1);
    assert.equal(pushed?.task?.id, submitted.task.id);
    assert.equal(pushed.task.payload.toString(), 'straight');
    const delayed = await client().submitTask({ queue, delay: duration(60_000) });
    assert.equal(delayed.task?.state, 'TASK_STATE_SCHEDULED', 'a delayed task is not handed off');
    session.cancel();
  });

  it('hands nothing off while the queue is paused, and pushes it on resume', async () => {
    const queue = uniqueQueue('session-handoff-paused');
    // Only an existing queue can be paused: a setting creates it (a worker's claim does not).
    await client().updateQueue({ queue, settings: { max_attempts: 3 } });
    const session = openSession(client(), { start: { queues: [queue], worker_id: 'w' }, credit: 1 });
    await sleep(100);
    await client().pauseQueue({ queue });
    const submitted = await client().submitTask({ queue });
    assert.equal(submitted.task?.state, 'TASK_STATE_PENDING');
    await sleep(100);
    assert.equal(session.received().length, 0);
    await client().resumeQueue({ queue });
    const [pushed] = await session.tasks(1);
    assert.equal(pushed?.task?.id, submitted.task.id);
    session.cancel();
  });

  it('completes tasks sent on the stream and answers each request in order, item by item', async () => {
    const queue = uniqueQueue('session-complete');
    await submitMany(queue, 3);
    const session = openSession(client(), { start: { queues: [queue], worker_id: 'w1' }, credit: 3 });
    const [a, b, c] = await session.tasks(3);
    assert.ok(a?.task && b?.task && c?.task);
    session.send({
      completions: [
        { queue, task_id: a.task.id, lease_token: a.lease_token, result: Buffer.from('A') },
        { queue, task_id: b.task.id, lease_token: 'tstale', result: Buffer.from('B') },
      ],
    });
    session.send({ completions: [{ queue, task_id: c.task.id, lease_token: c.lease_token }], credit: 1 });
    const firstAnswer = await session.completed();
    assert.deepEqual(firstAnswer.map((r) => r.task_id), [a.task.id, b.task.id]);
    assert.equal(firstAnswer[0]?.state, 'TASK_STATE_SUCCEEDED');
    assert.equal(firstAnswer[1]?.error?.code, grpc.status.ABORTED, 'a stale token fails alone');
    const secondAnswer = await session.completed();
    assert.deepEqual(secondAnswer.map((r) => [r.task_id, r.state]), [[c.task.id, 'TASK_STATE_SUCCEEDED']]);
    assert.equal((await getTask(client(), queue, a.task.id)).result.toString(), 'A');
    assert.equal((await getTask(client(), queue, b.task.id)).state, 'TASK_STATE_ACTIVE', 'the refused item is unchanged');
    session.cancel();
  });

  it('gives each task to exactly one of several sessions', async () => {
    const queue = uniqueQueue('session-share');
    const ids = await submitMany(queue, 40);
    const sessions = [1, 2, 3].map((n) => openSession(client(), { start: { queues: [queue], worker_id: `w${n}` }, credit: 100 }));
    const deadline = Date.now() + 5_000;
    while (sessions.reduce((sum, s) => sum + s.received().length, 0) < 40 && Date.now() < deadline) await sleep(20);
    await sleep(100);
    const pushed = sessions.flatMap((s) => s.received().map((c) => c.task?.id));
    assert.equal(pushed.length, 40, 'no task pushed twice');
    assert.deepEqual(new Set(pushed), new Set(ids));
    for (const session of sessions) session.cancel();
  });

  it('ends OK when the worker closes its side, after answering the completions it sent', async () => {
    const queue = uniqueQueue('session-close');
    await submitMany(queue, 2);
    const session = openSession(client(), { start: { queues: [queue], worker_id: 'w1' }, credit: 1 });
    const [held] = await session.tasks(1);
    assert.ok(held?.task);
    session.send({ completions: [{ queue, task_id: held.task.id, lease_token: held.lease_token }] });
    session.closeSend();
    const answer = await session.completed();
    assert.equal(answer[0]?.state, 'TASK_STATE_SUCCEEDED');
    assert.equal((await session.ended).code, grpc.status.OK);
    const queueView = await client().getQueue({ queue });
    assert.equal(queueView.queue?.counts?.pending, 1, 'the task never pushed stays pending');
  });

  it('ends with UNAVAILABLE when the server shuts down, so the worker reconnects elsewhere', async () => {
    const own = await startTestServer(setup.redis.config);
    const session = openSession(own.client, { start: { queues: [uniqueQueue('session-drain')], worker_id: 'w1' }, credit: 5 });
    await sleep(100);
    const stopping = own.stop();
    const status = await session.ended;
    await stopping;
    assert.equal(status.code, grpc.status.UNAVAILABLE);
    assert.match(status.details, /shutting down/);
  });

  it('refuses a session without start, with a clear INVALID_ARGUMENT', async () => {
    const session = openSession(client(), { credit: 1 });
    const status = await session.ended;
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.details, /start.*first message/);
  });

  it('refuses a bad queue name, a bad lease and too much credit, naming the field and the limit', async () => {
    const cases: [Parameters<typeof openSession>[1], RegExp][] = [
      [{ start: { queues: ['bad queue'], worker_id: 'w' } }, /queues\[0\]/],
      [{ start: { queues: [uniqueQueue('s')], worker_id: 'w', lease_duration: duration(10) } }, /lease_duration/],
      [{ start: { queues: [uniqueQueue('s')], worker_id: 'w' }, credit: 1001 }, /credit.*1000/],
      [{ start: { queues: [uniqueQueue('s')], worker_id: 'w' }, credit: -1 }, /credit/],
    ];
    for (const [first, message] of cases) {
      const status = await openSession(client(), first).ended;
      assert.equal(status.code, grpc.status.INVALID_ARGUMENT, String(message));
      assert.match(status.details, message);
    }
  });

  it('refuses more than 10,000 credit granted and unused', async () => {
    const session = openSession(client(), { start: { queues: [uniqueQueue('session-credit-cap')], worker_id: 'w' } });
    for (let i = 0; i < 11; i++) session.send({ credit: 1000 });
    const status = await session.ended;
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.details, /credit: at most 10000/);
  });
});

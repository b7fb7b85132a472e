import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { claimOne, duration, getTask, rejectsWith, sleep, submit } from '../support/api.js';
import { uniqueQueue, useTestServer } from '../support/baton.js';

describe('StartTask: "I am running X"', () => {
  const setup = useTestServer();
  const client = () => setup.client;

  it('creates a missing task and leases it to the caller', async () => {
    const queue = uniqueQueue('start-create');
    const started = await client().startTask({
      queue,
      task_id: 'nightly-report',
      worker_id: 'cron-1',
      payload: Buffer.from('p'),
      lease_duration: duration(5_000),
    });
    assert.equal(started.created, true);
    assert.equal(started.task?.state, 'TASK_STATE_ACTIVE');
    assert.equal(started.task.attempt, 1);
    assert.equal(started.task.lease?.worker_id, 'cron-1');
    assert.equal(started.task.payload.toString(), 'p');
    const done = await client().completeTask({ queue, task_id: 'nightly-report', lease_token: started.lease_token });
    assert.equal(done.task?.state, 'TASK_STATE_SUCCEEDED');
  });

  it('leases an existing pending task to the caller', async () => {
    const queue = uniqueQueue('start-pending');
    await submit(client(), { queue, task_id: 'job' });
    const started = await client().startTask({ queue, task_id: 'job', worker_id: 'w' });
    assert.equal(started.created, false);
    assert.equal(started.task?.state, 'TASK_STATE_ACTIVE');
    const none = await client().claimTasks({ queues: [queue], worker_id: 'other' });
    assert.equal(none.tasks.length, 0, 'the started task is no longer claimable');
  });

  it('is re-entrant under the caller\'s own lease token: the lease is extended, the token kept', async () => {
    const queue = uniqueQueue('start-reentrant');
    const first = await client().startTask({ queue, task_id: 'job', worker_id: 'w', lease_duration: duration(2_000) });
    const again = await client().startTask({
      queue,
      task_id: 'job',
      worker_id: 'w',
      lease_token: first.lease_token,
      lease_duration: duration(60_000),
    });
    assert.equal(again.lease_token, first.lease_token);
    assert.equal(again.task?.attempt, 1);
    assert.ok(Number(again.task.lease?.expire_time?.seconds) > Number(first.task?.lease?.expire_time?.seconds) + 50);
  });

  it('returns ABORTED naming the holder and the lease expiry when another worker holds the task', async () => {
    const queue = uniqueQueue('start-locked');
    await submit(client(), { queue, task_id: 'job' });
    await claimOne(client(), queue, 'holder-7');
    await rejectsWith(
      client().startTask({ queue, task_id: 'job', worker_id: 'intruder' }),
      grpc.status.ABORTED,
      /held by worker "holder-7" until \d{4}-\d\d-\d\dT/,
    );
    assert.equal((await getTask(client(), queue, 'job')).lease?.worker_id, 'holder-7');
  });

  it('does not record the worker of a refused start (ABORTED changes nothing)', async () => {
    const queue = uniqueQueue('start-refused-worker');
    await submit(client(), { queue, task_id: 'job' });
    await claimOne(client(), queue, 'holder-8');
    const intruder = `intruder-${queue}`;
    await rejectsWith(client().startTask({ queue, task_id: 'job', worker_id: intruder }), grpc.status.ABORTED);
    await sleep(100);
    await rejectsWith(client().getWorker({ worker_id: intruder }), grpc.status.NOT_FOUND);
  });

  it('refuses a finished task with FAILED_PRECONDITION unless forced, and then starts a new attempt', async () => {
    const queue = uniqueQueue('start-force');
    const first = await client().startTask({ queue, task_id: 'job', worker_id: 'w' });
    await client().completeTask({ queue, task_id: 'job', lease_token: first.lease_token, result: Buffer.from('old') });
    await rejectsWith(
      client().startTask({ queue, task_id: 'job', worker_id: 'w' }),
      grpc.status.FAILED_PRECONDITION,
      /SUCCEEDED.*force=true/,
    );
    const forced = await client().startTask({ queue, task_id: 'job', worker_id: 'w', force: true });
    assert.equal(forced.task?.state, 'TASK_STATE_ACTIVE');
    assert.equal(forced.task.attempt, 2);
    assert.equal(forced.task.result.length, 0, 'the old result is cleared');
    assert.notEqual(forced.lease_token, first.lease_token);
  });
});

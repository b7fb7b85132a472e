/** WaitTask and RunTask: a caller waiting for one task's outcome. */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import type { Input } from '../../clients/typescript/src/client.js';
import { RunTaskRequest, WaitTaskRequest } from '../../clients/typescript/src/contract.js';
import { claimOne, duration, rejectsWith, submit } from '../support/api.js';
import { uniqueQueue, useTestServer } from '../support/baton.js';

describe('task updates: WaitTask and RunTask', () => {
  const setup = useTestServer();
  const client = () => setup.client;

  it('WaitTask returns as soon as the task finishes, and its current state when the timeout passes', async () => {
    const queue = uniqueQueue('wait');
    await submit(client(), { queue, task_id: 'job' });
    const started = Date.now();
    const early = await new Promise<{ finished: boolean; task?: { state: string } | undefined }>((resolve, reject) => {
      client().tasks.waitTask(WaitTaskRequest.fromPartial({ queue, task_id: 'job', timeout: duration(300) }), (error, response) => {
        if (error) reject(error);
        else resolve(response);
      });
    });
    assert.equal(early.finished, false);
    assert.equal(early.task?.state, 'TASK_STATE_PENDING');
    assert.ok(Date.now() - started >= 290);
    const waiting = new Promise<{ finished: boolean; task?: { state: string } | undefined }>((resolve, reject) => {
      client().tasks.waitTask(WaitTaskRequest.fromPartial({ queue, task_id: 'job', timeout: duration(10_000) }), (error, response) => {
        if (error) reject(error);
        else resolve(response);
      });
    });
    const claimed = await claimOne(client(), queue);
    const completedAt = Date.now();
    await client().completeTask({ queue, task_id: 'job', lease_token: claimed.lease_token });
    const done = await waiting;
    assert.equal(done.finished, true);
    assert.equal(done.task?.state, 'TASK_STATE_SUCCEEDED');
    assert.ok(Date.now() - completedAt < 500, 'returned right after the completion');
  });

  it('with many WaitTask calls on one queue, each returns when its own task finishes and the others keep waiting', async () => {
    const queue = uniqueQueue('wait-many');
    const ids = Array.from({ length: 50 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    await client().submitTasks({ requests: ids.map((task_id) => ({ queue, task_id })) });
    const wait = (task_id: string, timeoutMs: number) => client().waitTask({ queue, task_id, timeout: duration(timeoutMs) });
    const finishing = ids.slice(0, 49).map((id) => wait(id, 10_000));
    const secondOnFirst = wait('t00', 10_000);
    const started = Date.now();
    const unfinished = wait('t49', 1_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { tasks } = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 49 });
    assert.deepEqual(tasks.map((t) => t.task?.id), ids.slice(0, 49));
    await Promise.all(tasks.map((t) => client().completeTask({ queue, task_id: t.task?.id ?? '', lease_token: t.lease_token })));
    const completedAt = Date.now();
    const done = await Promise.all(finishing);
    assert.deepEqual(done.map((d) => [d.task?.id, d.finished]), ids.slice(0, 49).map((id) => [id, true]));
    assert.equal((await secondOnFirst).finished, true);
    assert.ok(Date.now() - completedAt < 2_000, 'every call returned right after its task finished, both calls on t00 too');
    const still = await unfinished;
    assert.deepEqual([still.task?.state, still.finished], ['TASK_STATE_PENDING', false]);
    assert.ok(Date.now() - started >= 950, 'the other tasks finishing did not end its wait early');
  });

  it('RunTask returns the worker\'s result, and with require_worker fails fast on a queue nobody serves', async () => {
    const queue = uniqueQueue('run');
    const worker = (async () => {
      const claimed = await client().claimTasks({ queues: [queue], worker_id: 'runner', wait_timeout: duration(10_000) });
      const item = claimed.tasks[0];
      assert.ok(item?.task);
      await client().completeTask({
        queue,
        task_id: item.task.id,
        lease_token: item.lease_token,
        result: Buffer.concat([Buffer.from('echo:'), item.task.payload]),
      });
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const run = (request: Input<typeof RunTaskRequest>): Promise<{ finished: boolean; created: boolean; task?: { result: Buffer; state: string } | undefined }> =>
      new Promise((resolve, reject) => {
        client().tasks.runTask(RunTaskRequest.fromPartial(request), (error, response) => {
          if (error) reject(error);
          else resolve(response);
        });
      });
    const outcome = await run({ task: { queue, payload: Buffer.from('ping') }, timeout: duration(10_000), require_worker: true });
    await worker;
    assert.equal(outcome.finished, true);
    assert.equal(outcome.created, true);
    assert.equal(outcome.task?.result.toString(), 'echo:ping');
    const unserved = uniqueQueue('nobody-home');
    const started = Date.now();
    await rejectsWith(
      run({ task: { queue: unserved }, timeout: duration(10_000), require_worker: true }),
      grpc.status.FAILED_PRECONDITION,
      new RegExp(`no worker has claimed from queue "${unserved}" in the last \\d+ s`),
    );
    assert.ok(Date.now() - started < 1_000, 'failed fast');
  });
});

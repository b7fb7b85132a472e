/** Lifecycle specs from submit to the first claim: order, delays, idempotency, batches, listing. */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { claimOne, duration, getTask, rejectsWith, submit, timestamp, toMs } from '../support/api.js';
import { uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';

export function submittingScenarios(server: () => TestServer): void {
  const client = () => server().client;

  describe('happy path', () => {
    it('a submitted task is claimed with its payload, completed with a result, and reads back SUCCEEDED', async () => {
      const queue = uniqueQueue('happy');
      const submitted = await submit(client(), {
        queue,
        payload: Buffer.from([0, 1, 2, 255]),
        metadata: { tenant: 'acme' },
        priority: 3,
      });
      assert.equal(submitted.state, 'TASK_STATE_PENDING');
      assert.equal(submitted.attempt, 0);
      assert.equal(submitted.max_attempts, 5);
      assert.equal(toMs(submitted.lease_duration), 30_000);

      const claimed = await claimOne(client(), queue, 'worker-a');
      assert.equal(claimed.task.id, submitted.id);
      assert.deepEqual([...claimed.task.payload], [0, 1, 2, 255]);
      assert.deepEqual(claimed.task.metadata, { tenant: 'acme' });
      assert.equal(claimed.task.state, 'TASK_STATE_ACTIVE');
      assert.equal(claimed.task.attempt, 1);
      assert.equal(claimed.task.lease?.worker_id, 'worker-a');
      assert.ok(claimed.lease_token.length >= 20, 'the lease token is long enough to be unguessable');

      const beat = await client().heartbeat({
        queue,
        task_id: submitted.id,
        lease_token: claimed.lease_token,
        progress: { current: 5, total: 10, message: 'halfway' },
      });
      assert.equal(beat.cancel_requested, false);
      assert.ok(toMs(beat.lease_expire_time) > Date.now() + 20_000);

      const completed = await client().completeTask({
        queue,
        task_id: submitted.id,
        lease_token: claimed.lease_token,
        result: Buffer.from('done'),
      });
      assert.equal(completed.task?.state, 'TASK_STATE_SUCCEEDED');

      const read = await getTask(client(), queue, submitted.id);
      assert.equal(read.state, 'TASK_STATE_SUCCEEDED');
      assert.equal(read.result.toString(), 'done');
      assert.deepEqual(read.progress, { current: 5, total: 10, message: 'halfway' });
      assert.equal(read.lease, undefined, 'a finished task shows no lease');
      assert.ok(toMs(read.end_time) >= toMs(read.start_time));
    });

    it('repeating CompleteTask with the same token after success returns the same task', async () => {
      const queue = uniqueQueue('complete-twice');
      await submit(client(), { queue });
      const claimed = await claimOne(client(), queue);
      const request = { queue, task_id: claimed.task.id, lease_token: claimed.lease_token, result: Buffer.from('r') };
      const first = await client().completeTask(request);
      const second = await client().completeTask(request);
      assert.equal(second.task?.state, 'TASK_STATE_SUCCEEDED');
      assert.deepEqual(second.task.end_time, first.task?.end_time);
    });

    it('a task without an id gets a generated id that sorts by creation', async () => {
      const queue = uniqueQueue('ids');
      const first = await submit(client(), { queue });
      const second = await submit(client(), { queue });
      assert.match(first.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      assert.ok(first.id < second.id);
    });

    it('GetTask of an unknown task is NOT_FOUND', async () => {
      await rejectsWith(client().getTask({ queue: uniqueQueue('nf'), task_id: 'nope' }), grpc.status.NOT_FOUND, /nope/);
    });
  });

  describe('ordering', () => {
    it('claims the highest priority first and FIFO within a priority', async () => {
      const queue = uniqueQueue('order');
      for (const [id, priority] of [['low-1', -5], ['mid-1', 0], ['high-1', 9], ['mid-2', 0], ['high-2', 9], ['low-2', -5]] as const) {
        await submit(client(), { queue, task_id: id, priority });
      }
      const response = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 10 });
      assert.deepEqual(
        response.tasks.map((t) => t.task?.id),
        ['high-1', 'high-2', 'mid-1', 'mid-2', 'low-1', 'low-2'],
      );
    });

    it('tries queues in the order given', async () => {
      const first = uniqueQueue('first');
      const second = uniqueQueue('second');
      await submit(client(), { queue: second, task_id: 'from-second' });
      await submit(client(), { queue: first, task_id: 'from-first' });
      const response = await client().claimTasks({ queues: [first, second], worker_id: 'w', max_tasks: 2 });
      assert.deepEqual(response.tasks.map((t) => t.task?.id), ['from-first', 'from-second']);
    });
  });

  describe('delayed tasks', () => {
    it('a delayed task is SCHEDULED and becomes claimable when its delay has passed', async () => {
      const queue = uniqueQueue('delay');
      const task = await submit(client(), { queue, delay: duration(300) });
      assert.equal(task.state, 'TASK_STATE_SCHEDULED');
      assert.ok(toMs(task.schedule_time) >= toMs(task.create_time) + 300);
      const early = await client().claimTasks({ queues: [queue], worker_id: 'w' });
      assert.equal(early.tasks.length, 0, 'not claimable before its time');
      const response = await client().claimTasks({ queues: [queue], worker_id: 'w', wait_timeout: duration(3_000) });
      assert.equal(response.tasks[0]?.task?.id, task.id);
      assert.ok(Date.now() >= toMs(task.schedule_time));
    });

    it('a task with a schedule_time in the past is claimable at once', async () => {
      const queue = uniqueQueue('past');
      const task = await submit(client(), { queue, schedule_time: timestamp(Date.now() - 60_000) });
      assert.equal(task.state, 'TASK_STATE_PENDING');
    });
  });

  describe('idempotent submit', () => {
    it('submitting an existing id returns the existing task with created=false and changes nothing', async () => {
      const queue = uniqueQueue('idem');
      const first = await client().submitTask({ queue, task_id: 'order-42', payload: Buffer.from('v1'), priority: 1 });
      const again = await client().submitTask({ queue, task_id: 'order-42', payload: Buffer.from('v2'), priority: 7 });
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.task?.payload.toString(), 'v1');
      assert.equal(again.task.priority, 1);
      const claimed = await claimOne(client(), queue);
      assert.equal(claimed.task.payload.toString(), 'v1');
      const none = await client().claimTasks({ queues: [queue], worker_id: 'w' });
      assert.equal(none.tasks.length, 0, 'the repeated submit did not enqueue a second copy');
    });
  });

  describe('batch submit', () => {
    it('returns one result per item in order, and one bad item fails alone', async () => {
      const queue = uniqueQueue('batch');
      const response = await client().submitTasks({
        requests: [
          { queue, task_id: 'a' },
          { queue, task_id: 'b', priority: 42 },
          { queue, task_id: 'c' },
          { queue: 'bad queue!', task_id: 'd' },
          { queue, task_id: 'a' },
        ],
      });
      const results = response.results;
      assert.equal(results.length, 5);
      assert.deepEqual(results.map((r) => r.task_id), ['a', '', 'c', '', 'a']);
      assert.deepEqual(results.map((r) => r.created), [true, false, true, false, false]);
      assert.equal(results[1]?.error?.code, grpc.status.INVALID_ARGUMENT);
      assert.match(results[1].error.message, /requests\[1\]\.priority.*-9 to 9/);
      assert.equal(results[3]?.error?.code, grpc.status.INVALID_ARGUMENT);
      assert.match(results[3].error.message, /requests\[3\]\.queue/);
      const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 10 });
      assert.deepEqual(claimed.tasks.map((t) => t.task?.id), ['a', 'c']);
    });

    it('rejects an empty batch and one over 1,000 items', async () => {
      await rejectsWith(client().submitTasks({ requests: [] }), grpc.status.INVALID_ARGUMENT, /requests.*1 to 1000/);
      const queue = uniqueQueue('big');
      const requests = Array.from({ length: 1001 }, () => ({ queue }));
      await rejectsWith(client().submitTasks({ requests }), grpc.status.INVALID_ARGUMENT, /^requests: has more than 1000 entries; the limit is 1000/);
    });
  });

  describe('batch complete', () => {
    it('completes many tasks in one call, and a stale or unknown item fails alone', async () => {
      const queue = uniqueQueue('complete-batch');
      for (let i = 0; i < 3; i++) await submit(client(), { queue, task_id: `b${i}` });
      const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 3 });
      const [first, second, third] = claimed.tasks;
      assert.ok(first?.task && second?.task && third?.task);
      const response = await client().completeTasks({
        requests: [
          { queue, task_id: first.task.id, lease_token: first.lease_token, result: Buffer.from('r0') },
          { queue, task_id: second.task.id, lease_token: 'stale-token' },
          { queue, task_id: 'no-such-task', lease_token: 'x' },
          { queue, task_id: third.task.id, lease_token: third.lease_token },
          { queue: 'bad queue', task_id: 'x', lease_token: 'x' },
        ],
      });
      assert.deepEqual(
        response.results.map((r) => [r.task_id, r.state, r.error?.code ?? 0]),
        [
          ['b0', 'TASK_STATE_SUCCEEDED', 0],
          ['b1', 'TASK_STATE_UNSPECIFIED', grpc.status.ABORTED],
          ['no-such-task', 'TASK_STATE_UNSPECIFIED', grpc.status.NOT_FOUND],
          ['b2', 'TASK_STATE_SUCCEEDED', 0],
          ['x', 'TASK_STATE_UNSPECIFIED', grpc.status.INVALID_ARGUMENT],
        ],
      );
      assert.match(response.results[4]?.error?.message ?? '', /^requests\[4\]\.queue/);
      assert.equal((await getTask(client(), queue, 'b0')).result.toString(), 'r0');
      assert.equal((await getTask(client(), queue, 'b1')).state, 'TASK_STATE_ACTIVE', 'the refused item is untouched');
    });
    it('the same completion twice in one batch succeeds once and answers both', async () => {
      const queue = uniqueQueue('complete-twice');
      await submit(client(), { queue, task_id: 'once' });
      const claimed = await claimOne(client(), queue);
      const item = { queue, task_id: 'once', lease_token: claimed.lease_token, result: Buffer.from('r') };
      const response = await client().completeTasks({ requests: [item, item] });
      assert.deepEqual(
        response.results.map((r) => [r.task_id, r.state, r.error?.code ?? 0]),
        [
          ['once', 'TASK_STATE_SUCCEEDED', 0],
          ['once', 'TASK_STATE_SUCCEEDED', 0],
        ],
      );
      const task = await getTask(client(), queue, 'once');
      assert.equal(task.result.toString(), 'r');
      assert.equal(task.attempt, 1);
    });
  });

  describe('ListTasks', () => {
    it('lists newest first, pages with a token, and filters by state', async () => {
      const queue = uniqueQueue('list');
      for (let i = 0; i < 7; i++) await submit(client(), { queue, task_id: `t${i}` });
      await claimOne(client(), queue);
      const firstPage = await client().listTasks({ queue, page_size: 3 });
      assert.deepEqual(firstPage.tasks.map((t) => t.id), ['t6', 't5', 't4']);
      assert.equal(firstPage.tasks[0]?.payload.length, 0, 'payloads are left out unless asked for');
      const secondPage = await client().listTasks({ queue, page_size: 3, page_token: firstPage.next_page_token });
      assert.deepEqual(secondPage.tasks.map((t) => t.id), ['t3', 't2', 't1']);
      const lastPage = await client().listTasks({ queue, page_size: 3, page_token: secondPage.next_page_token });
      assert.deepEqual(lastPage.tasks.map((t) => t.id), ['t0']);
      assert.equal(lastPage.next_page_token, '');
      const active = await client().listTasks({ queue, state: 'TASK_STATE_ACTIVE' });
      assert.deepEqual(active.tasks.map((t) => t.id), ['t0']);
    });

    it('lists pending tasks of every priority among the others by creation, newest first, page by page', async () => {
      const queue = uniqueQueue('list-mixed');
      const priorities = [0, 5, -3, 0, 9, -9, 2, 0];
      for (const [i, priority] of priorities.entries()) await submit(client(), { queue, task_id: `m${i}`, priority });
      await claimOne(client(), queue); // m4 (priority 9): ACTIVE
      await submit(client(), { queue, task_id: 'm8', delay: duration(60_000) }); // SCHEDULED
      const seen: string[] = [];
      let pageToken = '';
      do {
        const page = await client().listTasks({ queue, page_size: 2, page_token: pageToken });
        seen.push(...page.tasks.map((t) => t.id));
        pageToken = page.next_page_token;
      } while (pageToken !== '');
      assert.deepEqual(seen, ['m8', 'm7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1', 'm0']);
      const pending = await client().listTasks({ queue, state: 'TASK_STATE_PENDING', page_size: 4 });
      assert.deepEqual(pending.tasks.map((t) => t.id), ['m7', 'm6', 'm5', 'm3']);
      const rest = await client().listTasks({ queue, state: 'TASK_STATE_PENDING', page_token: pending.next_page_token });
      assert.deepEqual(rest.tasks.map((t) => t.id), ['m2', 'm1', 'm0']);
      assert.equal(rest.next_page_token, '');
    });

    it('rejects a page token from another query', async () => {
      const queue = uniqueQueue('list-token');
      for (let i = 0; i < 3; i++) await submit(client(), { queue });
      const page = await client().listTasks({ queue, page_size: 1 });
      await rejectsWith(
        client().listTasks({ queue, page_size: 1, page_token: page.next_page_token, state: 'TASK_STATE_PENDING' }),
        grpc.status.INVALID_ARGUMENT,
        /page_token/,
      );
      await rejectsWith(client().listTasks({ queue, page_token: 'garbage' }), grpc.status.INVALID_ARGUMENT, /page_token/);
    });
  });
}

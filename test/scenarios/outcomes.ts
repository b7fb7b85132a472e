/** Lifecycle specs after the claim: leases, failures and retries, cancel, deadlines. */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { claimOne, duration, getTask, rejectsWith, submit, timestamp, toMs } from '../support/api.js';
import { eventually, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';

export function outcomeScenarios(server: () => TestServer): void {
  const client = () => server().client;

  describe('leases', () => {
    it('an expired lease is requeued with attempt+1 and a LEASE_EXPIRED error recorded', async () => {
      const queue = uniqueQueue('expiry');
      const task = await submit(client(), { queue });
      const first = await claimOne(client(), queue, 'crashing-worker', 1_000);
      const requeued = await eventually(async () => {
        const t = await getTask(client(), queue, task.id);
        return t.state === 'TASK_STATE_PENDING' ? t : undefined;
      });
      assert.equal(requeued.errors.length, 1);
      assert.equal(requeued.errors[0]?.type, 'LEASE_EXPIRED');
      assert.equal(requeued.errors[0].attempt, 1);
      assert.match(requeued.errors[0].message, /crashing-worker/);
      const second = await claimOne(client(), queue, 'healthy-worker');
      assert.equal(second.task.attempt, 2);
      assert.notEqual(second.lease_token, first.lease_token);
    });

    it('a requeued task keeps its place: it is claimed again before tasks submitted after it', async () => {
      const queue = uniqueQueue('requeue-place');
      const first = await submit(client(), { queue, task_id: 'first' });
      await claimOne(client(), queue, 'crashing-worker', 1_000);
      await submit(client(), { queue, task_id: 'second' });
      await eventually(async () => ((await getTask(client(), queue, first.id)).state === 'TASK_STATE_PENDING' ? true : undefined));
      const next = await claimOne(client(), queue);
      assert.equal(next.task.id, 'first');
    });

    it('the stale token of a requeued task gets ABORTED from Heartbeat, CompleteTask and FailTask, and changes nothing', async () => {
      const queue = uniqueQueue('stale');
      const task = await submit(client(), { queue });
      const stale = await claimOne(client(), queue, 'slow-worker', 1_000);
      await eventually(async () => ((await getTask(client(), queue, task.id)).state === 'TASK_STATE_PENDING' ? true : undefined));
      const current = await claimOne(client(), queue, 'new-worker');
      const ids = { queue, task_id: task.id, lease_token: stale.lease_token };
      await rejectsWith(client().heartbeat(ids), grpc.status.ABORTED, /lease_token/);
      await rejectsWith(client().completeTask({ ...ids, result: Buffer.from('x') }), grpc.status.ABORTED);
      await rejectsWith(client().failTask({ ...ids, error: { message: 'boom' } }), grpc.status.ABORTED);
      const after = await getTask(client(), queue, task.id);
      assert.equal(after.state, 'TASK_STATE_ACTIVE');
      assert.equal(after.lease?.worker_id, 'new-worker');
      assert.equal(after.attempt, current.task.attempt);
      await rejectsWith(
        client().heartbeat({ queue, task_id: task.id, lease_token: 'made-up-token' }),
        grpc.status.ABORTED,
      );
    });

    it('mints lease tokens a shell can pass as an argument: never starting with "-"', async () => {
      const queue = uniqueQueue('tokens');
      for (let i = 0; i < 64; i++) await submit(client(), { queue });
      const tokens: string[] = [];
      for (let i = 0; i < 64; i++) tokens.push((await claimOne(client(), queue)).lease_token);
      assert.equal(new Set(tokens).size, 64);
      for (const token of tokens) assert.match(token, /^[A-Za-z0-9]/);
    });

    it('heartbeats keep a task leased past several lease durations', async () => {
      const queue = uniqueQueue('keepalive');
      const task = await submit(client(), { queue });
      const claimed = await claimOne(client(), queue, 'w', 1_000);
      const until = Date.now() + 3_500;
      while (Date.now() < until) {
        await client().heartbeat({ queue, task_id: task.id, lease_token: claimed.lease_token });
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      const done = await client().completeTask({ queue, task_id: task.id, lease_token: claimed.lease_token });
      assert.equal(done.task?.state, 'TASK_STATE_SUCCEEDED');
      assert.equal(done.task.attempt, 1);
      assert.equal(done.task.errors.length, 0);
    });
  });

  describe('failures and retries', () => {
    it('a failed attempt is retried after backoff and ends EXHAUSTED after max_attempts', async () => {
      const queue = uniqueQueue('exhaust');
      const task = await submit(client(), {
        queue,
        max_attempts: 3,
        retry_policy: { initial_backoff: duration(100), backoff_multiplier: 2 },
      });
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const claimed = (await client().claimTasks({ queues: [queue], worker_id: 'w', wait_timeout: duration(5_000) }))
          .tasks[0];
        assert.ok(claimed?.task);
        assert.equal(claimed.task.attempt, attempt);
        const failed = await client().failTask({
          queue,
          task_id: task.id,
          lease_token: claimed.lease_token,
          error: { type: 'Timeout', message: `attempt ${attempt} timed out`, details: 'stack' },
        });
        assert.ok(failed.task);
        if (attempt < 3) {
          assert.equal(failed.task.state, 'TASK_STATE_SCHEDULED');
          delays.push(toMs(failed.task.schedule_time) - toMs(failed.task.update_time));
        } else {
          assert.equal(failed.task.state, 'TASK_STATE_EXHAUSTED');
          assert.deepEqual(failed.task.errors.map((e) => e.attempt), [1, 2, 3]);
          assert.equal(failed.task.error?.message, 'attempt 3 timed out');
        }
      }
      assert.deepEqual(delays, [100, 200], 'backoff grows by the multiplier');
    });

    it('a permanent failure ends FAILED without a retry', async () => {
      const queue = uniqueQueue('permanent');
      const task = await submit(client(), { queue });
      const claimed = await claimOne(client(), queue);
      const failed = await client().failTask({
        queue,
        task_id: task.id,
        lease_token: claimed.lease_token,
        error: { type: 'BadInput', message: 'cannot parse' },
        permanent: true,
      });
      assert.equal(failed.task?.state, 'TASK_STATE_FAILED');
      assert.equal(failed.task.error?.type, 'BadInput');
    });

    it('retry_delay overrides the backoff for that retry', async () => {
      const queue = uniqueQueue('retry-delay');
      const task = await submit(client(), { queue });
      const claimed = await claimOne(client(), queue);
      const failed = await client().failTask({
        queue,
        task_id: task.id,
        lease_token: claimed.lease_token,
        retry_delay: duration(0),
      });
      assert.equal(failed.task?.state, 'TASK_STATE_PENDING');
    });

    it('ReleaseTask gives a task back at once without using up its attempt or recording an error', async () => {
      const queue = uniqueQueue('release');
      const task = await submit(client(), { queue, max_attempts: 1 });
      const first = await claimOne(client(), queue, 'leaving');
      const released = await client().releaseTask({ queue, task_id: task.id, lease_token: first.lease_token });
      assert.equal(released.task?.state, 'TASK_STATE_PENDING');
      assert.equal(released.task.errors.length, 0);
      await rejectsWith(client().releaseTask({ queue, task_id: task.id, lease_token: first.lease_token }), grpc.status.ABORTED);
      const second = await claimOne(client(), queue, 'staying');
      assert.equal(second.task.attempt, 2);
      const failed = await client().failTask({ queue, task_id: task.id, lease_token: second.lease_token });
      assert.equal(failed.task?.state, 'TASK_STATE_EXHAUSTED', 'the one real attempt was the last');
    });

    it('RetryTask makes an exhausted task PENDING with a fresh attempt budget and its history kept', async () => {
      const queue = uniqueQueue('redrive');
      const task = await submit(client(), { queue, max_attempts: 1 });
      const claimed = await claimOne(client(), queue);
      await client().failTask({ queue, task_id: task.id, lease_token: claimed.lease_token, error: { message: 'x' } });
      assert.equal((await getTask(client(), queue, task.id)).state, 'TASK_STATE_EXHAUSTED');
      const retried = await client().retryTask({ queue, task_id: task.id });
      assert.equal(retried.task?.state, 'TASK_STATE_PENDING');
      assert.equal(retried.task.errors.length, 1);
      const again = await claimOne(client(), queue);
      assert.equal(again.task.attempt, 2);
      const failed = await client().failTask({ queue, task_id: task.id, lease_token: again.lease_token });
      assert.equal(failed.task?.state, 'TASK_STATE_EXHAUSTED', 'the renewed budget is max_attempts again');
    });

    it('RetryTask of a pending or succeeded task is FAILED_PRECONDITION', async () => {
      const queue = uniqueQueue('redrive-bad');
      const task = await submit(client(), { queue });
      await rejectsWith(client().retryTask({ queue, task_id: task.id }), grpc.status.FAILED_PRECONDITION, /PENDING/);
    });
  });

  describe('cancel', () => {
    it('cancelling a pending task makes it CANCELLED at once and unclaimable', async () => {
      const queue = uniqueQueue('cancel-pending');
      const task = await submit(client(), { queue });
      const cancelled = await client().cancelTask({ queue, task_id: task.id });
      assert.equal(cancelled.task?.state, 'TASK_STATE_CANCELLED');
      const none = await client().claimTasks({ queues: [queue], worker_id: 'w' });
      assert.equal(none.tasks.length, 0);
    });

    it('cancelling an active task reaches the worker through its heartbeat and ends CANCELLED when it fails', async () => {
      const queue = uniqueQueue('cancel-active');
      const task = await submit(client(), { queue });
      const claimed = await claimOne(client(), queue);
      const requested = await client().cancelTask({ queue, task_id: task.id });
      assert.equal(requested.task?.state, 'TASK_STATE_ACTIVE');
      assert.equal(requested.task.cancel_requested, true);
      const beat = await client().heartbeat({ queue, task_id: task.id, lease_token: claimed.lease_token });
      assert.equal(beat.cancel_requested, true);
      const stopped = await client().failTask({ queue, task_id: task.id, lease_token: claimed.lease_token });
      assert.equal(stopped.task?.state, 'TASK_STATE_CANCELLED');
    });

    it('an active task with a cancel request is CANCELLED, not requeued, when its lease runs out', async () => {
      const queue = uniqueQueue('cancel-expire');
      const task = await submit(client(), { queue });
      await claimOne(client(), queue, 'w', 1_000);
      await client().cancelTask({ queue, task_id: task.id });
      const ended = await eventually(async () => {
        const t = await getTask(client(), queue, task.id);
        return t.state === 'TASK_STATE_ACTIVE' ? undefined : t;
      });
      assert.equal(ended.state, 'TASK_STATE_CANCELLED');
    });
  });

  describe('deadlines', () => {
    it('a task not finished by its expire_time becomes EXPIRED', async () => {
      const queue = uniqueQueue('deadline');
      const task = await submit(client(), { queue, expire_time: timestamp(Date.now() + 400), delay: duration(10_000) });
      const expired = await eventually(async () => {
        const t = await getTask(client(), queue, task.id);
        return t.state === 'TASK_STATE_EXPIRED' ? t : undefined;
      });
      assert.ok(toMs(expired.end_time) >= toMs(task.expire_time));
    });
  });
}

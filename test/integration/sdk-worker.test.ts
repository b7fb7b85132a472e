/** createWorker, running handlers: concurrency, results, heartbeats, progress, aborts, retries. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import {
  BatonClient,
  LeaseLostError,
  PermanentError,
  TaskCancelledError,
  isStatus,
  status,
} from '../../clients/typescript/src/index.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import { WORKER_TEST_TIMEOUT as TEST_TIMEOUT, aborted, useWorkerFixture } from '../support/workerFixture.js';

describe('createWorker: running handlers', () => {
  const fx = useWorkerFixture();
  const { startWorker, submit, get, finished } = fx;

  it('never runs more handlers at once than its concurrency', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('concurrency');
    const ids = await submit(queue, Array.from({ length: 12 }, (_, i) => `t${i}`));
    let running = 0;
    let most = 0;
    startWorker({
      queues: queue,
      concurrency: 3,
      handler: async () => {
        running += 1;
        most = Math.max(most, running);
        await sleep(100);
        running -= 1;
      },
    });
    const tasks = await finished(queue, ids);
    assert.deepEqual(new Set(tasks.map((t) => t.state)), new Set(['TASK_STATE_SUCCEEDED']));
    assert.equal(most, 3, 'three handlers ran side by side, never four');
  });

  it('completes the task with the bytes the handler returns', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('result');
    const [id] = await submit(queue, ['abc']);
    assert.ok(id);
    startWorker({
      queues: queue,
      handler: (task) => Buffer.concat([task.payload, Buffer.from([0x00, 0xff, 0xfe])]),
    });
    const [task] = await finished(queue, [id]);
    assert.equal(task?.state, 'TASK_STATE_SUCCEEDED');
    assert.deepEqual(task.result, Buffer.from([0x61, 0x62, 0x63, 0x00, 0xff, 0xfe]));
  });

  it('keeps a handler that runs for several lease durations alive with heartbeats', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('long');
    const [id] = await submit(queue, ['long']);
    assert.ok(id);
    let aborted = false;
    startWorker({
      queues: queue,
      leaseDuration: 1_000,
      handler: async (_task, ctx) => {
        await sleep(3_500);
        aborted = ctx.signal.aborted;
        return 'done';
      },
    });
    const [task] = await finished(queue, [id]);
    assert.equal(task?.state, 'TASK_STATE_SUCCEEDED');
    assert.equal(task.attempt, 1, 'never requeued');
    assert.deepEqual(task.errors, []);
    assert.equal(aborted, false);
  });

  it('keeps the lease of a long task that arrived after quick ones, which finished before their first heartbeat', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('staggered');
    const [quick] = await submit(queue, ['quick']);
    assert.ok(quick);
    let long: string | undefined;
    startWorker({
      queues: queue,
      concurrency: 2,
      leaseDuration: 1_000,
      handler: async (task) => {
        if (task.id === quick) {
          // The long task arrives a little later, so its first heartbeat is due after the quick one's would be.
          long = (await submit(queue, ['long']))[0];
          return 'quick';
        }
        await sleep(2_500);
        return 'long';
      },
    });
    const longId = await eventually(() => Promise.resolve(long));
    const tasks = await finished(queue, [quick, longId]);
    for (const task of tasks) {
      assert.equal(task.state, 'TASK_STATE_SUCCEEDED');
      assert.equal(task.attempt, 1, 'never requeued');
    }
  });

  it('reports progress through the heartbeat at once', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('progress');
    const [id] = await submit(queue, ['p']);
    assert.ok(id);
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    startWorker({
      queues: queue,
      handler: async (_task, ctx) => {
        await ctx.progress(2, 5, 'resizing images');
        await held;
      },
    });
    const progress = await eventually(async () => (await get(queue, id)).progress ?? undefined);
    assert.deepEqual(progress, { current: 2, total: 5, message: 'resizing images' });
    release();
    await finished(queue, [id]);
  });

  it('aborts a handler whose lease ran out while it blocked the event loop, and drops its late result', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('blocked');
    const [id] = await submit(queue, ['block']);
    assert.ok(id);
    let reason: unknown;
    startWorker({
      queues: queue,
      leaseDuration: 1_000,
      handler: async (task, ctx) => {
        if (task.attempt > 1) return 'on time';
        // Hogs the event loop past its lease: no heartbeat can go out meanwhile.
        const until = performance.now() + 1_500;
        while (performance.now() < until) {
          /* busy */
        }
        await aborted(ctx.signal);
        reason = ctx.signal.reason;
        return 'too late';
      },
    });
    const [task] = await finished(queue, [id]);
    assert.ok(reason instanceof LeaseLostError);
    assert.equal(task?.state, 'TASK_STATE_SUCCEEDED');
    assert.equal(task.result.toString(), 'on time', "the first attempt's late result was dropped");
    assert.equal(task.attempt, 2);
    assert.equal(task.errors.length, 1, 'the first attempt is recorded as a lost lease');
  });

  it('aborts the handler when no heartbeat gets through before the lease runs out', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('unreachable');
    const [id] = await submit(queue, ['x']);
    assert.ok(id);
    // A second stateless replica on the same Redis; the worker talks to it alone, then it goes away.
    const replica = await startTestServer(fx.redis.config);
    const client = new BatonClient(replica.baton.grpcAddress);
    let claimed = (): void => undefined;
    const started = new Promise<void>((resolve) => (claimed = resolve));
    let abortedAfterMs = 0;
    let reason: unknown;
    const errors: unknown[] = [];
    const worker = startWorker({
      client,
      queues: queue,
      leaseDuration: 1_000,
      handler: async (_task, ctx) => {
        claimed();
        await aborted(ctx.signal);
        abortedAfterMs = performance.now() - stoppedAt;
        reason = ctx.signal.reason;
      },
    });
    worker.on('error', (error) => errors.push(error));
    await started;
    const stoppedAt = performance.now();
    await replica.baton.stop();
    await eventually(() => Promise.resolve(reason), 3_000);
    assert.ok(reason instanceof LeaseLostError);
    assert.match(reason.message, /no heartbeat got through/);
    assert.ok(abortedAfterMs <= 1_050, `aborted ${Math.round(abortedAfterMs)}ms after the replica stopped (lease 1s)`);
    const requeued = await eventually(async () => {
      const task = await get(queue, id);
      return task.state === 'TASK_STATE_PENDING' ? task : undefined;
    });
    assert.equal(requeued.attempt, 1);
    assert.ok(errors.length > 0 && errors.every((error) => isStatus(error, status.UNAVAILABLE)), 'the outage was reported');
    await fx.closeWorkers();
    client.close();
  });

  it('aborts the handler when the task is cancelled, and the task ends CANCELLED', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('cancel');
    const [id] = await submit(queue, ['c']);
    assert.ok(id);
    let reason: unknown;
    startWorker({
      queues: queue,
      leaseDuration: 1_500,
      handler: async (_task, ctx) => {
        await aborted(ctx.signal);
        reason = ctx.signal.reason;
        ctx.signal.throwIfAborted();
      },
    });
    await eventually(async () => ((await get(queue, id)).state === 'TASK_STATE_ACTIVE' ? true : undefined));
    await fx.server.client.cancelTask({ queue, task_id: id });
    const [task] = await finished(queue, [id]);
    assert.equal(task?.state, 'TASK_STATE_CANCELLED');
    assert.ok(reason instanceof TaskCancelledError);
    assert.equal(task.error?.type, 'TaskCancelledError');
  });

  it('retries a task whose handler threw, and records the error', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('retry');
    const [id] = await submit(queue, ['flaky']);
    assert.ok(id);
    startWorker({
      queues: queue,
      handler: (task) => {
        if (task.attempt === 1) throw new TypeError('upstream said no');
        return 'second time lucky';
      },
    });
    const [task] = await finished(queue, [id]);
    assert.equal(task?.state, 'TASK_STATE_SUCCEEDED');
    assert.equal(task.attempt, 2);
    assert.equal(task.result.toString(), 'second time lucky');
    const [firstError] = task.errors;
    assert.equal(firstError?.type, 'TypeError');
    assert.equal(firstError.message, 'upstream said no');
    assert.match(firstError.details, /at .*sdk-worker\.test\.ts/);
  });

  it('fails the task for good when the handler throws a PermanentError', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('permanent');
    const [id] = await submit(queue, ['bad input']);
    assert.ok(id);
    startWorker({
      queues: queue,
      handler: () => {
        throw new PermanentError('payload is not an image');
      },
    });
    const [task] = await finished(queue, [id]);
    assert.equal(task?.state, 'TASK_STATE_FAILED');
    assert.equal(task.attempt, 1);
    assert.equal(task.error?.type, 'PermanentError');
    assert.equal(task.error.message, 'payload is not an image');
  });
});

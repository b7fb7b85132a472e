import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  BatonClient,
  LeaseLostError,
  PermanentError,
  TaskCancelledError,
  WorkerClosingError,
  createWorker,
  durationFromMs,
  isStatus,
  status,
} from '../../src/index.js';
import type { Task, Worker, WorkerOptions } from '../../src/index.js';
import type { WorkTasksRequest } from '../../src/grpc/generated/baton/v1/WorkTasksRequest.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { freePort } from '../../src/store/localRedis.js';
import { startTestRedis } from '../support/redis.js';
import type { TestRedis } from '../support/redis.js';

const TERMINAL = new Set(['TASK_STATE_SUCCEEDED', 'TASK_STATE_FAILED', 'TASK_STATE_EXHAUSTED', 'TASK_STATE_CANCELLED']);
const TEST_TIMEOUT = { timeout: 20_000 };

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    signal.addEventListener('abort', () => {
      resolve();
    }, { once: true });
  });
}

describe('createWorker', () => {
  let redis: TestRedis;
  let server: TestServer;
  const workers: Worker[] = [];

  before(async () => {
    redis = await startTestRedis();
    server = await startTestServer(redis.config);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.close(0)));
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  /** A running worker on the test server; closed after the test. */
  function startWorker(options: Omit<WorkerOptions, 'client' | 'address'> & { client?: WorkerOptions['client'] }): Worker {
    const worker = createWorker({ client: server.client, ...options });
    workers.push(worker);
    void worker.run();
    return worker;
  }

  async function submit(queue: string, payloads: string[], extra: { priority?: number; maxAttempts?: number } = {}): Promise<string[]> {
    const reply = await server.client.submitTasks({
      requests: payloads.map((payload) => ({
        queue,
        payload: Buffer.from(payload),
        priority: extra.priority ?? 0,
        max_attempts: extra.maxAttempts ?? 5,
        retry_policy: { initial_backoff: durationFromMs(10) },
      })),
    });
    return reply.results.map((result) => result.task_id);
  }

  async function get(queue: string, id: string): Promise<Task> {
    const { task } = await server.client.getTask({ queue, task_id: id });
    assert.ok(task);
    return task;
  }

  /** Waits until every task is in a terminal state and returns them. */
  async function finished(queue: string, ids: string[], timeoutMs = 10_000): Promise<Task[]> {
    return eventually(async () => {
      const tasks = await Promise.all(ids.map((id) => get(queue, id)));
      return tasks.every((task) => TERMINAL.has(task.state)) ? tasks : undefined;
    }, timeoutMs);
  }

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
    const replica = await startTestServer(redis.config);
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
    await Promise.all(workers.splice(0).map((worker) => worker.close(0)));
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
    await server.client.cancelTask({ queue, task_id: id });
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

  it('takes and completes tasks on one WorkTasks session, without a ClaimTasks or CompleteTasks call', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('session');
    const ids = await submit(queue, Array.from({ length: 30 }, (_, i) => `s${i}`));
    const client = new BatonClient(server.baton.grpcAddress);
    const unaryCalls: string[] = [];
    client.claimTasks = () => {
      unaryCalls.push('ClaimTasks');
      throw new Error('unexpected ClaimTasks');
    };
    client.completeTasks = () => {
      unaryCalls.push('CompleteTasks');
      throw new Error('unexpected CompleteTasks');
    };
    const worker = startWorker({ client, queues: queue, concurrency: 10, handler: (task) => `done ${task.payload.toString()}` });
    const tasks = await finished(queue, ids);
    await worker.close(0);
    client.close();
    assert.deepEqual(unaryCalls, []);
    for (const task of tasks) {
      assert.equal(task.state, 'TASK_STATE_SUCCEEDED');
      assert.equal(task.result.toString(), `done ${task.payload.toString()}`);
    }
  });

  it('with slots to spare, sends its credit along with its completions instead of in messages of their own', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('credit');
    const client = new BatonClient(server.baton.grpcAddress);
    const sent: WorkTasksRequest[] = [];
    const openSession = client.workers.WorkTasks.bind(client.workers);
    client.workers.WorkTasks = ((...args: Parameters<typeof openSession>) => {
      const stream = openSession(...args);
      const write = stream.write.bind(stream) as (message: WorkTasksRequest) => boolean;
      stream.write = ((message: WorkTasksRequest) => {
        sent.push(message);
        return write(message);
      }) as typeof stream.write;
      return stream;
    }) as typeof client.workers.WorkTasks;
    startWorker({ client, queues: queue, concurrency: 10, handler: () => 'ok' });
    // One task at a time, as a lightly loaded worker sees them.
    for (let i = 0; i < 20; i++) {
      const [id = ''] = await submit(queue, [`c${i}`]);
      await finished(queue, [id]);
    }
    client.close();
    assert.equal(sent.reduce((sum, message) => sum + (message.completions?.length ?? 0), 0), 20);
    const creditOnly = sent.filter((message) => !message.start && (message.completions ?? []).length === 0);
    // The session opens with the whole window (concurrency 10 + prefetch 10); later credit rides on completions.
    assert.deepEqual(creditOnly, [{ credit: 20 }]);
    assert.equal(sent.reduce((sum, message) => sum + (message.credit ?? 0), 0), 20 + 20);
  });

  it('with one slot, asks for its next task as soon as the slot is free', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('one-slot');
    const started: number[] = [];
    startWorker({ queues: queue, concurrency: 1, prefetch: 0, handler: () => void started.push(Date.now()) });
    for (let i = 0; i < 5; i++) {
      const [id = ''] = await submit(queue, [`o${i}`]);
      const [task] = await finished(queue, [id], 2_000);
      assert.equal(task?.state, 'TASK_STATE_SUCCEEDED');
    }
    assert.equal(started.length, 5);
  });

  it('holds prefetched tasks beside the running ones, keeps their leases, and gives them back unstarted on close', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('prefetch');
    const ids = await submit(queue, ['p0', 'p1', 'p2', 'p3', 'p4']);
    const started: string[] = [];
    const worker = startWorker({
      queues: queue,
      concurrency: 1,
      prefetch: 2,
      leaseDuration: 1_000,
      handler: async (task, ctx) => {
        started.push(task.id);
        await aborted(ctx.signal);
      },
    });
    const states = async (): Promise<string[]> => (await Promise.all(ids.map((id) => get(queue, id)))).map((t) => t.state);
    await eventually(async () => ((await states()).filter((s) => s === 'TASK_STATE_ACTIVE').length === 3 ? true : undefined));
    // Longer than the lease: the prefetched tasks' leases are renewed while they wait.
    await sleep(1_500);
    assert.deepEqual(await states(), ['TASK_STATE_ACTIVE', 'TASK_STATE_ACTIVE', 'TASK_STATE_ACTIVE', 'TASK_STATE_PENDING', 'TASK_STATE_PENDING']);
    assert.deepEqual(started, [ids[0]], 'one handler at a time');
    await worker.close(0);
    const after = await Promise.all(ids.map((id) => get(queue, id)));
    assert.deepEqual(after.map((t) => t.state), Array<string>(5).fill('TASK_STATE_PENDING'), 'all given back at once');
    assert.deepEqual(after.map((t) => t.errors.length), [0, 0, 0, 0, 0], 'no attempt failed');
    assert.deepEqual(started, [ids[0]], 'the prefetched tasks never started');
  });

  it('opens a new session when its server goes away, and goes on with the replica that replaces it', TEST_TIMEOUT, async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    let replica = await startTestServer(redis.config, { grpcAddress: address });
    const client = new BatonClient(address);
    const queue = uniqueQueue('reconnect');
    const errors: unknown[] = [];
    const worker = startWorker({ client, queues: queue, handler: (task) => `done ${task.payload.toString()}` });
    worker.on('error', (error) => errors.push(error));
    const [before] = await submit(queue, ['before']);
    await finished(queue, [before ?? '']);
    await replica.stop();
    replica = await startTestServer(redis.config, { grpcAddress: address });
    try {
      const [afterRestart] = await submit(queue, ['after']);
      const [task] = await finished(queue, [afterRestart ?? '']);
      assert.equal(task?.state, 'TASK_STATE_SUCCEEDED');
      assert.equal(task.result.toString(), 'done after');
      assert.ok(errors.some((error) => isStatus(error, status.UNAVAILABLE)), 'the lost session was reported');
    } finally {
      await worker.close(0);
      client.close();
      await replica.stop();
    }
  });

  it('with a completed listener, completes the tasks that finish together with one CompleteTasks call (for the server\'s copies), and loses only the lease of a refused item', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('batch');
    const ids = await submit(queue, Array.from({ length: 20 }, (_, i) => `b${i}`));
    const client = new BatonClient(server.baton.grpcAddress);
    const batches: number[] = [];
    let spoiled: string | undefined;
    const completeTasks = client.completeTasks.bind(client);
    client.completeTasks = (request, options) => {
      const requests = request.requests ?? [];
      batches.push(requests.length);
      // Spoil one lease token of the first batch: the server refuses that item alone.
      const victim = spoiled === undefined ? requests[0] : undefined;
      if (victim) {
        spoiled = victim.task_id ?? '';
        victim.lease_token = 'spoiled';
      }
      return completeTasks(request, options);
    };
    const lost: string[] = [];
    const completed: Task[] = [];
    const worker = startWorker({ client, queues: queue, concurrency: 20, leaseDuration: 3_000, handler: () => 'ok' });
    worker.on('lost', (task, error) => {
      assert.ok(error instanceof LeaseLostError);
      lost.push(task.id);
    });
    worker.on('completed', (task) => completed.push(task));
    const tasks = await finished(queue, ids);
    await worker.close(0);
    client.close();

    assert.deepEqual(new Set(tasks.map((t) => t.state)), new Set(['TASK_STATE_SUCCEEDED']));
    assert.ok(batches.length < ids.length, `${ids.length} tasks took ${batches.length} CompleteTasks calls`);
    assert.ok(batches.some((size) => size > 1), `batch sizes ${batches.join(', ')}`);
    assert.deepEqual(lost, [spoiled], 'only the refused item lost its lease');
    // The spoiled task ran again once its lease ran out (3 s); every task was reported completed exactly once.
    assert.equal(tasks.find((t) => t.id === spoiled)?.attempt, 2);
    assert.deepEqual(completed.map((t) => t.id).sort(), [...ids].sort());
    for (const task of completed) {
      assert.equal(task.state, 'TASK_STATE_SUCCEEDED');
      assert.equal(task.result.toString(), 'ok');
      assert.ok(task.payload.toString().startsWith('b'));
    }
  });

  it('records the outcomes of handlers that finish during close, without an error', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('close-outcomes');
    const ids = await submit(queue, ['a', 'b', 'c']);
    let running = 0;
    let finishAll: () => void = () => undefined;
    const closeBegun = new Promise<void>((resolve) => (finishAll = resolve));
    const worker = startWorker({
      queues: queue,
      concurrency: 3,
      prefetch: 0,
      handler: async () => {
        running += 1;
        await closeBegun;
        return 'finished during close';
      },
    });
    const errors: unknown[] = [];
    worker.on('error', (error) => errors.push(error));
    await eventually(() => Promise.resolve(running === 3 ? true : undefined));
    const closing = worker.close(2_000);
    finishAll();
    await closing;
    const tasks = await Promise.all(ids.map((id) => get(queue, id)));
    assert.deepEqual(tasks.map((t) => [t.state, t.result.toString()]), ids.map(() => ['TASK_STATE_SUCCEEDED', 'finished during close']));
    assert.deepEqual(errors, []);
  });

  it('loses nothing on graceful shutdown: finishes quick handlers, gives slow tasks back at once without using their attempt', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('shutdown');
    // The slow tasks go first (higher priority), so the first worker is surely holding them when it closes.
    // One attempt each: giving a task back must not use it up.
    const slow = await submit(queue, ['slow', 'slow'], { priority: 1, maxAttempts: 1 });
    const fast = await submit(queue, Array.from({ length: 10 }, () => 'fast'));
    const completions = new Map<string, number>();
    const aborts: unknown[] = [];
    const handler: WorkerOptions['handler'] = async (task, ctx) => {
      if (task.payload.toString() === 'slow' && ctx.workerId === 'first') {
        await aborted(ctx.signal);
        aborts.push(ctx.signal.reason);
        ctx.signal.throwIfAborted();
      }
      await sleep(100);
      return ctx.workerId;
    };
    const count = (task: Task): void => {
      completions.set(task.id, (completions.get(task.id) ?? 0) + 1);
    };

    const first = startWorker({ queues: queue, concurrency: 3, workerId: 'first', handler });
    first.on('completed', count);
    await eventually(() => Promise.resolve(completions.size >= 2 ? true : undefined));
    const closing = performance.now();
    await first.close(300);
    const closeMs = performance.now() - closing;

    const second = startWorker({ queues: queue, concurrency: 3, workerId: 'second', handler });
    second.on('completed', count);
    const tasks = await finished(queue, [...slow, ...fast]);

    assert.ok(closeMs < 1_000, `close() took ${Math.round(closeMs)}ms with a 300ms grace`);
    assert.deepEqual(new Set(tasks.map((t) => t.state)), new Set(['TASK_STATE_SUCCEEDED']));
    assert.deepEqual([...completions.values()], tasks.map(() => 1), 'each task completed exactly once');
    assert.equal(aborts.length, 2);
    assert.ok(aborts.every((reason) => reason instanceof WorkerClosingError));
    for (const id of slow) {
      const task = tasks.find((t) => t.id === id);
      assert.equal(task?.result.toString(), 'second');
      assert.equal(task.attempt, 2, 'claimed twice');
      assert.equal(task.errors.length, 0, 'handing a task back records no failure');
    }
  });
});

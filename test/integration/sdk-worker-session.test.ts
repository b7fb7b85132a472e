/** createWorker, its WorkTasks session: credit, prefetch, reconnects, batched completions, close and shutdown. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import {
  BatonClient,
  LeaseLostError,
  WorkerClosingError,
  isStatus,
  status,
} from '../../clients/typescript/src/index.js';
import type { Task, WorkerOptions } from '../../clients/typescript/src/index.js';
import type { WorkTasksRequest } from '../../clients/typescript/src/contract.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import { freePort } from '../../tools/redis/local.js';
import { WORKER_TEST_TIMEOUT as TEST_TIMEOUT, aborted, useWorkerFixture } from '../support/workerFixture.js';

describe('createWorker: the WorkTasks session', () => {
  const fx = useWorkerFixture();
  const { startWorker, submit, get, finished } = fx;

  it('takes and completes tasks on one WorkTasks session, without a ClaimTasks or CompleteTasks call', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('session');
    const ids = await submit(queue, Array.from({ length: 30 }, (_, i) => `s${i}`));
    const client = new BatonClient(fx.server.baton.grpcAddress);
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
    const client = new BatonClient(fx.server.baton.grpcAddress);
    const sent: WorkTasksRequest[] = [];
    const openSession = client.workers.workTasks.bind(client.workers);
    client.workers.workTasks = ((...args: Parameters<typeof openSession>) => {
      const stream = openSession(...args);
      const write = stream.write.bind(stream) as (message: WorkTasksRequest) => boolean;
      stream.write = ((message: WorkTasksRequest) => {
        sent.push(message);
        return write(message);
      }) as typeof stream.write;
      return stream;
    }) as typeof client.workers.workTasks;
    startWorker({ client, queues: queue, concurrency: 10, handler: () => 'ok' });
    // One task at a time, as a lightly loaded worker sees them.
    for (let i = 0; i < 20; i++) {
      const [id = ''] = await submit(queue, [`c${i}`]);
      await finished(queue, [id]);
    }
    client.close();
    assert.equal(sent.reduce((sum, message) => sum + message.completions.length, 0), 20);
    const creditOnly = sent.filter((message) => !message.start && message.completions.length === 0);
    // The session opens with the whole window (concurrency 10 + prefetch 10); later credit rides on completions.
    assert.deepEqual(creditOnly.map((message) => message.credit), [20]);
    assert.equal(sent.reduce((sum, message) => sum + message.credit, 0), 20 + 20);
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
    let replica = await startTestServer(fx.redis.config, { grpcAddress: address });
    const client = new BatonClient(address);
    const queue = uniqueQueue('reconnect');
    const errors: unknown[] = [];
    const worker = startWorker({ client, queues: queue, handler: (task) => `done ${task.payload.toString()}` });
    worker.on('error', (error) => errors.push(error));
    const [before] = await submit(queue, ['before']);
    await finished(queue, [before ?? '']);
    await replica.stop();
    replica = await startTestServer(fx.redis.config, { grpcAddress: address });
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
    const client = new BatonClient(fx.server.baton.grpcAddress);
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
    // 'completed' fires once the server has answered, which can be just after the task reads as succeeded.
    await eventually(() => Promise.resolve(completions.size === tasks.length ? true : undefined));

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

/** The TypeScript worker routes tasks by type, and works through a list of server addresses. */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { BatonClient, createWorker } from '../../clients/typescript/src/index.js';
import type { Task, Worker, WorkerOptions } from '../../clients/typescript/src/index.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { freePort } from '../../tools/redis/local.js';
import { startTestRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

const TEST_TIMEOUT = { timeout: 20_000 };
const TERMINAL = new Set(['TASK_STATE_SUCCEEDED', 'TASK_STATE_FAILED', 'TASK_STATE_EXHAUSTED', 'TASK_STATE_CANCELLED']);

describe('createWorker routing and addresses', () => {
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

  function start(options: WorkerOptions): Worker {
    const worker = createWorker(options);
    workers.push(worker);
    void worker.run();
    return worker;
  }

  async function submitTyped(queue: string, types: string[]): Promise<string[]> {
    const reply = await server.client.submitTasks({
      requests: types.map((type) => ({ queue, type, payload: type, max_attempts: 3 })),
    });
    return reply.results.map((r) => r.task_id);
  }

  async function finished(queue: string, ids: string[]): Promise<Task[]> {
    return eventually(async () => {
      const tasks = await Promise.all(ids.map(async (task_id) => (await server.client.getTask({ queue, task_id })).task));
      return tasks.every((t) => t && TERMINAL.has(t.state)) ? (tasks as Task[]) : undefined;
    }, 10_000);
  }

  it('runs each task with the handler of its type, and the rest with the default handler', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('route');
    const ids = await submitTyped(queue, ['resize', 'email', '', 'other']);
    start({
      client: server.client,
      queues: queue,
      concurrency: 4,
      handlers: { resize: () => 'resized', email: (task) => `mailed ${task.payload.toString()}` },
      handler: (task) => `default for "${task.type}"`,
    });
    const tasks = await finished(queue, ids);
    assert.deepEqual(
      tasks.map((t) => [t.type, t.state, t.result.toString()]),
      [
        ['resize', 'TASK_STATE_SUCCEEDED', 'resized'],
        ['email', 'TASK_STATE_SUCCEEDED', 'mailed email'],
        ['', 'TASK_STATE_SUCCEEDED', 'default for ""'],
        ['other', 'TASK_STATE_SUCCEEDED', 'default for "other"'],
      ],
    );
  });

  it('fails a task whose type has no handler permanently, naming the type', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('route-unknown');
    const ids = await submitTyped(queue, ['echo', 'nope', 'constructor']);
    start({ client: server.client, queues: queue, concurrency: 2, handlers: { echo: (task) => task.payload } });
    const [echo, nope, inherited] = await finished(queue, ids);
    assert.equal(echo?.state, 'TASK_STATE_SUCCEEDED');
    for (const [task, type] of [[nope, 'nope'], [inherited, 'constructor']] as const) {
      assert.equal(task?.state, 'TASK_STATE_FAILED');
      assert.equal(task.attempt, 1, 'failed on its first attempt, not retried');
      assert.equal(task.error?.type, 'NoHandlerError');
      assert.equal(task.error.message, `no handler for task type "${type}"`);
    }
  });

  it('refuses a worker without any handler', () => {
    assert.throws(() => createWorker({ client: server.client, queues: 'q' }), /give a handler, or handlers by task type/);
  });

  it('starts on the next address when the first has no server, given an array or a comma-separated list', TEST_TIMEOUT, async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    for (const address of [[dead, server.baton.grpcAddress], `${dead}, ${server.baton.grpcAddress}`]) {
      const queue = uniqueQueue('addresses');
      const ids = await submitTyped(queue, ['', '']);
      const worker = start({ address, queues: queue, handler: () => 'ok', registerInterval: 0 });
      const tasks = await finished(queue, ids);
      assert.deepEqual(tasks.map((t) => t.state), ['TASK_STATE_SUCCEEDED', 'TASK_STATE_SUCCEEDED']);
      assert.equal(worker.client.address, server.baton.grpcAddress);
      assert.deepEqual(worker.client.addresses, [dead, server.baton.grpcAddress]);
    }
  });

  it('a client given several addresses retries a call that finds its server unavailable on the next one', TEST_TIMEOUT, async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const client = new BatonClient(`${dead},${server.baton.grpcAddress}`);
    try {
      const queue = uniqueQueue('client-addresses');
      const { task } = await client.submitTask({ queue, task_id: 'named', type: 'kind' });
      assert.equal(task?.type, 'kind');
      assert.equal(client.address, server.baton.grpcAddress);
    } finally {
      client.close();
    }
  });
});

/** A test server on a throwaway Redis, and the helpers the createWorker specs share. */
import assert from 'node:assert/strict';
import { after, afterEach, before } from 'node:test';
import { createWorker, durationFromMs } from '../../clients/typescript/src/index.js';
import type { Task, Worker, WorkerOptions } from '../../clients/typescript/src/index.js';
import { startTestRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { eventually, startTestServer } from './baton.js';
import type { TestServer } from './baton.js';

const TERMINAL = new Set(['TASK_STATE_SUCCEEDED', 'TASK_STATE_FAILED', 'TASK_STATE_EXHAUSTED', 'TASK_STATE_CANCELLED']);

export const WORKER_TEST_TIMEOUT = { timeout: 20_000 };

export interface WorkerFixture {
  readonly redis: TestRedis;
  readonly server: TestServer;
  /** A running worker on the test server; closed after the test. */
  startWorker: (options: Omit<WorkerOptions, 'client' | 'address'> & { client?: WorkerOptions['client'] }) => Worker;
  /** Closes the workers started so far (before a test closes the client they use). */
  closeWorkers: () => Promise<void>;
  submit: (queue: string, payloads: string[], extra?: { priority?: number; maxAttempts?: number }) => Promise<string[]>;
  get: (queue: string, id: string) => Promise<Task>;
  /** Waits until every task is in a terminal state and returns them. */
  finished: (queue: string, ids: string[], timeoutMs?: number) => Promise<Task[]>;
}

/** Resolves when the signal aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    signal.addEventListener('abort', () => {
      resolve();
    }, { once: true });
  });
}

/** Registers the describe block's hooks: one Redis and one server for the block, workers closed after each test. */
export function useWorkerFixture(): WorkerFixture {
  let redis: TestRedis | undefined;
  let server: TestServer | undefined;
  const workers: Worker[] = [];
  const started = <T>(value: T | undefined): T => {
    assert.ok(value, 'used before the fixture started');
    return value;
  };

  before(async () => {
    redis = await startTestRedis();
    server = await startTestServer(redis.config);
  });
  const closeWorkers = async (): Promise<void> => {
    await Promise.all(workers.splice(0).map((worker) => worker.close(0)));
  };
  afterEach(closeWorkers);
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  const fixture: WorkerFixture = {
    get redis() {
      return started(redis);
    },
    get server() {
      return started(server);
    },
    closeWorkers,
    startWorker: (options) => {
      const worker = createWorker({ client: fixture.server.client, ...options });
      workers.push(worker);
      void worker.run();
      return worker;
    },
    submit: async (queue, payloads, extra = {}) => {
      const reply = await fixture.server.client.submitTasks({
        requests: payloads.map((payload) => ({
          queue,
          payload: Buffer.from(payload),
          priority: extra.priority ?? 0,
          max_attempts: extra.maxAttempts ?? 5,
          retry_policy: { initial_backoff: durationFromMs(10) },
        })),
      });
      return reply.results.map((result) => result.task_id);
    },
    get: async (queue, id) => {
      const { task } = await fixture.server.client.getTask({ queue, task_id: id });
      assert.ok(task);
      return task;
    },
    finished: (queue, ids, timeoutMs = 10_000) =>
      eventually(async () => {
        const tasks = await Promise.all(ids.map((id) => fixture.get(queue, id)));
        return tasks.every((task) => TERMINAL.has(task.state)) ? tasks : undefined;
      }, timeoutMs),
  };
  return fixture;
}

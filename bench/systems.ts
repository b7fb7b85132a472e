/**
 * The two systems under test behind one interface, so every figure is measured the same way for both.
 * Baton: a separate server process reached over gRPC. BullMQ: the in-process library on the same Redis.
 */
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { sdk } from './sdk.js';
import type { BatonSdk } from './sdk.js';
import type { RedisConfig } from '../src/store/redis.js';
import type { Task } from '../clients/typescript/src/contract.js';

export interface System {
  name: string;
  /** Submits n tasks in batches of 1,000 with `inFlight` batches outstanding; resolves when all are stored. */
  enqueue(queue: string, n: number, payload: Buffer, inFlight: number): Promise<void>;
  /** Processes n already-submitted tasks with a trivial handler at the given concurrency. */
  process(queue: string, n: number, concurrency: number): Promise<void>;
  /** With an idle worker waiting, submits `count` tasks at `ratePerSecond`; returns submit → handler start, ms. */
  dispatchLatency(queue: string, count: number, ratePerSecond: number): Promise<number[]>;
  close(): Promise<void>;
}


const BATCH = 1000;

async function inBatches(n: number, inFlight: number, send: (from: number, count: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const from = next;
      const count = Math.min(BATCH, n - from);
      next += count;
      await send(from, count);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

async function steadily(count: number, ratePerSecond: number, submit: (i: number) => Promise<void>): Promise<void> {
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(submit(i));
  }
  await Promise.all(pending);
}

function stamp(): Buffer {
  const payload = Buffer.alloc(100);
  payload.writeDoubleLE(performance.now(), 0);
  return payload;
}

export class BatonSystem implements System {
  readonly name = 'Baton';
  private readonly client: BatonSdk.BatonClient;

  /** `sdkBuild`: another build of the SDK (an A/B of the worker's side); this checkout's by default. */
  constructor(
    address: string,
    private readonly sdkBuild: typeof BatonSdk = sdk,
  ) {
    this.client = new sdkBuild.BatonClient(address);
  }

  async enqueue(queue: string, n: number, payload: Buffer, inFlight: number): Promise<void> {
    await inBatches(n, inFlight, async (_from, count) => {
      const response = await this.client.submitTasks({
        requests: Array.from({ length: count }, () => ({ queue, payload })),
      });
      if (response.results.some((r) => r.error)) throw new Error('a bench submit failed');
    });
  }

  /**
   * The TypeScript SDK's worker (createWorker) with a trivial handler, as a user runs it: a WorkTasks session, its
   * default prefetch, heartbeats scheduled for every task.
   */
  async process(queue: string, n: number, concurrency: number): Promise<void> {
    await this.runWorker(queue, concurrency, n, () => undefined);
  }

  /**
   * The same worker, idle and waiting with 50 slots, while a producer submits tasks at a steady rate one by one,
   * as a service producing continuously does: through the SDK's submitter (SubmitTasksStream).
   */
  async dispatchLatency(queue: string, count: number, ratePerSecond: number): Promise<number[]> {
    const samples: number[] = [];
    const worker = this.runWorker(queue, 50, count, (task) => {
      samples.push(performance.now() - task.payload.readDoubleLE(0));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const submitter = this.client.submitter();
    await steadily(count, ratePerSecond, async () => {
      await submitter.submit({ queue, payload: stamp() });
    });
    await submitter.close();
    await worker;
    return samples;
  }

  /** Runs an SDK worker until its handler has seen `n` tasks, then closes it gracefully (last completions sent). */
  private async runWorker(queue: string, concurrency: number, n: number, onTask: (task: Task) => void): Promise<void> {
    let handled = 0;
    let allHandled: () => void = () => undefined;
    const everyTaskHandled = new Promise<void>((resolve) => (allHandled = resolve));
    const worker = this.sdkBuild.createWorker({
      client: this.client,
      queues: queue,
      concurrency,
      registerInterval: 0,
      handler: (task) => {
        onTask(task);
        handled += 1;
        if (handled === n) allHandled();
      },
    });
    const running = worker.run();
    await Promise.race([everyTaskHandled, running.then(() => Promise.reject(new Error('the worker stopped early')))]);
    await worker.close();
    await running;
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }
}

export class BullMqSystem implements System {
  readonly name = 'BullMQ';
  private readonly connection: ConnectionOptions;
  private readonly prefix: string;
  private readonly opened: (Queue | Worker)[] = [];

  constructor(redis: RedisConfig) {
    // BullMQ on a cluster needs every key of a queue under one hash tag, which its prefix provides.
    if (redis.clusterNodes) {
      this.connection = new Cluster(redis.clusterNodes, { redisOptions: { maxRetriesPerRequest: null } });
      this.prefix = '{bull}';
    } else {
      this.connection = new Redis(redis.url ?? '', { maxRetriesPerRequest: null });
      this.prefix = 'bull';
    }
  }

  private queue(name: string): Queue {
    const queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
    this.opened.push(queue);
    return queue;
  }

  async enqueue(queueName: string, n: number, payload: Buffer, inFlight: number): Promise<void> {
    const queue = this.queue(queueName);
    const data = { payload: payload.toString('base64').slice(0, 100) };
    await inBatches(n, inFlight, async (_from, count) => {
      await queue.addBulk(Array.from({ length: count }, () => ({ name: 'task', data })));
    });
  }

  async process(queueName: string, n: number, concurrency: number): Promise<void> {
    let done = 0;
    const worker = new Worker(queueName, () => Promise.resolve(), {
      connection: this.connection,
      prefix: this.prefix,
      concurrency,
    });
    await new Promise<void>((resolve, reject) => {
      worker.on('completed', () => {
        done += 1;
        if (done === n) resolve();
      });
      worker.on('error', reject);
    });
    await worker.close();
  }

  async dispatchLatency(queueName: string, count: number, ratePerSecond: number): Promise<number[]> {
    const queue = this.queue(queueName);
    const samples: number[] = [];
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (resolveAll = resolve));
    const worker = new Worker(
      queueName,
      (job) => {
        samples.push(performance.now() - (job.data as { sentAt: number }).sentAt);
        if (samples.length === count) resolveAll();
        return Promise.resolve();
      },
      { connection: this.connection, prefix: this.prefix, concurrency: 50 },
    );
    await worker.waitUntilReady();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await steadily(count, ratePerSecond, async () => {
      await queue.add('task', { sentAt: performance.now(), pad: 'x'.repeat(80) });
    });
    await all;
    await worker.close();
    return samples;
  }

  async close(): Promise<void> {
    await Promise.all(this.opened.map((o) => o.close()));
    this.opened.length = 0;
    (this.connection as Redis | Cluster).disconnect();
  }
}

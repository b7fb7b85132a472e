/**
 * The two systems under test behind one interface, so every figure is measured the same way for both.
 * Baton: a separate server process reached over gRPC. BullMQ: the in-process library on the same Redis.
 */
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { BatonClient } from '../src/client/client.js';
import type { RedisConfig } from '../src/store/redis.js';

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
  private readonly client: BatonClient;

  constructor(address: string) {
    this.client = new BatonClient(address);
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
   * The worker loop: one long-poll claims as many tasks as there are free handler slots, and finished tasks are
   * completed together in one CompleteTasks call per event-loop turn. A slot is free again when its handler
   * returns, so the next claim overlaps the completion of the last batch.
   */
  async process(queue: string, n: number, concurrency: number): Promise<void> {
    let done = 0;
    let inFlight = 0;
    let claimedTotal = 0;
    const slotWaiters: (() => void)[] = [];
    // Two claims in flight, each for half the slots, keep Redis, the server and this process busy at once.
    const claimers = concurrency > 1 ? 2 : 1;
    let finishedBatch: { queue: string; task_id: string; lease_token: string }[] = [];
    let flushScheduled = false;
    await new Promise<void>((resolve, reject) => {
      const flush = (): void => {
        flushScheduled = false;
        const batch = finishedBatch;
        finishedBatch = [];
        this.client.completeTasks({ requests: batch }).then((response) => {
          if (response.results.some((r) => r.error)) throw new Error('a bench completion failed');
          done += batch.length;
          if (done === n) resolve();
        }).catch(reject);
      };
      const finish = (item: { queue: string; task_id: string; lease_token: string }): void => {
        inFlight -= 1;
        for (const wake of slotWaiters.splice(0)) wake();
        finishedBatch.push(item);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      };
      const loop = async (): Promise<void> => {
        while (claimedTotal < n) {
          if (inFlight >= concurrency) {
            await new Promise<void>((r) => slotWaiters.push(r));
            continue;
          }
          const slots = Math.min(concurrency - inFlight, Math.ceil(concurrency / claimers), 100);
          inFlight += slots;
          const claimed = await this.client.claimTasks({
            queues: [queue],
            worker_id: 'bench',
            max_tasks: slots,
            wait_timeout: { seconds: 1 },
          });
          inFlight -= slots - claimed.tasks.length;
          claimedTotal += claimed.tasks.length;
          for (const item of claimed.tasks) {
            const task = item.task;
            if (!task) continue;
            // The trivial handler, run like a real one: asynchronously.
            void Promise.resolve().then(() => {
              finish({ queue, task_id: task.id, lease_token: item.lease_token });
            });
          }
        }
      };
      for (let i = 0; i < claimers; i++) loop().catch(reject);
    });
  }

  /**
   * The worker: a long-poll claim of up to 50 tasks waits on the server; each claim's tasks are completed together
   * in one CompleteTasks call while the next claim is already waiting.
   */
  async dispatchLatency(queue: string, count: number, ratePerSecond: number): Promise<number[]> {
    const samples: number[] = [];
    const completions: Promise<unknown>[] = [];
    const worker = (async () => {
      while (samples.length < count) {
        const claimed = await this.client.claimTasks({
          queues: [queue],
          worker_id: 'bench-latency',
          max_tasks: 50,
          wait_timeout: { seconds: 5 },
        });
        const now = performance.now();
        const finished: { queue: string; task_id: string; lease_token: string }[] = [];
        for (const item of claimed.tasks) {
          if (!item.task) continue;
          samples.push(now - item.task.payload.readDoubleLE(0));
          finished.push({ queue, task_id: item.task.id, lease_token: item.lease_token });
        }
        if (finished.length > 0) completions.push(this.client.completeTasks({ requests: finished }));
      }
      await Promise.all(completions);
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await steadily(count, ratePerSecond, async () => {
      await this.client.submitTask({ queue, payload: stamp() });
    });
    await worker;
    return samples;
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

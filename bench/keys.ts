/**
 * npm run bench -- --keys [--key-count 10000] [--blocked 0.9] [--tasks 30000] [--concurrency 50] [--repeats 3]
 *
 * Per-key concurrency under load: processing throughput of a queue where `key-count` concurrency keys hold the
 * work, limited to one ACTIVE task each, and a share `blocked` of them sit at their limit (each holds one task
 * under a long lease, with two more waiting behind it) while the workload's `tasks` are spread over the other keys;
 * against the same workload in the same kind of queue without keys or limits, and keyed without a limit (the
 * bookkeeping alone). Rounds alternate which goes first; medians reported. Then Redis memory per key: a queue of
 * `key-count` keys each with one ACTIVE and one waiting task, against the same tasks without keys.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { DEFAULT_KEYSPACE } from '../src/store/keys.js';
import { startPlainRedis } from '../tools/redis/cluster.js';
import { startBatonProcess } from './batonServer.js';
import { cpuTimeMs, format, median, table } from './stats.js';
import { sdk } from './sdk.js';
import type { BatonSdk } from './sdk.js';

interface KeysOptions {
  keyCount: number;
  blocked: number;
  tasks: number;
  concurrency: number;
  repeats: number;
}

function parseKeysOptions(argv: string[]): KeysOptions {
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? Number(argv[at + 1]) : fallback;
  };
  return {
    keyCount: value('key-count', 10_000),
    blocked: value('blocked', 0.9),
    tasks: value('tasks', 30_000),
    concurrency: value('concurrency', 50),
    repeats: value('repeats', 3),
  };
}

const PAYLOAD = Buffer.alloc(100, 7);
const BATCH = 1000;
let queueCounter = 0;

interface Item {
  key: string;
}

async function submitAll(client: BatonSdk.BatonClient, queue: string, items: readonly Item[]): Promise<void> {
  for (let from = 0; from < items.length; from += BATCH) {
    const requests = items.slice(from, from + BATCH).map((item) => ({ queue, payload: PAYLOAD, concurrency_key: item.key }));
    const { results } = await client.submitTasks({ requests });
    if (results.some((result) => result.error)) throw new Error('a bench submit failed');
  }
}

/** Leases one task of each key at its limit for an hour, so the key stays full for the whole run. */
async function holdBlockedKeys(client: BatonSdk.BatonClient, queue: string, count: number): Promise<void> {
  let held = 0;
  while (held < count) {
    const { tasks } = await client.claimTasks({
      queues: [queue],
      worker_id: 'blocker',
      max_tasks: 100,
      lease_duration: { seconds: 3600, nanos: 0 },
    });
    if (tasks.length === 0) throw new Error(`only ${held} of ${count} keys could be held at their limit`);
    held += tasks.length;
  }
}

interface Measured {
  rate: number;
  /** CPU µs per task over every process on its path (Redis, Baton's server, this one with the worker). */
  cpuPerTask: number;
}

/** The SDK's worker with a trivial handler until it has handled n tasks: its rate in tasks/s and CPU per task. */
async function processRate(client: BatonSdk.BatonClient, queue: string, n: number, concurrency: number, pids: number[]): Promise<Measured> {
  let handled = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const worker = sdk.createWorker({
    client,
    queues: queue,
    concurrency,
    registerInterval: 0,
    handler: () => {
      handled += 1;
      if (handled === n) done();
    },
  });
  const started = performance.now();
  const cpuBefore = cpuTimeMs(pids);
  const running = worker.run();
  await Promise.race([all, running.then(() => Promise.reject(new Error('the worker stopped early')))]);
  const seconds = (performance.now() - started) / 1000;
  const cpuPerTask = ((cpuTimeMs(pids) - cpuBefore) * 1000) / n;
  await worker.close();
  await running;
  return { rate: n / seconds, cpuPerTask };
}

type Variant = 'no keys, no limit' | 'keyed, no limit' | 'keyed, limit 1, blocked keys at their limit';
const VARIANTS: readonly Variant[] = ['no keys, no limit', 'keyed, no limit', 'keyed, limit 1, blocked keys at their limit'];

async function runVariant(client: BatonSdk.BatonClient, variant: Variant, options: KeysOptions, pids: number[]): Promise<Measured> {
  const queue = `bench-keys-${++queueCounter}`;
  const blockedKeys = Math.round(options.keyCount * options.blocked);
  const freeKeys = options.keyCount - blockedKeys;
  const keyed = variant !== 'no keys, no limit';
  if (variant === 'keyed, limit 1, blocked keys at their limit') {
    await client.updateQueue({ queue, settings: { concurrency_key_limit: 1 } });
    const blocked = Array.from({ length: blockedKeys * 3 }, (_, i) => ({ key: `blocked-${i % blockedKeys}` }));
    await submitAll(client, queue, blocked);
    await holdBlockedKeys(client, queue, blockedKeys);
  }
  const work = Array.from({ length: options.tasks }, (_, i) => ({ key: keyed ? `free-${i % freeKeys}` : '' }));
  await submitAll(client, queue, work);
  const measured = await processRate(client, queue, options.tasks, options.concurrency, pids);
  await client.deleteQueue({ queue, force: true });
  return measured;
}

/** Redis bytes of every key of the queue's keyset (MEMORY USAGE, all elements counted). */
async function queueMemory(port: number, queue: string): Promise<number> {
  const redis = new Redis({ port, host: '127.0.0.1' });
  let total = 0;
  for (const key of DEFAULT_KEYSPACE.queueKeys(queue)) total += Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) || 0;
  redis.disconnect();
  return total;
}

/** Redis bytes of `keyCount` keys' tasks (one ACTIVE, one waiting each, under a key rate), keyed or not. */
async function memoryOf(client: BatonSdk.BatonClient, port: number, keyCount: number, keyed: boolean): Promise<number> {
  const queue = `bench-keys-memory-${++queueCounter}`;
  await client.updateQueue({ queue, settings: { concurrency_key_limit: 1, key_rate_limit: { claims: 1000, period: { seconds: 1, nanos: 0 } } } });
  await submitAll(client, queue, Array.from({ length: keyCount * 2 }, (_, i) => ({ key: keyed ? `key-${i % keyCount}` : '' })));
  await holdBlockedKeys(client, queue, keyCount);
  const bytes = await queueMemory(port, queue);
  await client.deleteQueue({ queue, force: true });
  return bytes;
}

export async function keysBench(argv: string[]): Promise<void> {
  const options = parseKeysOptions(argv);
  const redis = await startPlainRedis();
  const baton = await startBatonProcess(redis.config);
  const client = new sdk.BatonClient(baton.address);
  const port = redis.masters[0]?.port ?? 0;
  console.log(
    `Per-key concurrency: ${options.keyCount} keys, ${options.blocked * 100}% at their limit, ${options.tasks} tasks on the others, ` +
      `worker concurrency ${options.concurrency}, ${options.repeats} rounds (median)\n`,
  );
  const probe = new Redis({ port, host: '127.0.0.1' });
  const redisPid = Number(/process_id:(\d+)/.exec(await probe.info('server'))?.[1]);
  probe.disconnect();
  const pids = [process.pid, baton.process.pid ?? 0, redisPid];
  const runs: Record<Variant, Measured[]> = { 'no keys, no limit': [], 'keyed, no limit': [], 'keyed, limit 1, blocked keys at their limit': [] };
  await runVariant(client, 'no keys, no limit', { ...options, tasks: Math.min(options.tasks, 5_000) }, pids);
  for (let round = 0; round < options.repeats; round++) {
    const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
    for (const variant of order) {
      const measured = await runVariant(client, variant, options, pids);
      runs[variant].push(measured);
      console.log(`  round ${round + 1} ${variant}: ${Math.round(measured.rate)} tasks/s, ${Math.round(measured.cpuPerTask)} µs CPU/task`);
    }
  }
  // Each round's figures against that round's queue without keys: the machine's load moves both alike.
  const ratio = (variant: Variant, of: (m: Measured) => number) =>
    median(runs[variant].map((m, round) => of(m) / of(runs['no keys, no limit'][round] ?? m)));
  const rows = VARIANTS.map((variant) => [
    variant,
    format(median(runs[variant].map((m) => m.rate)), 'tasks/s'),
    format(ratio(variant, (m) => m.rate), '×'),
    format(median(runs[variant].map((m) => m.cpuPerTask)), 'µs'),
    format(ratio(variant, (m) => m.cpuPerTask), '×'),
  ]);
  console.log(`\n${table(['queue', 'processing (median)', 'against no keys (median of rounds)', 'CPU per task', 'against no keys'], rows)}`);

  const keyedBytes = await memoryOf(client, port, options.keyCount, true);
  const plainBytes = await memoryOf(client, port, options.keyCount, false);
  console.log(
    `\nRedis memory (MEMORY USAGE of the queue's keys), ${options.keyCount} keys with one ACTIVE and one waiting task each: ${format(keyedBytes / 1024 / 1024, 'MiB')} ` +
      `against ${format(plainBytes / 1024 / 1024, 'MiB')} for the same tasks without keys: ` +
      `${format((keyedBytes - plainBytes) / options.keyCount, 'bytes')} per key`,
  );
  client.close();
  await baton.stop();
  await redis.stop();
}

/**
 * npm run bench: Baton against BullMQ on the same Redis, in the same run, repeated, with the two systems' runs of
 * each figure back to back; medians and the median of each round's ratio printed as a table, and the raw samples
 * written as JSON.
 *
 *   npm run bench -- [--redis single|cluster] [--replicas 0] [--replica-acks 0] [--tasks 50000] [--repeats 3] [--bulk 1000000] [--quick]
 *   npm run bench -- --python [--tasks 10000] [--repeats 3]   (the Python SDK against Celery: bench/python.ts)
 *   npm run bench -- --go [--tasks 50000] [--repeats 3] [--concurrency 50] [--quick]   (the Go SDK; see go.ts)
 *   npm run bench -- --keys [--key-count 10000] [--blocked 0.9] [--tasks 30000]   (per-key concurrency; see keys.ts)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startPlainRedis, startRedisCluster } from '../tools/redis/cluster.js';
import type { TestRedis } from '../tools/redis/cluster.js';
import { startBatonProcess } from './batonServer.js';
import { benchPython } from './python.js';
import { goBench } from './go.js';
import { cpuTimeMs, format, median, percentile, table } from './stats.js';
import type { System } from './systems.js';

interface Options {
  redis: 'single' | 'cluster';
  tasks: number;
  repeats: number;
  bulk: number;
  latencyTasks: number;
  memoryTasks: number;
  /** Replicas per master (cluster only); at least replicaAcks. */
  replicas: number;
  /** The server's --redis-replica-acks. */
  replicaAcks: number;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? Number(argv[at + 1]) : fallback;
  };
  const redisAt = argv.indexOf('--redis');
  return {
    redis: redisAt >= 0 && argv[redisAt + 1] === 'cluster' ? 'cluster' : 'single',
    tasks: value('tasks', quick ? 5_000 : 50_000),
    repeats: value('repeats', quick ? 1 : 3),
    bulk: value('bulk', quick ? 100_000 : 1_000_000),
    latencyTasks: value('latency-tasks', quick ? 1_000 : 5_000),
    memoryTasks: value('memory-tasks', quick ? 20_000 : 100_000),
    replicas: Math.max(value('replicas', 0), value('replica-acks', 0)),
    replicaAcks: value('replica-acks', 0),
  };
}

const PAYLOAD = Buffer.alloc(100, 7);
let queueCounter = 0;
const freshQueue = (label: string): string => `bench-${label}-${++queueCounter}`;

async function masters(redis: TestRedis): Promise<Redis[]> {
  return Promise.all(redis.masters.map(async (node) => {
    const client = new Redis({ port: node.port, host: '127.0.0.1' });
    await client.ping();
    return client;
  }));
}

async function flush(redis: TestRedis): Promise<void> {
  for (const client of await masters(redis)) {
    await client.flushall();
    client.disconnect();
  }
}

async function usedMemory(redis: TestRedis): Promise<number> {
  let total = 0;
  for (const client of await masters(redis)) {
    const info = await client.info('memory');
    total += Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    client.disconnect();
  }
  return total;
}

type Samples = Record<string, Record<string, number[]>>;

function record(samples: Samples, metric: string, system: string, value: number): void {
  samples[metric] ??= {};
  (samples[metric][system] ??= []).push(value);
}

/** Redis's own rate for a minimal keyed script, the ceiling any script-per-operation design can reach. */
function scriptCeiling(port: number): number {
  const csv = execFileSync('redis-benchmark', [
    '-p', String(port), '-n', '200000', '-c', '50', '-P', '16', '-q', '--csv',
    'EVAL', "return redis.call('INCR', KEYS[1])", '1', '{bench}ceiling',
  ]).toString();
  const lastLine = csv.trim().split('\n').at(-1) ?? '';
  // Quoted fields; the first one (the command) holds commas of its own.
  const fields = [...lastLine.matchAll(/"([^"]*)"/g)].map((match) => match[1]);
  return Number(fields[1]);
}

/** The processes a system's work runs in: Redis's, this one (workers and producers), and Baton's server. */
async function processesOf(redis: TestRedis, extra: number[]): Promise<number[]> {
  const pids = [process.pid, ...extra];
  for (const client of await masters(redis)) {
    pids.push(Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]));
    client.disconnect();
  }
  return pids;
}

/** Where a step runs: one system, with the processes its work runs in. */
interface Subject {
  system: System;
  pids: number[];
}

/**
 * One measurement of one system, recorded into `samples`. A round runs each step for both systems back to back,
 * so that the two figures of a pair see the shared machine in the same state.
 */
type Step = (subject: Subject, redis: TestRedis, options: Options, samples: Samples, label: string) => Promise<void>;

function processing(concurrency: number): Step {
  return async ({ system, pids }, redis, options, samples, label) => {
    await flush(redis);
    const queue = freshQueue(`e2e${concurrency}`);
    const t0 = performance.now();
    await system.enqueue(queue, options.tasks, PAYLOAD, 4);
    const t1 = performance.now();
    const cpuBefore = cpuTimeMs(pids);
    await system.process(queue, options.tasks, concurrency);
    const t2 = performance.now();
    const cpuPerTask = ((cpuTimeMs(pids) - cpuBefore) * 1000) / options.tasks;
    if (concurrency === 50) record(samples, 'enqueue (batches of 1,000), tasks/s', system.name, options.tasks / ((t1 - t0) / 1000));
    record(samples, `processing, concurrency ${concurrency}, tasks/s`, system.name, options.tasks / ((t2 - t1) / 1000));
    record(samples, `CPU per task processed, c=${concurrency}, µs`, system.name, cpuPerTask);
    console.log(`  ${label} ${system.name} c=${concurrency}: enqueue ${Math.round(options.tasks / ((t1 - t0) / 1000))}/s, process ${Math.round(options.tasks / ((t2 - t1) / 1000))}/s, ${Math.round(cpuPerTask)} µs CPU/task`);
  };
}

const dispatchLatency: Step = async ({ system }, redis, options, samples) => {
  await flush(redis);
  const latencies = await system.dispatchLatency(freshQueue('latency'), options.latencyTasks, 1000);
  record(samples, 'dispatch latency p50, ms', system.name, percentile(latencies, 50));
  record(samples, 'dispatch latency p99, ms', system.name, percentile(latencies, 99));
};

const memoryPerTask: Step = async ({ system }, redis, options, samples) => {
  await flush(redis);
  const before = await usedMemory(redis);
  await system.enqueue(freshQueue('memory'), options.memoryTasks, PAYLOAD, 4);
  const after = await usedMemory(redis);
  record(samples, 'Redis memory per pending task, bytes', system.name, (after - before) / options.memoryTasks);
};

const STEPS: Step[] = [processing(1), processing(50), dispatchLatency, memoryPerTask];

/** The median of the two systems' ratios round by round: each pair was measured back to back. */
function medianRatio(first: number[], second: number[]): number {
  return median(first.map((value, i) => value / (second[i] ?? NaN)));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // Loaded here, not at the top: `--python` (bench/python.ts) needs neither BullMQ nor the built TypeScript SDK.
  const { BatonSystem, BullMqSystem } = await import('./systems.js');
  const redis = options.redis === 'cluster' ? await startRedisCluster(3, options.replicas) : await startPlainRedis();
  const baton = await startBatonProcess({ ...redis.config, replicaAcks: options.replicaAcks });
  const clients = await masters(redis);
  const redisVersion = /redis_version:(\S+)/.exec((await clients[0]?.info('server')) ?? '')?.[1] ?? '?';
  for (const client of clients) client.disconnect();
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, Redis ${redisVersion} ${options.redis === 'cluster' ? `3-master cluster, ${options.replicas} replica(s) each` : 'single node'}, replica acks ${options.replicaAcks}`;
  console.log(`Baton vs BullMQ — ${machine}`);
  console.log(`tasks ${options.tasks}, repeats ${options.repeats} (median reported), payload 100 bytes\n`);

  const batonSystem = new BatonSystem(baton.address);
  const bullSystem = new BullMqSystem(redis.config);
  // CPU per task counts every process on the task's path: Redis, this process, and for Baton its server.
  const subjects: Subject[] = [
    { system: batonSystem, pids: await processesOf(redis, [baton.process.pid ?? 0]) },
    { system: bullSystem, pids: await processesOf(redis, []) },
  ];
  const systems = subjects.map((subject) => subject.system);
  const samples: Samples = {};
  const names = systems.map((s) => s.name);

  // A round per system, unrecorded, before the measured ones: a fresh process compiles its code on first use (the
  // Baton server is a fresh process; BullMQ runs in this one), and a long-running deployment is past that.
  const warmUp = { ...options, tasks: Math.min(options.tasks, 5_000), latencyTasks: 1_000, memoryTasks: 1_000 };
  for (const subject of subjects) for (const step of STEPS) await step(subject, redis, warmUp, {}, 'warm-up');

  for (let round = 0; round < options.repeats; round++) {
    // Alternate who goes first so neither always runs on a warmer machine.
    const order = round % 2 === 0 ? subjects : [...subjects].reverse();
    for (const step of STEPS) for (const subject of order) await step(subject, redis, options, samples, `round ${round + 1}`);
  }

  await flush(redis);
  const bulkQueue = freshQueue('bulk');
  const bulkStart = performance.now();
  await batonSystem.enqueue(bulkQueue, options.bulk, PAYLOAD, 8);
  const bulkSeconds = (performance.now() - bulkStart) / 1000;
  await flush(redis);

  const ceiling = redis.masters[0] ? scriptCeiling(redis.masters[0].port) : NaN;

  const rows = Object.entries(samples).map(([metric, bySystem]) => {
    const [batonSamples = [], bullSamples = []] = names.map((name) => bySystem[name] ?? []);
    return [metric, format(median(batonSamples), ''), format(median(bullSamples), ''), format(medianRatio(batonSamples, bullSamples), '×')];
  });
  console.log(`\n${table(['figure (median)', 'Baton', 'BullMQ', 'Baton/BullMQ (median of rounds)'], rows)}`);
  console.log(`\nBaton bulk submit of ${options.bulk.toLocaleString('en-US')} tasks: ${format(bulkSeconds, 's')} (${format(options.bulk / bulkSeconds, 'tasks/s')})`);
  console.log(`Redis ceiling (redis-benchmark, EVAL of a one-command script, 50 clients, pipeline 16, one node): ${format(ceiling, 'calls/s')}`);

  const outDir = join(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-${options.redis}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine, options, samples, bulkSeconds, ceiling }, null, 2));
  console.log(`raw results: ${file}`);

  await Promise.all(systems.map((s) => s.close()));
  await baton.stop();
  await redis.stop();
}

const MODES: Record<string, (argv: string[]) => Promise<void>> = {
  '--python': benchPython,
  '--go': goBench,
  // Loaded when asked for, as main loads the built SDK: the other modes do not need it.
  '--keys': async (argv) => (await import('./keys.js')).keysBench(argv),
};
const mode = Object.entries(MODES).find(([flag]) => process.argv.includes(flag))?.[1];
(mode ? mode(process.argv.slice(2)) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

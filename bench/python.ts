/**
 * npm run bench -- --python (or npm run bench:python): the Python SDK's worker and Submitter against Celery
 * (Debian python3-celery, threads pool, Redis broker) on the same redis-server, in the same run, repeated with the
 * two systems back to back and in alternating order. Trivial handlers, 100-byte payloads; tasks are enqueued first,
 * then a fresh worker process processes them. Throughput is timed inside each worker (first handler start to the
 * last task done: for Baton, its completion confirmed by the server; for Celery, its handler run, no result backend);
 * CPU per task is given for each process on the path (worker, Baton server, redis-server).
 *
 *   npm run bench -- --python [--tasks 10000] [--repeats 3] [--concurrency 50]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { startPlainRedis } from '../tools/redis/cluster.js';
import type { TestRedis } from '../tools/redis/cluster.js';
import { startBatonProcess } from './batonServer.js';
import { cpuTimeMs, format, median, table } from './stats.js';

const PYTHON = '/usr/bin/python3';
const ROOT = join(__dirname, '..');
const PROGRAMS = { baton: join(__dirname, 'python', 'baton_bench.py'), celery: join(__dirname, 'python', 'celery_bench.py') };
const ENV = { ...process.env, PYTHONPATH: join(ROOT, 'clients', 'python'), PYTHONUNBUFFERED: '1' };

interface Figures {
  tasks_per_s: number;
  cpu_us_per_task: number;
  seconds: number;
}

interface Options {
  tasks: number;
  repeats: number;
  concurrency: number;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? Number(argv[at + 1]) : fallback;
  };
  return { tasks: value('tasks', 10_000), repeats: value('repeats', 3), concurrency: value('concurrency', 50) };
}

/**
 * Runs a bench program; `onReady` runs when it prints READY (a worker is up). Resolves with its figures (its last
 * JSON line) and its pid.
 */
function runProgram(args: string[], onReady?: (pid: number) => void): Promise<{ figures: Figures; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let figures: Figures | undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'READY') onReady?.(child.pid ?? 0);
      else if (line.startsWith('{')) figures = JSON.parse(line) as Figures;
    });
    child.once('exit', (code) => {
      if (figures) resolve({ figures, pid: child.pid ?? 0 });
      else reject(new Error(`${args.join(' ')} exited ${String(code)} without figures: ${stderr.slice(-2000)}`));
    });
  });
}

type Samples = Record<string, Record<string, number[]>>;
function record(samples: Samples, metric: string, system: string, value: number): void {
  samples[metric] ??= {};
  (samples[metric][system] ??= []).push(value);
}

interface Subject {
  name: 'Baton (Python SDK)' | 'Celery';
  program: string;
  target: string;
  /** The server's pid, whose CPU counts for this system too (Baton's; Celery has none). */
  serverPid: number | undefined;
}

async function measure(subject: Subject, redis: TestRedis, redisPid: number, options: Options, samples: Samples | undefined, label: string): Promise<void> {
  const flushClient = new Redis(redis.config.url ?? '');
  await flushClient.flushall();
  flushClient.disconnect();
  const queue = `bench-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const n = String(options.tasks);
  const serverPids = subject.serverPid ? [subject.serverPid] : [];

  const enqueueCpu = [cpuTimeMs(serverPids), cpuTimeMs([redisPid])];
  const enqueue = await runProgram([subject.program, 'enqueue', subject.target, queue, n]);
  const enqueueServerUs = ((cpuTimeMs(serverPids) - (enqueueCpu[0] ?? 0)) * 1000) / options.tasks;

  let before: number[] = [];
  const work = await runProgram([subject.program, 'work', subject.target, queue, n, String(options.concurrency)], () => {
    before = [cpuTimeMs(serverPids), cpuTimeMs([redisPid])];
  });
  const serverUs = ((cpuTimeMs(serverPids) - (before[0] ?? 0)) * 1000) / options.tasks;
  const redisUs = ((cpuTimeMs([redisPid]) - (before[1] ?? 0)) * 1000) / options.tasks;
  const name = subject.name;
  console.log(
    `  ${label} ${name}: enqueue ${Math.round(enqueue.figures.tasks_per_s)}/s, process ${Math.round(work.figures.tasks_per_s)}/s, ` +
      `CPU/task worker ${Math.round(work.figures.cpu_us_per_task)} µs, server ${Math.round(serverUs)} µs, redis ${Math.round(redisUs)} µs`,
  );
  if (!samples) return;
  record(samples, `processing, concurrency ${options.concurrency}, tasks/s`, name, work.figures.tasks_per_s);
  record(samples, 'CPU per task: worker process, µs', name, work.figures.cpu_us_per_task);
  record(samples, 'CPU per task: Baton server, µs', name, subject.serverPid ? serverUs : 0);
  record(samples, 'CPU per task: redis-server, µs', name, redisUs);
  record(samples, 'CPU per task: all processes, µs', name, work.figures.cpu_us_per_task + (subject.serverPid ? serverUs : 0) + redisUs);
  record(samples, 'enqueue (Submitter / apply_async), tasks/s', name, enqueue.figures.tasks_per_s);
  record(samples, 'CPU per task enqueued: producer, µs', name, enqueue.figures.cpu_us_per_task);
  record(samples, 'CPU per task enqueued: Baton server, µs', name, subject.serverPid ? enqueueServerUs : 0);
}

export async function benchPython(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const redis = await startPlainRedis();
  const baton = await startBatonProcess(redis.config);
  const info = new Redis(redis.config.url ?? '');
  const server = await info.info('server');
  info.disconnect();
  const redisPid = Number(/process_id:(\d+)/.exec(server)?.[1]);
  const redisVersion = /redis_version:(\S+)/.exec(server)?.[1] ?? '?';
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Redis ${redisVersion} single node, Python ${PYTHON}`;
  console.log(`Python SDK vs Celery — ${machine}`);
  console.log(`tasks ${options.tasks}, concurrency ${options.concurrency}, repeats ${options.repeats} (median reported), payload 100 bytes\n`);
  const subjects: Subject[] = [
    { name: 'Baton (Python SDK)', program: PROGRAMS.baton, target: baton.address, serverPid: baton.process.pid },
    { name: 'Celery', program: PROGRAMS.celery, target: `${redis.config.url ?? ''}/0`, serverPid: undefined },
  ];
  const samples: Samples = {};
  try {
    const warmUp = { ...options, tasks: Math.min(options.tasks, 2_000) };
    for (const subject of subjects) await measure(subject, redis, redisPid, warmUp, undefined, 'warm-up');
    for (let round = 0; round < options.repeats; round++) {
      const order = round % 2 === 0 ? subjects : [...subjects].reverse();
      for (const subject of order) await measure(subject, redis, redisPid, options, samples, `round ${round + 1}`);
    }
  } finally {
    await baton.stop();
    await redis.stop();
  }
  const [first, second] = subjects.map((s) => s.name);
  const rows = Object.entries(samples).map(([metric, bySystem]) => {
    const a = bySystem[first ?? ''] ?? [];
    const b = bySystem[second ?? ''] ?? [];
    const ratio = median(a.map((value, i) => value / (b[i] ?? NaN)));
    return [metric, format(median(a), ''), format(median(b), ''), Number.isFinite(ratio) && ratio > 0 ? format(ratio, '×') : '—'];
  });
  console.log(`\n${table(['figure (median)', first ?? '', second ?? '', 'Baton/Celery (median of rounds)'], rows)}`);
  const outDir = join(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-python-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine, options, samples }, null, 2));
  console.log(`raw results: ${file}`);
}

if (require.main === module) {
  benchPython(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

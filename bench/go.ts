/**
 * npm run bench -- --go: the Go SDK's worker against the TypeScript SDK's, on the same Baton server and Redis, in the
 * same run, rounds back to back (alternating who goes first). Each processes the same number of already-submitted
 * trivial tasks at the same concurrency; throughput, and CPU per task for each process on the path: the worker's,
 * the Baton server's and Redis's.
 *
 *   npm run bench -- --go [--tasks 50000] [--repeats 3] [--concurrency 50] [--quick]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { startPlainRedis } from '../tools/redis/cluster.js';
import type { TestRedis } from '../tools/redis/cluster.js';
import { startBatonProcess } from './batonServer.js';
import { sdk } from './sdk.js';
import { cpuTimeMs, format, median, table } from './stats.js';

const { BatonClient, createWorker } = sdk;
const ROOT = join(__dirname, '..');
const PAYLOAD = Buffer.alloc(100, 7);

interface GoOptions {
  tasks: number;
  repeats: number;
  concurrency: number;
}

function parseGoOptions(argv: string[]): GoOptions {
  const quick = argv.includes('--quick');
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? Number(argv[at + 1]) : fallback;
  };
  return {
    tasks: value('tasks', quick ? 5_000 : 50_000),
    repeats: value('repeats', quick ? 1 : 3),
    concurrency: value('concurrency', 50),
  };
}

/** What one worker run cost: wall time, and CPU (ms) of the worker, the server and Redis. */
interface Run {
  seconds: number;
  workerCpuMs: number;
  serverCpuMs: number;
  redisCpuMs: number;
}

interface Sdk {
  name: string;
  process(queue: string, n: number, concurrency: number): Promise<Run>;
}

/** Measures `work` (which returns the worker's pid): wall time and the CPU of each process on the path. */
async function measure(serverPid: number, redisPid: number, start: () => Promise<number>, work: () => Promise<void>): Promise<Run> {
  const workerPid = await start();
  const before = [cpuTimeMs([workerPid]), cpuTimeMs([serverPid]), cpuTimeMs([redisPid])];
  const t0 = performance.now();
  await work();
  const seconds = (performance.now() - t0) / 1000;
  const after = [cpuTimeMs([workerPid]), cpuTimeMs([serverPid]), cpuTimeMs([redisPid])];
  return {
    seconds,
    workerCpuMs: (after[0] ?? NaN) - (before[0] ?? NaN),
    serverCpuMs: (after[1] ?? NaN) - (before[1] ?? NaN),
    redisCpuMs: (after[2] ?? NaN) - (before[2] ?? NaN),
  };
}

/** The TypeScript SDK's worker (createWorker) in this process, as bench/systems.ts runs it. */
function typescriptSdk(address: string, serverPid: number, redisPid: number): Sdk {
  const client = new BatonClient(address);
  return {
    name: 'TypeScript SDK',
    process: (queue, n, concurrency) => {
      let finish: () => void = () => undefined;
      const everyTaskHandled = new Promise<void>((resolve) => (finish = resolve));
      let handled = 0;
      const worker = createWorker({
        client,
        queues: queue,
        concurrency,
        registerInterval: 0,
        handler: () => {
          handled += 1;
          if (handled === n) finish();
        },
      });
      return measure(
        serverPid,
        redisPid,
        () => Promise.resolve(process.pid),
        async () => {
          const running = worker.run();
          await everyTaskHandled;
          await worker.close();
          await running;
        },
      );
    },
  };
}

/** The Go SDK's worker (bench/go-worker) in its own process, started before the clock and told when to go. */
function goSdk(binary: string, address: string, serverPid: number, redisPid: number): Sdk {
  return {
    name: 'Go SDK',
    process: (queue, n, concurrency) => {
      const child = spawn(binary, [address, queue, String(n), String(concurrency)], { stdio: ['pipe', 'pipe', 'inherit'] });
      const lines = createInterface({ input: child.stdout });
      const lineSeen = (wanted: string): Promise<void> =>
        new Promise((resolve, reject) => {
          lines.on('line', (line) => {
            if (line === wanted) resolve();
          });
          child.once('exit', (code) => {
            reject(new Error(`the Go worker exited with ${String(code)} before ${wanted}`));
          });
        });
      const ready = lineSeen('READY');
      const finished = lineSeen('FINISHED');
      return measure(
        serverPid,
        redisPid,
        async () => {
          await ready;
          return child.pid ?? 0;
        },
        async () => {
          child.stdin.write('go\n');
          await finished;
          // CPU is read before the process exits (its /proc entry goes with it): wait for the exit after.
        },
      ).finally(() => {
        child.stdin.end();
      });
    },
  };
}

async function enqueue(address: string, queue: string, n: number): Promise<void> {
  const client = new BatonClient(address);
  const lanes = 4;
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < n) {
        const count = Math.min(1000, n - next);
        next += count;
        const { results } = await client.submitTasks({ requests: Array.from({ length: count }, () => ({ queue, payload: PAYLOAD })) });
        if (results.some((r) => r.error)) throw new Error('a bench submit failed');
      }
    }),
  );
  client.close();
}

async function redisPidOf(redis: TestRedis): Promise<number> {
  const node = redis.masters[0];
  if (!node) throw new Error('no redis');
  const client = new Redis({ port: node.port, host: '127.0.0.1' });
  const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  await client.flushall();
  client.disconnect();
  return pid;
}

export async function goBench(argv: string[]): Promise<void> {
  const options = parseGoOptions(argv);
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-go-'));
  const binary = join(dir, 'go-worker');
  execFileSync('bash', [join(ROOT, 'clients/go/build.sh'), 'binary', binary, 'bench/go-worker'], { stdio: 'inherit' });
  const redis = await startPlainRedis();
  const baton = await startBatonProcess(redis.config);
  const serverPid = baton.process.pid ?? 0;
  const redisPid = await redisPidOf(redis);
  const goVersion = execFileSync('go', ['version']).toString().trim();
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, ${goVersion}, Redis single node`;
  console.log(`Go SDK vs TypeScript SDK workers — ${machine}`);
  console.log(`tasks ${options.tasks}, concurrency ${options.concurrency}, repeats ${options.repeats} (median reported), payload 100 bytes, trivial handler\n`);

  const sdks = [typescriptSdk(baton.address, serverPid, redisPid), goSdk(binary, baton.address, serverPid, redisPid)];
  const samples: Record<string, Record<string, number[]>> = {};
  const record = (metric: string, name: string, value: number): void => {
    samples[metric] ??= {};
    (samples[metric][name] ??= []).push(value);
  };
  let queueCounter = 0;
  const one = async (subject: Sdk, n: number, label: string, keep: boolean): Promise<void> => {
    const queue = `bench-go-${++queueCounter}`;
    await enqueue(baton.address, queue, n);
    const run = await subject.process(queue, n, options.concurrency);
    const perTask = (ms: number): number => (ms * 1000) / n;
    console.log(
      `  ${label} ${subject.name}: ${Math.round(n / run.seconds)} tasks/s; CPU/task µs: worker ${perTask(run.workerCpuMs).toFixed(1)}, server ${perTask(run.serverCpuMs).toFixed(1)}, redis ${perTask(run.redisCpuMs).toFixed(1)}`,
    );
    if (!keep) return;
    record(`processing, concurrency ${options.concurrency}, tasks/s`, subject.name, n / run.seconds);
    record('CPU per task, worker process, µs', subject.name, perTask(run.workerCpuMs));
    record('CPU per task, Baton server, µs', subject.name, perTask(run.serverCpuMs));
    record('CPU per task, Redis, µs', subject.name, perTask(run.redisCpuMs));
    record('CPU per task, all three, µs', subject.name, perTask(run.workerCpuMs + run.serverCpuMs + run.redisCpuMs));
  };
  // An unrecorded round first: the server and this process compile their code on first use.
  for (const subject of sdks) await one(subject, Math.min(options.tasks, 5_000), 'warm-up', false);
  for (let round = 0; round < options.repeats; round++) {
    const order = round % 2 === 0 ? sdks : [...sdks].reverse();
    for (const subject of order) await one(subject, options.tasks, `round ${round + 1}`, true);
  }

  const [ts, go] = sdks.map((s) => s.name);
  const rows = Object.entries(samples).map(([metric, bySdk]) => {
    const tsSamples = bySdk[ts ?? ''] ?? [];
    const goSamples = bySdk[go ?? ''] ?? [];
    const ratio = median(goSamples.map((value, i) => value / (tsSamples[i] ?? NaN)));
    return [metric, format(median(tsSamples), ''), format(median(goSamples), ''), format(ratio, '×')];
  });
  console.log(`\n${table(['figure (median)', 'TypeScript SDK', 'Go SDK', 'Go/TS (median of rounds)'], rows)}`);
  const outDir = join(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-go-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine, options, samples }, null, 2));
  console.log(`raw results: ${file}`);
  await baton.stop();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}

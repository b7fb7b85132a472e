/**
 * Server CPU per task, by phase: the figure to compare before and after a change to the server's hot path.
 * Starts its own Redis and a built Baton (dist/), runs the bench's Baton workload, and reads the server's CPU time
 * (user + system, from /proc) around each phase. Less noisy than throughput on a shared machine, since it counts
 * the server's own work rather than wall time.
 *
 *   npm run build && node --import tsx bench/profile.ts [--tasks 20000] [--repeats 3] [--cpu-prof DIR]
 *     [--concurrency 50,1] [--no-latency] [--split] [--warm-tasks 2000] [--by-command]
 *
 * Redis's commands per task count those its scripts run too; scripts/task counts the scripts alone; --by-command
 * prints each command's calls per task.
 * --split counts system time only. BATON_BENCH_MAIN=/path/to/other/dist/src/main.js profiles another build (A/B);
 * BATON_BENCH_SDK=/path/to/other/sdk/index.js runs the worker of another SDK build (bench/sdk.ts). Redis's CPU and
 * the worker's (this process's) are shown beside the server's for the processing phases.
 *
 * With --cpu-prof the server writes a V8 CPU profile into DIR on exit, and the heaviest functions and packages by
 * self time are printed. Tasks are then submitted through a second, unprofiled server on the same Redis, so the
 * profile shows the processing path (claims and completions) alone.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startPlainRedis } from '../tools/redis/cluster.js';
import { startBatonProcess } from './batonServer.js';
import { cpuTimeMs, median } from './stats.js';
import { BatonSystem } from './systems.js';

const SPLIT = process.argv.includes('--split');

function cpuMs(pid: number): number {
  return cpuTimeMs([pid], SPLIT);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

function topSelf(dir: string, limit: number): void {
  const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1);
  if (!file) return;
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') return;
    const where = url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
    const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const pkg = /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(url)?.[1] ?? (url.includes('/dist/') ? 'baton' : url.startsWith('node:') ? 'node' : functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
    total += dt;
  });
  console.log(`\n${file}: ${(total / 1000).toFixed(0)} ms busy`);
  const print = (entries: Map<string, number>, count: number): void => {
    for (const [key, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, count)) {
      console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
    }
  };
  print(byPackage, 12);
  console.log('');
  print(self, limit);
}

async function redisProcessId(port: number): Promise<number> {
  const client = new Redis({ port, host: '127.0.0.1' });
  try {
    return Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  } finally {
    client.disconnect();
  }
}

/** Commands the Redis server has run, by name (INFO commandstats). */
async function commandCalls(client: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    calls.set(match[1] ?? '', Number(match[2]));
    calls.set(`${match[1] ?? ''} µs`, Number(match[3]));
  }
  return calls;
}

/** Commands run since `before` (those the scripts run included), or only those named. */
function callsSince(before: Map<string, number>, after: Map<string, number>, only?: string): number {
  let total = 0;
  for (const [name, count] of after) {
    if (name !== 'info' && !name.endsWith(' µs') && (only === undefined || name === only)) total += count - (before.get(name) ?? 0);
  }
  return total;
}

/** Each command's calls per task over one phase, most frequent first, and Redis's time in each per task. */
function printCommands(phase: string, before: Map<string, number>, after: Map<string, number>, tasks: number): void {
  const since = (name: string): number => ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / tasks;
  const rows = [...after.keys()]
    .filter((name) => name !== 'info' && !name.endsWith(' µs') && since(name) > 0)
    .sort((a, b) => since(b) - since(a));
  console.log(`${phase} commands/task: ${rows.map((name) => `${name} ${since(name).toFixed(2)}`).join(', ')}`);
  console.log(`${phase} Redis µs/task: ${rows.map((name) => `${name} ${since(`${name} µs`).toFixed(1)}`).join(', ')}`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const tasks = Number(value('tasks') ?? 20_000);
  const repeats = Number(value('repeats') ?? 3);
  const profDir = value('cpu-prof');
  const levels = (value('concurrency') ?? '50,1').split(',').map(Number);
  const latency = !argv.includes('--no-latency');
  const byCommand = argv.includes('--by-command');
  // A fresh server compiles its hot path over its first tens of thousands of tasks: more warm-up steadies round 1.
  const warmTasks = Number(value('warm-tasks') ?? 2_000);
  const redis = await startPlainRedis();
  const redisPid = await redisProcessId(redis.masters[0]?.port ?? 0);
  const stats = new Redis({ port: redis.masters[0]?.port ?? 0, host: '127.0.0.1' });
  const baton = await startBatonProcess(redis.config, profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []);
  const pid = baton.process.pid ?? 0;
  const system = new BatonSystem(baton.address);
  const submitter = profDir ? await startBatonProcess(redis.config) : undefined;
  const producer = submitter ? new BatonSystem(submitter.address) : system;
  const payload = Buffer.alloc(100, 7);
  const phases: Record<string, number[]> = {};
  const note = (name: string, value: number): void => {
    (phases[name] ??= []).push(value);
  };
  try {
    // Warm up the JIT on both paths.
    await producer.enqueue('warm', warmTasks, payload, 4);
    await system.process('warm', warmTasks, 50);
    for (let round = 0; round < repeats; round++) {
      for (const concurrency of levels) {
        const queue = `profile-${concurrency}-${round}`;
        const n = concurrency === 1 ? Math.min(tasks, 3_000) : tasks;
        let cpu = cpuMs(pid);
        let t = performance.now();
        await producer.enqueue(queue, n, payload, 4);
        if (concurrency === 50) note('enqueue µs CPU/task', ((cpuMs(pid) - cpu) * 1000) / n);
        cpu = cpuMs(pid);
        const redisCpu = cpuMs(redisPid);
        const workerCpu = cpuMs(process.pid);
        const calls = await commandCalls(stats);
        t = performance.now();
        await system.process(queue, n, concurrency);
        note(`process c=${concurrency} µs CPU/task`, ((cpuMs(pid) - cpu) * 1000) / n);
        note(`  redis c=${concurrency} µs CPU/task`, ((cpuMs(redisPid) - redisCpu) * 1000) / n);
        note(`  worker c=${concurrency} µs CPU/task`, ((cpuMs(process.pid) - workerCpu) * 1000) / n);
        const callsAfter = await commandCalls(stats);
        note(`  redis c=${concurrency} commands/task`, callsSince(calls, callsAfter) / n);
        note(`  redis c=${concurrency} scripts/task`, callsSince(calls, callsAfter, 'evalsha') / n);
        note(`process c=${concurrency} tasks/s`, n / ((performance.now() - t) / 1000));
        if (byCommand) printCommands(`c=${concurrency} round ${round + 1}`, calls, callsAfter, n);
        console.log(`round ${round + 1} c=${concurrency} done`);
      }
      if (!latency) continue;
      const cpu = cpuMs(pid);
      const latencies = await system.dispatchLatency(`profile-latency-${round}`, 2_000, 1000);
      note('latency run µs CPU/task', ((cpuMs(pid) - cpu) * 1000) / 2_000);
      latencies.sort((a, b) => a - b);
      note('dispatch p50 ms', latencies[Math.floor(latencies.length * 0.5)] ?? NaN);
      note('dispatch p99 ms', latencies[Math.floor(latencies.length * 0.99)] ?? NaN);
    }
  } catch (error) {
    console.error('profile run failed:', error);
    throw error;
  } finally {
    await system.close();
    await producer.close();
    await submitter?.stop();
    stats.disconnect();
    await baton.stop();
    await redis.stop();
  }
  for (const [name, values] of Object.entries(phases)) {
    console.log(`${name.padEnd(28)} median ${median(values).toFixed(1).padStart(8)}   [${values.map((v) => v.toFixed(1)).join(', ')}]`);
  }
  if (profDir) topSelf(profDir, 40);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

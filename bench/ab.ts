/**
 * CPU per task of two builds, measured in turns in one run: the A/B for a change on the hot path. Each side has its
 * own Redis and its own server process; rounds alternate between the sides (A B, B A, ...) so that whatever else
 * the machine does weighs on both alike. A round submits `--tasks` tasks and processes them at each concurrency
 * with the SDK's worker, reading the CPU time of the server, its Redis and the worker (this process) around it.
 *
 *   npm run bench:ab -- --a <main.js> [--a-sdk <index.js>]
 *     [--b <main.js>] [--b-sdk <index.js>] [--rounds 20] [--tasks 10000] [--concurrency 50,1] [--warm-tasks 10000]
 *
 * A side is a server build (its dist/src/main.js) and an SDK build (clients/typescript/dist/index.js), this
 * checkout's unless given. Copy another checkout's builds inside this one, so that their imports resolve here.
 */
import { join, resolve } from 'node:path';
import { startPlainRedis } from '../tools/redis/cluster.js';
import type { TestRedis } from '../tools/redis/cluster.js';
import { startBatonProcess } from './batonServer.js';
import type { BatonProcess } from './batonServer.js';
import { sdk } from './sdk.js';
import type { BatonSdk } from './sdk.js';
import { cpuTimeMs, median, option } from './stats.js';
import { BatonSystem } from './systems.js';
import { Redis } from 'ioredis';

interface Side {
  name: string;
  redis: TestRedis;
  redisPid: number;
  baton: BatonProcess;
  system: BatonSystem;
  figures: Map<string, number[]>;
}

function textOption(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** Side `name`'s server and SDK: `--<name> <main.js>` and `--<name>-sdk <index.js>`, this checkout's by default. */
function build(name: string): { main: string; sdkBuild: typeof BatonSdk } {
  const main = textOption(name);
  const sdkPath = textOption(`${name}-sdk`);
  return {
    main: main === undefined ? join(__dirname, '..', 'dist', 'src', 'main.js') : resolve(main),
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sdkBuild: sdkPath === undefined ? sdk : (require(resolve(sdkPath)) as typeof BatonSdk),
  };
}

async function startSide(name: string): Promise<Side> {
  const { main, sdkBuild } = build(name.toLowerCase());
  const redis = await startPlainRedis();
  const client = new Redis({ port: redis.masters[0]?.port ?? 0, host: '127.0.0.1' });
  const redisPid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  client.disconnect();
  const baton = await startBatonProcess(redis.config, [], main);
  return { name, redis, redisPid, baton, system: new BatonSystem(baton.address, sdkBuild), figures: new Map() };
}

async function round(side: Side, label: string, tasks: number, concurrency: number): Promise<void> {
  const payload = Buffer.alloc(100, 7);
  await side.system.enqueue(label, tasks, payload, 4);
  const pids = { server: side.baton.process.pid ?? 0, redis: side.redisPid, worker: process.pid };
  const before = Object.fromEntries(Object.entries(pids).map(([part, pid]) => [part, cpuTimeMs([pid])]));
  await side.system.process(label, tasks, concurrency);
  let total = 0;
  for (const [part, pid] of Object.entries(pids)) {
    const perTask = ((cpuTimeMs([pid]) - (before[part] ?? 0)) * 1000) / tasks;
    total += perTask;
    const key = `c=${concurrency} ${part}`;
    side.figures.set(key, [...(side.figures.get(key) ?? []), perTask]);
  }
  side.figures.set(`c=${concurrency} total`, [...(side.figures.get(`c=${concurrency} total`) ?? []), total]);
}

async function main(): Promise<void> {
  const rounds = option('rounds', 20);
  const tasks = option('tasks', 10_000);
  const warmTasks = option('warm-tasks', 10_000);
  const levels = (textOption('concurrency') ?? '50,1').split(',').map(Number);
  const a = await startSide('A');
  const b = await startSide('B');
  try {
    for (const side of [a, b]) {
      await side.system.enqueue('warm', warmTasks, Buffer.alloc(100, 7), 4);
      await side.system.process('warm', warmTasks, 50);
      await side.system.enqueue('warm-1', 2_000, Buffer.alloc(100, 7), 4);
      await side.system.process('warm-1', 2_000, 1);
    }
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? [a, b] : [b, a]) {
        for (const concurrency of levels) {
          // A task at concurrency 1 costs tens of times one at 50: fewer of them keep the rounds alike in length.
          await round(side, `ab-${r}-${concurrency}`, concurrency === 1 ? Math.ceil(tasks / 5) : tasks, concurrency);
        }
      }
      console.log(`round ${r + 1} of ${rounds} done`);
    }
  } finally {
    for (const side of [a, b]) {
      await side.system.close();
      await side.baton.stop();
      await side.redis.stop();
    }
  }
  console.log(`\nµs CPU per task, median of ${rounds} rounds        A        B    B/A`);
  for (const [key, values] of a.figures) {
    const ma = median(values);
    const mb = median(b.figures.get(key) ?? []);
    console.log(`${key.padEnd(40)} ${ma.toFixed(1).padStart(8)} ${mb.toFixed(1).padStart(8)} ${(mb / ma).toFixed(3).padStart(6)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

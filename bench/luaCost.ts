/**
 * Redis's own work per task for Baton's hot scripts, counted in instructions by `valgrind --tool=callgrind`: the
 * same for the same scripts and data however busy the machine is, so a change to a script can be judged by one run
 * even where timings vary from one run to the next.
 *
 *   node --import tsx bench/luaCost.ts [--tasks 4000] [--batch 100]
 *
 * Runs redis-server under callgrind four times, on a free loopback port: started and stopped alone, then with
 * `tasks` tasks submitted, then also claimed, then also completed, in batches of `batch` through the scripts' own
 * commands (EVALSHA, as the server sends them). The differences divided by `tasks` are each script's instructions
 * per task. Needs valgrind (Debian package `valgrind`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DEFAULT_KEYSPACE, QUEUE_KEY_COUNT } from '../src/store/keys.js';
import { freePort } from '../tools/redis/local.js';
import { readScript } from '../src/store/scripts.js';
import { encodeNewTask } from '../src/store/taskCodec.js';
import { option } from './stats.js';

type Phase = 'none' | 'submit' | 'claim' | 'complete';
const PHASES: Phase[] = ['none', 'submit', 'claim', 'complete'];

async function connect(port: number): Promise<Redis> {
  for (let attempt = 0; ; attempt++) {
    const client = new Redis({ port, host: '127.0.0.1', retryStrategy: () => null, lazyConnect: true });
    // valgrind takes a few seconds to start redis-server: refused connections are expected until then.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return client;
    } catch (error) {
      client.disconnect();
      if (attempt > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Runs the workload up to `last` against a redis-server under callgrind; returns the instructions it executed. */
async function instructions(last: Phase, tasks: number, batch: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-lua-cost-'));
  const port = await freePort();
  const out = join(dir, 'callgrind.out');
  const server = spawn(
    'valgrind',
    ['--tool=callgrind', `--callgrind-out-file=${out}`, 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { cwd: dir, stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => server.once('exit', resolve));
  try {
    const redis = await connect(port);
    const keys = DEFAULT_KEYSPACE.queueKeys('cost');
    const [submit = '', claim = '', complete = ''] = await Promise.all(
      ['submit', 'claim', 'complete'].map(async (name) => String(await redis.script('LOAD', readScript(name)))),
    );
    const payload = Buffer.alloc(100, 7);
    // Each script's last argument is the time past which it refuses to run (lua/includes/deadline.lua).
    const deadline = (): number => Date.now() + 3_600_000;
    const reached = (phase: Phase): boolean => PHASES.indexOf(last) >= PHASES.indexOf(phase);
    for (let first = 0; first < tasks && reached('submit'); first += batch) {
      const args = Array.from({ length: batch }, (_, i) =>
        encodeNewTask({
          queue: 'cost',
          id: `task-${String(first + i).padStart(8, '0')}`,
          payload,
          metadata: {},
          type: '',
          priority: 0,
          delayMs: 0,
          maxAttempts: 0,
          leaseDurationMs: 0,
          retryPolicy: { initialBackoffMs: 1_000, maxBackoffMs: 3_600_000, multiplier: 2, jitter: 0 },
        }),
      ).flat();
      // The first batch registers the queue (lua/includes/registration.lua); the rest find it registered. No task
      // carries a concurrency key or a unique key (the two zero counts after the task groups).
      await redis.evalsha(submit, QUEUE_KEY_COUNT, ...keys, batch, '0', '', 0, 0, '', first === 0 ? '1' : '0', ...args, 0, 0, deadline());
    }
    for (let first = 0; first < tasks && reached('claim'); first += batch) {
      // Claimed tasks come as a flat list: token, task id, record for each.
      const [, claimed] = (await redis.callBuffer('EVALSHA', claim, QUEUE_KEY_COUNT, ...keys, 'cost-worker', batch, 0, 'tcost', deadline())) as [
        unknown,
        Buffer[],
      ];
      if (!reached('complete')) continue;
      const items: Buffer[] = [];
      for (let at = 0; at < claimed.length; at += 3) {
        const [token, id] = claimed.slice(at, at + 2);
        if (token && id) items.push(id, token, Buffer.alloc(0));
      }
      await redis.callBuffer('EVALSHA', complete, QUEUE_KEY_COUNT, ...keys, items.length / 3, 'brief', '', 0, 0, '', ...items, deadline());
    }
    await redis.shutdown('NOSAVE').catch(() => undefined);
    redis.disconnect();
    await exited;
    const summary = /^summary: (\d+)$/m.exec(readFileSync(out, 'utf8'));
    if (!summary?.[1]) throw new Error('callgrind wrote no summary');
    return Number(summary[1]);
  } finally {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const tasks = option('tasks', 4_000);
  const batch = option('batch', 100);
  const totals: number[] = [];
  for (const phase of PHASES) totals.push(await instructions(phase, tasks, batch));
  console.log(`Redis instructions per task (callgrind), ${tasks} tasks of 100 bytes in batches of ${batch}:`);
  let all = 0;
  PHASES.slice(1).forEach((phase, i) => {
    const perTask = ((totals[i + 1] ?? 0) - (totals[i] ?? 0)) / tasks;
    all += perTask;
    console.log(`  ${phase.padEnd(10)} ${Math.round(perTask).toLocaleString('en-US').padStart(9)}`);
  });
  console.log(`  ${'in all'.padEnd(10)} ${Math.round(all).toLocaleString('en-US').padStart(9)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { RedisConfig } from '../../src/store/redis.js';
import { eventually } from './baton.js';

const MAIN = join(__dirname, '..', '..', 'src', 'main.ts');
const MiB = 1024 * 1024;

/** A Baton server from source in a process of its own, so that its memory and its Redis connections can be measured. */
export interface ServerProcess {
  readonly grpcAddress: string;
  readonly child: ChildProcess;
  /** Resident memory now, in bytes. */
  rss(): number;
  /** The most resident memory the process has had, in bytes. */
  peakRss(): number;
  stop(): Promise<void>;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** Starts the server on `redis` with `env` added, on a free loopback port, dashboard and metrics off. */
export async function startServerProcess(redis: RedisConfig, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const redisEnv = redis.clusterNodes
    ? { BATON_REDIS_CLUSTER: redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',') }
    : { BATON_REDIS_URL: redis.url };
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      PATH: process.env.PATH,
      BATON_GRPC_ADDR: '127.0.0.1:0',
      BATON_METRICS_ADDR: 'off',
      BATON_DASHBOARD_ADDR: 'off',
      BATON_LOG_FORMAT: 'json',
      BATON_LOG_LEVEL: 'info',
      ...redisEnv,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = once(child, 'exit');
  void exited.then(() => process.removeListener('exit', killOnExit));
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (out.stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString('utf8')));
  const grpcAddress = await eventually(() => {
    if (child.exitCode !== null) throw new Error(`the server exited: ${out.stderr}`);
    const line = out.stdout.split('\n').find((l) => l.includes('"baton serving"'));
    return Promise.resolve(line === undefined ? undefined : (JSON.parse(line) as { grpc: string }).grpc);
  }, 30_000);
  const pid = child.pid ?? 0;
  return {
    grpcAddress,
    child,
    rss: () => statusField(pid, 'VmRSS'),
    peakRss: () => statusField(pid, 'VmHWM'),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** Connections a Redis node has from Baton servers (their connection names start with "baton"). */
export async function batonConnections(node: Redis): Promise<number> {
  const list = (await node.call('CLIENT', 'LIST')) as string;
  return list.split('\n').filter((line) => / name=baton/.test(line)).length;
}

/** Calls of each script or command a Redis node has run, by name (INFO commandstats). */
export async function commandCalls(node: Redis): Promise<Map<string, number>> {
  const info = await node.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1] ?? '', Number(match[2]));
  return calls;
}

/** How many more calls of `names` (all commands when empty) `after` counts than `before`. */
export function callsBetween(before: Map<string, number>, after: Map<string, number>, names: readonly string[] = []): number {
  let total = 0;
  for (const [name, count] of after) {
    if (names.length === 0 || names.includes(name)) total += count - (before.get(name) ?? 0);
  }
  return total;
}

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(0)} MiB`;
}

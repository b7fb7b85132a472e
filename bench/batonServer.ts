import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../tools/redis/local.js';
import type { RedisConfig } from '../src/store/redis.js';

export interface BatonProcess {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The Node flags `npm start` (and the image's CMD) give the server, so that the bench runs it the same way. */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [node, ...rest] = pkg.scripts.start.split(' ');
  if (node !== 'node' || rest.at(-1) !== 'dist/src/main.js') throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  return rest.slice(0, -1);
}

/** Runs the built server (dist/) as its own process, as in production: the gRPC hop is part of what we measure. */
export async function startBatonProcess(
  redis: RedisConfig,
  extraArgs: string[] = [],
  // BATON_BENCH_MAIN runs another build (e.g. a copy of dist/ from before a change) for an A/B comparison.
  main = process.env.BATON_BENCH_MAIN ?? join(__dirname, '..', 'dist', 'src', 'main.js'),
): Promise<BatonProcess> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BATON_GRPC_ADDR: address,
    BATON_METRICS_ADDR: `127.0.0.1:${await freePort()}`,
    BATON_DASHBOARD_ADDR: 'off',
    BATON_LOG_LEVEL: 'info',
  };
  if (redis.url) env.BATON_REDIS_URL = redis.url;
  if (redis.clusterNodes) env.BATON_REDIS_CLUSTER = redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (redis.replicaAcks) env.BATON_REDIS_REPLICA_ACKS = String(redis.replicaAcks);
  const child = spawn(process.execPath, [...startFlags(), ...extraArgs, main], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A bench that fails part-way must not leave its server running, holding its ports and its caller's pipes.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('baton serving')) resolve();
    });
    child.once('exit', (code) => {
      reject(new Error(`baton exited with ${String(code)}: ${output}`));
    });
  });
  child.stdout.resume();
  return {
    address,
    process: child,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

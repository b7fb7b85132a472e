import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { BatonClient } from '../../clients/typescript/src/client.js';
import { freePort } from '../../tools/redis/local.js';
import { eventually } from '../support/baton.js';

/** The README's first command: the server with no Redis configured (run from source here, as `npm start` runs dist/). */
function startWithoutRedis(grpcPort: number): { child: ChildProcess; output: () => string; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'src', 'main.ts')], {
    // Only what a newcomer's shell would have: no BATON_REDIS_URL or BATON_REDIS_CLUSTER.
    env: { PATH: process.env.PATH, BATON_GRPC_ADDR: `127.0.0.1:${grpcPort}`, BATON_METRICS_ADDR: '127.0.0.1:0', BATON_DASHBOARD_ADDR: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stderr = '';
  const append = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return { child, output: () => output, stderr: () => stderr };
}

/** The redis-server the server says it started: its log line names the URL and the directory. */
function localRedisOf(output: string): { url: string; port: number; dir: string } {
  const line = output.split('\n').find((l) => l.includes('started a local redis-server'));
  assert.ok(line, `the server says it started a redis-server:\n${output}`);
  const { url, dir } = JSON.parse(line) as { url: string; dir: string };
  return { url, port: Number(new URL(url).port), dir };
}

async function answers(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

/** Stops a redis-server the server under test failed to stop, so a failing test leaves nothing running. */
async function shutDownIfRunning(redis: { url: string; port: number } | undefined): Promise<void> {
  if (!redis || !(await answers(redis.port))) return;
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  await client.shutdown('NOSAVE').catch(() => undefined);
  client.disconnect();
}

describe('with no Redis configured (development)', () => {
  it('starts its own redis-server in a temporary directory, says so, serves, and removes it on SIGTERM', async () => {
    const grpcPort = await freePort();
    const { child, output } = startWithoutRedis(grpcPort);
    let redis: ReturnType<typeof localRedisOf> | undefined;
    try {
      await eventually(() => Promise.resolve(output().includes('baton serving') || child.exitCode !== null || undefined), 20_000);
      redis = localRedisOf(output());
      assert.ok(existsSync(redis.dir), 'its directory exists while it runs');
      const open = output()
        .split('\n')
        .filter((line) => line.includes('open access'));
      assert.equal(open.length, 1, `one warning that access is open:\n${output()}`);
      assert.equal((JSON.parse(open[0] ?? '{}') as { level?: string }).level, 'warn');
      const client = new BatonClient(`127.0.0.1:${grpcPort}`);
      try {
        const { task } = await client.submitTask({ queue: 'dev-mode' });
        assert.equal(task?.state, 'TASK_STATE_PENDING');
      } finally {
        client.close();
      }
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0, output());
      assert.equal(await answers(redis.port), false, 'its redis-server is stopped');
      assert.equal(existsSync(redis.dir), false, 'its directory is removed');
    } finally {
      child.kill('SIGKILL');
      await shutDownIfRunning(redis);
    }
  });

  it('stops the redis-server it started when the gRPC port is taken, and says in one line which setting moves it', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const address = taken.address();
    assert.ok(address !== null && typeof address !== 'string');
    const { child, output, stderr } = startWithoutRedis(address.port);
    let redis: ReturnType<typeof localRedisOf> | undefined;
    try {
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 1, output());
      assert.equal(
        stderr(),
        `baton: failed to start: cannot listen for gRPC on 127.0.0.1:${address.port} (the address is in use): choose another address with --grpc-addr or BATON_GRPC_ADDR\n`,
      );
      redis = localRedisOf(output());
      assert.equal(await answers(redis.port), false, 'its redis-server is stopped');
      assert.equal(existsSync(redis.dir), false, 'its directory is removed');
    } finally {
      taken.close();
      child.kill('SIGKILL');
      await shutDownIfRunning(redis);
    }
  });
});

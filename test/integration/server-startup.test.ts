// The server process as an operator meets it: --version, start-up failures in one line that names the setting to
// change, metrics turned off, and the debug log in text.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatonClient } from '../../clients/typescript/src/client.js';
import { freePort, startLocalRedis } from '../../tools/redis/local.js';
import type { LocalRedis } from '../../tools/redis/local.js';
import { eventually } from '../support/baton.js';
import { openSession } from '../support/session.js';

const ROOT = join(__dirname, '..', '..');

interface ServerProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * The server from source, with only `env` (and PATH) in its environment, as a fresh shell would start it; its
 * dashboard is off unless `env` says otherwise, so no test binds the dashboard's standard port.
 */
function startServer(args: string[], env: NodeJS.ProcessEnv): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts'), ...args], {
    env: { PATH: process.env.PATH, BATON_DASHBOARD_ADDR: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (out.stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString('utf8')));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stdout: () => out.stdout, stderr: () => out.stderr, exited };
}

/** Waits until the server says it serves, then submits a task through it at `grpcAddress`. */
async function serving(server: ServerProcess, grpcAddress: string): Promise<void> {
  await eventually(() => Promise.resolve(server.stdout().includes('baton serving') || server.child.exitCode !== null || undefined), 20_000);
  assert.equal(server.child.exitCode, null, `the server exited: ${server.stderr()}`);
  const client = new BatonClient(grpcAddress);
  try {
    const { task } = await client.submitTask({ queue: 'startup' });
    assert.equal(task?.state, 'TASK_STATE_PENDING');
  } finally {
    client.close();
  }
}

async function stopServer(server: ServerProcess): Promise<number | null> {
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  return server.exited;
}

async function takenPort(): Promise<{ port: number; listener: Server }> {
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const address = listener.address();
  assert.ok(address !== null && typeof address !== 'string');
  return { port: address.port, listener };
}

describe('the server process', () => {
  let redis: LocalRedis;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    redis = await startLocalRedis();
    env = { BATON_REDIS_URL: redis.url };
  });
  after(async () => {
    await redis.stop();
  });

  it('--version and -V print the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const server = startServer([flag], {});
      assert.equal(await server.exited, 0);
      assert.equal(server.stdout(), `${version}\n`);
    }
  });

  it('with the metrics port taken, exits 1 with one line naming --metrics-addr and BATON_METRICS_ADDR', async () => {
    const { port, listener } = await takenPort();
    try {
      const server = startServer(['--grpc-addr', `127.0.0.1:${await freePort()}`], { ...env, BATON_METRICS_ADDR: `127.0.0.1:${port}` });
      assert.equal(await server.exited, 1, server.stderr());
      assert.equal(
        server.stderr(),
        `baton: failed to start: cannot listen for metrics on 127.0.0.1:${port} (the address is in use): choose another address with --metrics-addr or BATON_METRICS_ADDR\n`,
      );
    } finally {
      listener.close();
    }
  });

  it('with Redis unreachable, exits 1 with one line naming --redis-url and BATON_REDIS_URL', async () => {
    const port = await freePort();
    const server = startServer(['--grpc-addr', '127.0.0.1:0', '--metrics-addr', 'off'], { BATON_REDIS_URL: `redis://:secret@127.0.0.1:${port}` });
    assert.equal(await server.exited, 1, server.stderr());
    assert.match(server.stderr(), new RegExp(`^baton: failed to start: cannot reach Redis at 127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*\\) within 10s: check --redis-url or BATON_REDIS_URL\\n$`));
    assert.doesNotMatch(server.stderr(), /secret/);
  });

  it('with a bad setting, exits 2 with one line naming the flag or the variable, whichever was set', async () => {
    const byFlag = startServer(['--retention', '1 day'], { BATON_RETENTION: '24h' });
    assert.equal(await byFlag.exited, 2);
    assert.equal(byFlag.stderr(), 'baton: --retention: "1 day" is not a duration: numbers with a unit of ms, s, m, h or d, e.g. 250ms, 90s, 1.5h, 1h30m or 2d (see baton-server --help)\n');
    const byEnv = startServer([], { BATON_RETENTION: '90' });
    assert.equal(await byEnv.exited, 2);
    assert.equal(byEnv.stderr(), 'baton: BATON_RETENTION: "90" has no unit: write 90s, 90ms or another unit (ms, s, m, h, d) (see baton-server --help)\n');
  });

  it('with metrics off, a second server that moves only the gRPC port starts beside the first', async () => {
    const metricsAddress = `127.0.0.1:${await freePort()}`;
    const firstGrpc = `127.0.0.1:${await freePort()}`;
    const first = startServer(['--grpc-addr', firstGrpc, '--metrics-addr', metricsAddress], env);
    try {
      await serving(first, firstGrpc);
      // The same settings as the first but the gRPC port, and the metrics off.
      const secondGrpc = `127.0.0.1:${await freePort()}`;
      const second = startServer(['--grpc-addr', secondGrpc], { ...env, BATON_METRICS_ADDR: 'off' });
      try {
        await serving(second, secondGrpc);
        assert.match(second.stdout(), /"msg":"baton serving".*"metrics":"off"/);
      } finally {
        assert.equal(await stopServer(second), 0, second.stderr() + second.stdout());
      }
    } finally {
      assert.equal(await stopServer(first), 0, first.stderr() + first.stdout());
    }
  });

  it('with --log-level debug and --log-format text, logs work sessions opening and closing as text lines', async () => {
    const grpcAddress = `127.0.0.1:${await freePort()}`;
    const server = startServer(['--grpc-addr', grpcAddress, '--metrics-addr', 'off', '--log-level', 'debug', '--log-format', 'text'], env);
    const client = new BatonClient(grpcAddress);
    try {
      await serving(server, grpcAddress);
      const session = openSession(client, { start: { queues: ['startup-debug'], worker_id: 'debug-worker' }, credit: 1 });
      await eventually(() => Promise.resolve(server.stdout().includes('work session opened') || undefined));
      session.closeSend();
      assert.equal((await session.ended).code, 0);
      await eventually(() => Promise.resolve(server.stdout().includes('work session closed') || undefined));
      const lines = server.stdout().split('\n');
      const time = String.raw`\d\d:\d\d:\d\d\.\d{3}`;
      assert.ok(lines.some((l) => new RegExp(`^${time} INFO  baton serving grpc=${grpcAddress} metrics=off dashboard=off$`).test(l)), server.stdout());
      assert.ok(
        lines.some((l) => new RegExp(`^${time} DEBUG work session opened workerId=debug-worker queues=\\["startup-debug"\\] peer=\\S+$`).test(l)),
        server.stdout(),
      );
      assert.ok(
        lines.some((l) => new RegExp(`^${time} DEBUG work session closed workerId=debug-worker queues=\\["startup-debug"\\] reason="the worker closed it"$`).test(l)),
        server.stdout(),
      );
      assert.ok(lines.some((l) => new RegExp(`^${time} DEBUG redis ready redis=127\\.0\\.0\\.1:\\d+$`).test(l)), server.stdout());
    } finally {
      client.close();
      assert.equal(await stopServer(server), 0, server.stderr());
    }
  });
});

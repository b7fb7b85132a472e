import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { durationFromMs } from '../../clients/typescript/src/index.js';
import { claimOne, submit } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { cli, spawnCli } from '../support/cli.js';
import type { Run, Spawned } from '../support/cli.js';
import { parseExposition, scrape, valueOf } from '../support/prometheus.js';
import { startTestRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

const lineCount = (n: number) => (stdout: string): boolean => stdout.split('\n').filter((l) => l !== '').length >= n;

describe('baton CLI: watch, wait, run', () => {
  let redis: TestRedis;
  let server: TestServer;
  let address: string;
  const baton = (...args: string[]): Promise<Run> => cli([...args, '--server', address]);

  before(async () => {
    redis = await startTestRedis();
    server = await startTestServer(redis.config);
    address = server.baton.grpcAddress;
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  /** The CLI `start` spawns, once the server has seen it call `method` (TaskService), so it is waiting in that call. */
  const untilCalled = async (method: string, start: () => Spawned): Promise<Spawned> => {
    const calls = async (): Promise<number> =>
      valueOf(parseExposition(await scrape(server.baton.metricsAddress)), 'grpc_server_started_total', {
        grpc_service: 'baton.v1.TaskService',
        grpc_method: method,
        grpc_type: 'unary',
      }) ?? 0;
    const before = await calls();
    const spawned = start();
    await eventually(async () => ((await calls()) > before ? true : undefined), 15_000);
    return spawned;
  };

  /** Submits, claims (as worker w1) and completes one task. */
  const lifecycle = async (queue: string, id: string): Promise<void> => {
    await submit(server.client, { queue, task_id: id });
    const claimed = await claimOne(server.client, queue, 'w1');
    await server.client.completeTask({ queue, task_id: id, lease_token: claimed.lease_token });
  };

  it('watch prints one line per change until Ctrl-C, then exits 130 with the cursor to resume from', async () => {
    const queue = uniqueQueue('cli-watch');
    // --from-start: nothing is missed however long the CLI takes to connect.
    const watching = spawnCli(['watch', queue, '--from-start', '--server', address]);
    await lifecycle(queue, 'job');
    const stdout = await watching.stdoutUntil(lineCount(3));
    const run = await watching.stop('SIGINT');
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, new RegExp(`^baton watch: stopped; resume with: baton watch ${queue} --cursor \\S+\nbaton watch: interrupted by SIGINT\n$`));
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^\S+Z +SUBMITTED +job +PENDING +attempt 0\/\d+$/);
    assert.match(lines[1] ?? '', /^\S+Z +CLAIMED +job +ACTIVE +attempt 1\/\d+ +worker w1$/);
    assert.match(lines[2] ?? '', /^\S+Z +SUCCEEDED +job +SUCCEEDED +attempt 1\/\d+ +worker w1$/);
  });

  it('watch --json prints one object per line with its cursor; --cursor resumes after it; --type filters', async () => {
    const queue = uniqueQueue('cli-watch-json');
    await lifecycle(queue, 'a');
    const all = spawnCli(['watch', queue, '--from-start', '--json', '--server', address]);
    const events = (await all.stdoutUntil(lineCount(3))).trimEnd().split('\n').map((l) => JSON.parse(l) as { cursor: string; type: string; task: { id: string } });
    const stopped = await all.stop();
    assert.equal(stopped.code, 130);
    assert.ok(stopped.stderr.includes(`resume with: baton watch ${queue} --cursor ${events.at(-1)?.cursor ?? '?'}\n`), stopped.stderr);
    assert.deepEqual(events.map((e) => e.type), ['TASK_EVENT_TYPE_SUBMITTED', 'TASK_EVENT_TYPE_CLAIMED', 'TASK_EVENT_TYPE_SUCCEEDED']);
    assert.ok(events.every((e) => typeof e.cursor === 'string' && e.cursor !== ''));
    const resumed = spawnCli(['watch', queue, '--cursor', events[0]?.cursor ?? '', '--type', 'succeeded', '--server', address]);
    const stdout = await resumed.stdoutUntil(lineCount(1));
    assert.equal((await resumed.stop('SIGTERM')).code, 143);
    assert.match(stdout, /^\S+ +SUCCEEDED +a /);
  });

  it('watch exits 1 naming INVALID_ARGUMENT for a bad cursor, and 2 for an unknown --type', async () => {
    const bad = await baton('watch', uniqueQueue('cli-watch-bad'), '--cursor', 'not-a-cursor');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^baton watch: INVALID_ARGUMENT: /);
    const usage = await baton('watch', 'q', '--type', 'exploded');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--type must be one of submitted, claimed/);
  });

  it('watch exits 0 when its server shuts down, with the cursor to resume from on stderr', async () => {
    const other = await startTestServer(redis.config);
    const queue = uniqueQueue('cli-watch-shutdown');
    await submit(server.client, { queue, task_id: 'x' });
    const watching = spawnCli(['watch', queue, '--from-start', '--json', '--server', other.baton.grpcAddress]);
    const [line] = (await watching.stdoutUntil(lineCount(1))).split('\n');
    await other.stop();
    const run = await watching.exited;
    assert.equal(run.code, 0, run.stderr);
    const { cursor } = JSON.parse(line ?? '') as { cursor: string };
    assert.match(run.stderr, new RegExp(`resume with: baton watch ${queue} --cursor ${cursor}\\n$`));
  });

  it('watch --help offers no --timeout, since a watch has no deadline', async () => {
    const help = await cli(['watch', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--server <host:port>/);
    assert.doesNotMatch(help.stdout, /--timeout/);
  });

  it('watch with --timeout is a usage error (exit 2) rather than an option silently ignored', async () => {
    const run = await baton('watch', uniqueQueue('cli-watch-timeout'), '--timeout', '1s');
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^baton watch: Unknown option '--timeout'/);
  });

  it('wait exits 0 with the finished task, and 3 when --timeout passes first', async () => {
    const queue = uniqueQueue('cli-wait');
    await submit(server.client, { queue, task_id: 'w' });
    const early = await baton('wait', queue, 'w', '--timeout', '300ms');
    assert.equal(early.code, 3, early.stderr);
    assert.match(early.stdout, /^state +PENDING$/m);
    assert.match(early.stderr, /w is still PENDING after 300ms; keep waiting with: baton wait/);
    const claimed = await claimOne(server.client, queue);
    await server.client.completeTask({ queue, task_id: 'w', lease_token: claimed.lease_token, result: Buffer.from('ok') });
    const done = await baton('wait', queue, 'w', '--json');
    assert.equal(done.code, 0, done.stderr);
    const { finished, task } = JSON.parse(done.stdout) as { finished: boolean; task: { state: string } };
    assert.equal(finished, true);
    assert.equal(task.state, 'TASK_STATE_SUCCEEDED');
  });

  it('Ctrl-C while wait is waiting exits 130 and says it was interrupted', async () => {
    const queue = uniqueQueue('cli-wait-sigint');
    await submit(server.client, { queue, task_id: 'never' });
    const waiting = await untilCalled('WaitTask', () => spawnCli(['wait', queue, 'never', '--timeout', '1m', '--server', address]));
    const run = await waiting.stop('SIGINT');
    assert.equal(run.code, 130, run.stderr);
    assert.equal(run.stderr, 'baton wait: interrupted by SIGINT\n');
    assert.equal(run.stdout, '');
  });

  it('SIGTERM while wait is waiting exits 143 and says so', async () => {
    const queue = uniqueQueue('cli-wait-sigterm');
    await submit(server.client, { queue, task_id: 'never' });
    const waiting = await untilCalled('WaitTask', () => spawnCli(['wait', queue, 'never', '--timeout', '1m', '--server', address]));
    const run = await waiting.stop('SIGTERM');
    assert.equal(run.code, 143, run.stderr);
    assert.equal(run.stderr, 'baton wait: interrupted by SIGTERM\n');
  });

  it('Ctrl-C while run is waiting for the result exits 130 and says it was interrupted', async () => {
    const queue = uniqueQueue('cli-run-sigint');
    const running = await untilCalled('RunTask', () => spawnCli(['run', queue, 'x', '--timeout', '1m', '--server', address]));
    const run = await running.stop('SIGINT');
    assert.equal(run.code, 130, run.stderr);
    assert.equal(run.stderr, 'baton run: interrupted by SIGINT\n');
    assert.equal(run.stdout, '');
  });

  it('run prints the result byte for byte and exits 0; exits 3 when nobody finishes it in time', async () => {
    const queue = uniqueQueue('cli-run');
    const worker = (async () => {
      const { tasks } = await server.client.claimTasks({ queues: [queue], worker_id: 'w', wait_timeout: durationFromMs(15_000) });
      const item = tasks[0];
      assert.ok(item?.task);
      const result = Buffer.concat([Buffer.from('echo:'), item.task.payload]);
      await server.client.completeTask({ queue, task_id: item.task.id, lease_token: item.lease_token, result });
    })();
    const ran = await baton('run', queue, 'ping', '-m', 'k=v', '--timeout', '15s');
    await worker;
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'echo:ping');
    const late = await baton('run', uniqueQueue('cli-run-idle'), 'x', '--id', 'slow', '--timeout', '200ms');
    assert.equal(late.code, 3, late.stderr);
    assert.match(late.stderr, /slow is still PENDING/);
  });
});

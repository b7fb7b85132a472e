import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { createWorker } from '../../clients/typescript/src/index.js';
import type { Task, Worker } from '../../clients/typescript/src/index.js';
import { TaskLog } from '../../clients/typescript/src/taskLog.js';
import { claimOne, submit } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { cli, spawnCli } from '../support/cli.js';
import type { Run } from '../support/cli.js';
import { startTestRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

describe('task logs from the TypeScript SDK and the CLI', () => {
  let redis: TestRedis;
  let server: TestServer;
  const workers: Worker[] = [];
  const baton = (...args: string[]): Promise<Run> => cli([...args, '--server', server.baton.grpcAddress]);

  before(async () => {
    redis = await startTestRedis();
    server = await startTestServer(redis.config);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.close(0)));
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  function completedOnce(worker: Worker): Promise<Task> {
    return new Promise((resolve) => worker.once('completed', (task) => {
      resolve(task);
    }));
  }

  async function texts(queue: string, taskId: string): Promise<string[]> {
    const page = await server.client.getTaskLogs({ queue, task_id: taskId, page_size: 1000 });
    return page.lines.map((line) => line.text);
  }

  it('ctx.log stores the lines, formatted as console.log, before the task completes', async () => {
    const queue = uniqueQueue('sdk-logs');
    const worker = createWorker({
      client: server.client,
      queues: queue,
      logFlushInterval: 60_000, // only the flush before the outcome sends them
      handler: (_task, ctx) => {
        ctx.log('resizing', 3, 'images');
        ctx.log({ width: 800 });
        ctx.log('two\nlines');
        return 'ok';
      },
    });
    workers.push(worker);
    void worker.run();
    const completed = completedOnce(worker);
    const task = await submit(server.client, { queue, task_id: 'resize' });
    await completed;
    assert.deepEqual(await texts(queue, task.id), ['resizing 3 images', '{ width: 800 }', 'two', 'lines']);
  });

  it('sends a big batch at once, and the interval sends the rest while the handler runs', async () => {
    const queue = uniqueQueue('sdk-logs-batches');
    let finish = (): void => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const worker = createWorker({
      client: server.client,
      queues: queue,
      logFlushInterval: 50,
      handler: async (_task, ctx) => {
        for (let i = 1; i <= 250; i++) ctx.log(`line ${i}`);
        await finished;
      },
    });
    workers.push(worker);
    void worker.run();
    const completed = completedOnce(worker);
    await submit(server.client, { queue, task_id: 'busy' });
    await eventually(async () => ((await texts(queue, 'busy')).length === 250 ? true : undefined));
    finish();
    await completed;
  });

  it('never fails the handler on a log error: the append error goes to the error callback', async () => {
    const queue = uniqueQueue('sdk-logs-error');
    await submit(server.client, { queue, task_id: 'held' });
    await claimOne(server.client, queue);
    const errors: unknown[] = [];
    const log = new TaskLog(server.client, { queue, task_id: 'held', lease_token: 'tnot-the-lease' }, 60_000, (error) => errors.push(error));
    log.log(['refused']);
    await log.flush();
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as grpc.ServiceError).code, grpc.status.ABORTED);
    assert.deepEqual(await texts(queue, 'held'), []);
  });

  it('baton logs prints each line with its time and attempt, control characters escaped', async () => {
    const queue = uniqueQueue('cli-logs');
    await submit(server.client, { queue, task_id: 'job' });
    const { lease_token } = await claimOne(server.client, queue);
    await server.client.appendTaskLogs({
      queue,
      task_id: 'job',
      lease_token,
      lines: [{ text: 'plain', time: { seconds: 1_700_000_000, nanos: 0 } }, { text: 'bell\u0007 and \u001b[31mred' }],
    });
    const run = await baton('logs', queue, 'job');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines[0], '2023-11-14T22:13:20.000Z  #1  plain');
    assert.match(lines[1] ?? '', /^\S+Z {2}#1 {2}bell\\u0007 and \\u001b\[31mred$/);
    assert.ok(!run.stdout.includes('\u001b'), 'no escape character reaches the terminal');

    const json = await baton('logs', queue, 'job', '--json', '--after', '1');
    assert.equal(json.code, 0, json.stderr);
    const [only] = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { position: number; text: string });
    assert.deepEqual([only?.position, only?.text], [2, 'bell\u0007 and \u001b[31mred']);

    const missing = await baton('logs', queue, 'no-such-task');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NOT_FOUND/);
  });

  it('baton logs --follow prints lines as they come and exits 0 once the task finishes', async () => {
    const queue = uniqueQueue('cli-logs-follow');
    await submit(server.client, { queue, task_id: 'job' });
    const { lease_token } = await claimOne(server.client, queue);
    const held = { queue, task_id: 'job', lease_token };
    await server.client.appendTaskLogs({ ...held, lines: [{ text: 'first' }] });
    const following = spawnCli(['logs', queue, 'job', '--follow', '--server', server.baton.grpcAddress]);
    await following.stdoutUntil((stdout) => stdout.includes('first'), 15_000);
    await server.client.appendTaskLogs({ ...held, lines: [{ text: 'second' }] });
    await following.stdoutUntil((stdout) => stdout.includes('second'), 15_000);
    await server.client.completeTask(held);
    const run = await following.exited;
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trimEnd().split('\n').map((l) => l.split('  ').at(-1)), ['first', 'second']);
  });
});

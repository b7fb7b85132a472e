import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { durationFromMs, timestampToMs } from '../../clients/typescript/src/index.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { cli, tableRows } from '../support/cli.js';
import type { Run } from '../support/cli.js';
import { startTestRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

interface JsonTask {
  id: string;
  state: string;
  payload: string;
  priority: number;
  metadata: Record<string, string>;
  cancel_requested: boolean;
}

/** Whether text holds a terminal control character other than tab and newline. */
const hasControl = (text: string): boolean =>
  Array.from(text).some((c) => {
    const code = c.charCodeAt(0);
    return (code < 0x20 && c !== '\t' && c !== '\n') || (code >= 0x7f && code <= 0x9f);
  });

describe('baton CLI', () => {
  let redis: TestRedis;
  let server: TestServer;
  let address: string;
  /** Runs the CLI against the test server. */
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

  it('submit prints the new task id, and --json the whole task', async () => {
    const queue = uniqueQueue('cli-submit');
    const text = await baton('submit', queue, 'hello');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^submitted (\S+) \(PENDING\)\n$/);

    const json = await baton('submit', queue, 'hi', '--json', '-m', 'team=ops', '-m', 'kind=email', '--priority', '3', '--delay', '1h');
    assert.equal(json.code, 0, json.stderr);
    const { created, task } = JSON.parse(json.stdout) as { created: boolean; task: JsonTask };
    assert.equal(created, true);
    assert.equal(task.state, 'TASK_STATE_SCHEDULED');
    assert.equal(Buffer.from(task.payload, 'base64').toString(), 'hi');
    assert.deepEqual(task.metadata, { team: 'ops', kind: 'email' });
    assert.equal(task.priority, 3);
  });

  it('submit --payload-file - sends stdin byte for byte', async () => {
    const queue = uniqueQueue('cli-stdin');
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0xc3, 0x28]);
    const run = await cli(['submit', queue, '--payload-file', '-', '--id', 'binary', '--server', address], { stdin: bytes });
    assert.equal(run.code, 0, run.stderr);
    const { task } = await server.client.getTask({ queue, task_id: 'binary' });
    assert.deepEqual(task?.payload, bytes);
  });

  it('submit with an id that exists changes nothing and says so', async () => {
    const queue = uniqueQueue('cli-idem');
    assert.equal((await baton('submit', queue, 'first', '--id', 'once')).code, 0);
    const again = await baton('submit', queue, 'second', '--id', 'once');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^exists, unchanged: once \(PENDING\)/);
    assert.match(again.stdout, /payload +"first"/);
  });

  it('get shows a task as text and as JSON', async () => {
    const queue = uniqueQueue('cli-get');
    await server.client.submitTask({ queue, task_id: 'g1', payload: Buffer.from('data'), metadata: { a: 'b' } });
    const text = await baton('get', queue, 'g1');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^queue +cli-get/m);
    assert.match(text.stdout, /^id +g1$/m);
    assert.match(text.stdout, /^state +PENDING$/m);
    assert.match(text.stdout, /^payload +"data" \(4 bytes\)$/m);
    assert.match(text.stdout, /^metadata +a=b$/m);

    const json = await baton('get', queue, 'g1', '--json');
    const task = JSON.parse(json.stdout) as JsonTask;
    assert.equal(task.id, 'g1');
    assert.equal(task.state, 'TASK_STATE_PENDING');
  });

  it('escapes terminal control characters stored in metadata, progress and error text', async () => {
    const queue = uniqueQueue('cli-escape');
    const evil = '\u001b]0;owned\u0007\u001b[2J\u009b31m';
    await server.client.submitTask({ queue, task_id: 'e1', metadata: { k: evil }, max_attempts: 1 });
    const [claimed] = (await server.client.claimTasks({ queues: [queue], worker_id: 'w' })).tasks;
    await server.client.heartbeat({ queue, task_id: 'e1', lease_token: claimed?.lease_token ?? '', progress: { current: 1, total: 2, message: evil } });
    const text = await baton('get', queue, 'e1');
    assert.equal(text.code, 0, text.stderr);
    assert.ok(!hasControl(text.stdout), 'no control character reaches the terminal');
    assert.match(text.stdout, /^metadata +k=\\u001b\]0;owned\\u0007/m);
    assert.match(text.stdout, /^progress +1\/2 \\u001b/m);
    await server.client.failTask({ queue, task_id: 'e1', lease_token: claimed?.lease_token ?? '', error: { type: 'X', message: evil } });
    const failed = await baton('get', queue, 'e1');
    assert.ok(!hasControl(failed.stdout));
    assert.match(failed.stdout, /^error +X: \\u001b/m);
  });

  it('get of an unknown task exits 1 naming NOT_FOUND', async () => {
    const run = await baton('get', uniqueQueue('cli-missing'), 'nope');
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^baton get: NOT_FOUND: /);
  });

  it('list shows a table newest first, filters by --state and pages with --limit/--page-token', async () => {
    const queue = uniqueQueue('cli-list');
    for (const id of ['l1', 'l2', 'l3']) await server.client.submitTask({ queue, task_id: id });
    await server.client.cancelTask({ queue, task_id: 'l2' });

    const all = await baton('list', queue);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID +STATE +TYPE +ATTEMPT +PRIORITY +UPDATED$/);
    assert.deepEqual(lines.slice(1).map((line) => line.split(/ +/).slice(0, 2)), [
      ['l3', 'PENDING'],
      ['l2', 'CANCELLED'],
      ['l1', 'PENDING'],
    ]);

    const cancelled = await baton('list', queue, '--state', 'cancelled', '--json');
    const page = JSON.parse(cancelled.stdout) as { tasks: JsonTask[] };
    assert.deepEqual(page.tasks.map((t) => t.id), ['l2']);

    const first = await baton('list', queue, '--limit', '2');
    const token = /--page-token (\S+)/.exec(first.stderr)?.[1];
    assert.ok(token, `a hint for the next page on stderr: ${first.stderr}`);
    const rest = await baton('list', queue, '--limit', '2', '--page-token', token);
    const seen = [...first.stdout.split('\n').slice(1), ...rest.stdout.split('\n').slice(1)]
      .map((line) => line.split(' ')[0])
      .filter(Boolean);
    assert.deepEqual(seen, ['l3', 'l2', 'l1']);
  });

  it('submit --type sets the type, get shows it, list shows a TYPE column and filters by --type', async () => {
    const queue = uniqueQueue('cli-type');
    const typed = await baton('submit', queue, 'img', '--id', 't1', '--type', 'resize');
    assert.equal(typed.code, 0, typed.stderr);
    assert.equal((await baton('submit', queue, '--id', 't2')).code, 0);
    assert.equal((await server.client.getTask({ queue, task_id: 't1' })).task?.type, 'resize');

    const shown = await baton('get', queue, 't1');
    assert.match(shown.stdout, /^type +resize$/m);
    assert.doesNotMatch((await baton('get', queue, 't2')).stdout, /^type /m, 'an untyped task shows no type line');

    const all = await baton('list', queue);
    assert.deepEqual(tableRows(all.stdout).map((row) => row.slice(0, 3)), [
      ['t2', 'PENDING', '-'],
      ['t1', 'PENDING', 'resize'],
    ]);
    const filtered = await baton('list', queue, '--type', 'resize', '--json');
    assert.deepEqual((JSON.parse(filtered.stdout) as { tasks: JsonTask[] }).tasks.map((t) => t.id), ['t1']);

    const bad = await baton('submit', queue, '--type', 'two words');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /INVALID_ARGUMENT: type: must be 0-128 printable ASCII/);
  });

  it('claim prints id, lease token and payload; complete finishes the task with a result', async () => {
    const queue = uniqueQueue('cli-claim');
    const empty = await baton('claim', queue);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, '', 'nothing claimable prints nothing');
    await server.client.submitTask({ queue, task_id: 'job-1', payload: Buffer.from('hello') });
    const claimed = await baton('claim', queue, '--worker', 'shell-1', '--lease', '30s');
    assert.equal(claimed.code, 0, claimed.stderr);
    const [id = '', token = '', payload = ''] = claimed.stdout.trim().split('\t');
    assert.equal(id, 'job-1');
    assert.equal(payload, '"hello" (5 bytes)');
    const read = await server.client.getTask({ queue, task_id: 'job-1' });
    assert.equal(read.task?.lease?.worker_id, 'shell-1');
    const stale = await baton('complete', queue, 'job-1', 'not-the-token');
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /ABORTED/);
    const done = await baton('complete', queue, 'job-1', token, '--result', 'world');
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, 'completed job-1 (SUCCEEDED)\n');
    const finished = await server.client.getTask({ queue, task_id: 'job-1' });
    assert.equal(finished.task?.result.toString(), 'world');
  });

  it('cancel ends a pending task at once and asks an active one to stop', async () => {
    const queue = uniqueQueue('cli-cancel');
    await server.client.submitTask({ queue, task_id: 'waiting' });
    const pending = await baton('cancel', queue, 'waiting');
    assert.equal(pending.code, 0, pending.stderr);
    assert.equal(pending.stdout, 'cancelled waiting\n');

    await server.client.submitTask({ queue, task_id: 'running' });
    await server.client.claimTasks({ queues: [queue], worker_id: 'w', lease_duration: durationFromMs(30_000) });
    const active = await baton('cancel', queue, 'running', '--json');
    assert.equal(active.code, 0, active.stderr);
    const task = JSON.parse(active.stdout) as JsonTask;
    assert.equal(task.state, 'TASK_STATE_ACTIVE');
    assert.equal(task.cancel_requested, true);
  });

  it('retry makes a cancelled task pending again, and refuses a pending one with exit 1', async () => {
    const queue = uniqueQueue('cli-retry');
    await server.client.submitTask({ queue, task_id: 'r1' });
    await server.client.cancelTask({ queue, task_id: 'r1' });
    const retried = await baton('retry', queue, 'r1');
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal(retried.stdout, 'retrying r1 (PENDING)\n');

    const again = await baton('retry', queue, 'r1');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^baton retry: FAILED_PRECONDITION: /);
  });

  it('a request the server rejects exits 1 naming INVALID_ARGUMENT', async () => {
    const run = await baton('submit', 'no spaces allowed', 'x');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^baton submit: INVALID_ARGUMENT: queue/);
  });

  it('an unreachable server exits 1 naming UNAVAILABLE, and BATON_SERVER picks the server', async () => {
    const down = await cli(['get', 'q', 'id', '--server', '127.0.0.1:1', '--timeout', '3s']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^baton get: UNAVAILABLE: /);

    const viaEnv = await cli(['get', uniqueQueue('cli-env'), 'x'], { env: { BATON_SERVER: address } });
    assert.match(viaEnv.stderr, /NOT_FOUND/, 'reached the server named by BATON_SERVER');
  });

  it('usage errors exit 2 with a message on stderr and nothing on stdout', async () => {
    const cases: [string[], RegExp][] = [
      [[], /Usage: baton <command>/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['get', 'q'], /missing <task-id>/],
      [['get', 'q', 'id', 'extra'], /unexpected argument "extra"/],
      [['list', 'q', '--bogus'], /Unknown option '--bogus'/],
      [['list', 'q', '--state', 'sleeping'], /--state must be one of/],
      [['list', 'q', '--limit', '0'], /--limit must be an integer from 1 to 1000/],
      [['submit', 'q', '--delay', 'soon'], /--delay: "soon" is not a duration/],
      [['submit', 'q', '-m', 'novalue'], /--metadata takes key=value/],
      [['submit', 'q', 'x', '--payload-file', '/nonexistent/file'], /not both/],
      [['submit', 'q', '--payload-file', '/nonexistent/file'], /cannot read --payload-file/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((run, i) => {
      const [args, message] = cases[i] ?? [[], /./];
      assert.equal(run.code, 2, `baton ${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '', `baton ${args.join(' ')} printed to stdout`);
      assert.match(run.stderr, message);
    });
  });

  it('--version and -V print the package version, exit 0 and talk to no server', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await cli([flag], { env: { BATON_SERVER: '127.0.0.1:1' } });
      assert.deepEqual(run, { code: 0, stdout: `${version}\n`, stderr: '' }, flag);
    }
  });

  it('takes durations in the grammar the server takes: 1.5h, 1h30m', async () => {
    const queue = uniqueQueue('cli-duration');
    const submitted = await baton('submit', queue, '--delay', '1h30m', '--json');
    assert.equal(submitted.code, 0, submitted.stderr);
    const { id } = (JSON.parse(submitted.stdout) as { task: JsonTask }).task;
    const { task } = await server.client.getTask({ queue, task_id: id });
    const dueInMs = (timestampToMs(task?.schedule_time) ?? 0) - Date.now();
    assert.ok(dueInMs > 89 * 60_000 && dueInMs <= 90 * 60_000, `due in ${dueInMs} ms`);
  });

  it('--help works for baton and for every command, exits 0 and talks to no server', async () => {
    const main = await cli(['--help']);
    assert.equal(main.code, 0);
    const commands = ['submit', 'get', 'list', 'cancel', 'retry'];
    for (const name of commands) assert.match(main.stdout, new RegExp(`^  ${name} +\\S`, 'm'));
    const runs = await Promise.all(commands.map((name) => cli([name, '--help', '--server', '127.0.0.1:1'])));
    runs.forEach((run, i) => {
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^Usage: baton ${commands[i] ?? ''} <queue>`));
      assert.match(run.stdout, /--server <host:port>/);
      assert.match(run.stdout, /--json/);
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { durationFromMs } from '../../clients/typescript/src/index.js';
import { claimOne, submit } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { cli, tableRows } from '../support/cli.js';
import type { Run } from '../support/cli.js';
import { startTestRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

interface JsonQueue {
  name: string;
  paused: boolean;
  counts: Record<string, number>;
  oldest_pending_age?: string;
  live_workers: number;
  last_claim_time?: string;
  settings: {
    max_attempts: number;
    lease_duration: string;
    retention?: string;
    completed_ring_size: number;
    event_retention: number;
    event_max_age?: string;
  };
}

describe('baton CLI: operator views and queue controls', () => {
  let redis: TestRedis;
  let server: TestServer;
  /** A second replica on the same Redis that reports a worker lost after 200 ms. */
  let impatient: TestServer;
  const baton = (...args: string[]): Promise<Run> => cli([...args, '--server', server.baton.grpcAddress]);
  const client = () => server.client;

  before(async () => {
    redis = await startTestRedis();
    server = await startTestServer(redis.config);
    impatient = await startTestServer(redis.config, { workerLostAfterMs: 200 });
  });
  after(async () => {
    await impatient.stop();
    await server.stop();
    await redis.stop();
  });

  it('stats shows every queue as a row of counts, oldest pending age and live workers; --json the exact numbers', async () => {
    const queue = uniqueQueue('cli-stats');
    for (const id of ['a', 'b', 'c', 'd']) await submit(client(), { queue, task_id: id });
    await client().cancelTask({ queue, task_id: 'a' });
    await claimOne(client(), queue, 'stats-worker');

    const text = await baton('stats');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^QUEUE +PAUSED +SCHEDULED +PENDING +ACTIVE +SUCCEEDED +FAILED +EXHAUSTED +CANCELLED +EXPIRED +OLDEST +WORKERS\n/);
    const row = tableRows(text.stdout).find((cells) => cells[0] === queue);
    assert.ok(row, `a row for ${queue} in:\n${text.stdout}`);
    assert.deepEqual(row.slice(0, 10), [queue, 'no', '0', '2', '1', '0', '0', '0', '1', '0']);
    assert.match(row[10] ?? '', /^\d+(ms|\.?\d*s)$/, 'oldest pending age');
    assert.equal(row[11], '1', 'one live worker');

    const json = await baton('stats', '--json');
    assert.equal(json.code, 0, json.stderr);
    const { queues } = JSON.parse(json.stdout) as { queues: JsonQueue[] };
    const found = queues.find((q) => q.name === queue);
    assert.deepEqual(found?.counts, { scheduled: 0, pending: 2, active: 1, succeeded: 0, failed: 0, exhausted: 0, cancelled: 1, expired: 0, waiting_children: 0 });
    assert.match(found.oldest_pending_age ?? '', /^\d+(\.\d+)?s$/);
  });

  it('stats <queue> shows one queue in detail with its settings and last claim; an unknown queue exits 1 NOT_FOUND', async () => {
    const queue = uniqueQueue('cli-stats-one');
    await submit(client(), { queue, task_id: 'x' });
    const before = await baton('stats', queue);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, new RegExp(`^queue +${queue}$`, 'm'));
    assert.match(before.stdout, /^pending +1$/m);
    assert.match(before.stdout, /^last claim +never$/m);
    assert.match(before.stdout, /^max attempts +\d+$/m);
    assert.match(before.stdout, /^lease +\S+$/m);
    assert.match(before.stdout, /^ring size +\d+$/m);

    await claimOne(client(), queue);
    const json = await baton('stats', queue, '--json');
    const info = JSON.parse(json.stdout) as JsonQueue;
    assert.equal(info.counts.active, 1);
    assert.ok(info.last_claim_time && Date.parse(info.last_claim_time) > Date.now() - 60_000, 'last claim time as RFC 3339');

    const missing = await baton('stats', uniqueQueue('cli-never-used'));
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^baton stats: NOT_FOUND: /);
  });

  it('workers lists the live workers of a queue with what they hold; --all adds the lost ones', async () => {
    const queue = uniqueQueue('cli-workers');
    await submit(client(), { queue, task_id: 't1' });
    await claimOne(client(), queue, 'busy-worker');
    await client().registerWorker({ worker_id: 'idle-worker', hostname: 'box-7', pid: 42, queues: [queue] });

    const text = await baton('workers', '--queue', queue);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ID +STATUS +QUEUES +ACTIVE +PROCESSED +FAILED +LAST SEEN +HOSTNAME\n/);
    const rows = tableRows(text.stdout);
    assert.deepEqual(rows.map((r) => r.slice(0, 6)).sort(), [
      ['busy-worker', 'alive', queue, '1', '0', '0'],
      ['idle-worker', 'alive', queue, '0', '0', '0'],
    ]);
    assert.match(rows.find((r) => r[0] === 'idle-worker')?.[6] ?? '', / ago$/);
    assert.equal(rows.find((r) => r[0] === 'idle-worker')?.[7], 'box-7');

    // The impatient replica calls a worker lost 200 ms after it was last seen.
    const lostWorkers = await eventually(async () => {
      const run = await cli(['workers', '--queue', queue, '--json', '--server', impatient.baton.grpcAddress]);
      const { workers = [] } = JSON.parse(run.stdout) as { workers?: unknown[] };
      return workers.length === 0 ? run : undefined;
    }, 15_000);
    assert.equal(lostWorkers.code, 0);
    const all = await cli(['workers', '--queue', queue, '--all', '--json', '--server', impatient.baton.grpcAddress]);
    const { workers } = JSON.parse(all.stdout) as { workers: { worker_id: string; status: string; hostname: string; pid: number }[] };
    assert.deepEqual(workers.map((w) => [w.worker_id, w.status]).sort(), [
      ['busy-worker', 'WORKER_STATUS_LOST'],
      ['idle-worker', 'WORKER_STATUS_LOST'],
    ]);
  });

  it('active groups held tasks by worker with lease expiry and progress; --worker filters, an unknown worker exits 1', async () => {
    const queue = uniqueQueue('cli-active');
    for (const id of ['a1', 'a2', 'b1']) await submit(client(), { queue, task_id: id });
    const a = await client().claimTasks({ queues: [queue], worker_id: 'active-a', max_tasks: 2, lease_duration: durationFromMs(60_000) });
    await claimOne(client(), queue, 'active-b');
    const first = a.tasks.find((t) => t.task?.id === 'a1');
    assert.ok(first);
    await client().heartbeat({ queue, task_id: 'a1', lease_token: first.lease_token, progress: { current: 3, total: 4, message: 'resizing' } });

    const text = await baton('active', queue);
    assert.equal(text.code, 0, text.stderr);
    const blocks = text.stdout.trimEnd().split('\n\n');
    assert.equal(blocks.length, 2, text.stdout);
    assert.match(blocks[0] ?? '', /^worker active-a \(2 tasks\)\n {2}ID +QUEUE +TYPE +ATTEMPT +LEASE EXPIRES IN +PROGRESS\n/);
    const a1 = new RegExp(`^ {2}a1 +${queue} +- +1/\\d+ +(\\d+(?:\\.\\d)?)s +3/4 resizing$`, 'm').exec(blocks[0] ?? '');
    assert.ok(a1, blocks[0]);
    const leftS = Number(a1[1]);
    assert.ok(leftS > 30 && leftS <= 60, `lease of 60 s expires in ${leftS}s`);
    assert.match(blocks[0] ?? '', new RegExp(`^ {2}a2 +${queue} +- +1/\\d+ +\\S+$`, 'm'));
    assert.match(blocks[1] ?? '', /^worker active-b \(1 task\)\n/);

    const onlyB = await baton('active', queue, '--worker', 'active-b', '--json');
    assert.equal(onlyB.code, 0, onlyB.stderr);
    const { workers } = JSON.parse(onlyB.stdout) as { workers: { worker_id: string; tasks: { id: string }[] }[] };
    assert.deepEqual(workers.map((w) => [w.worker_id, w.tasks.map((t) => t.id)]), [['active-b', ['b1']]]);

    const unknown = await baton('active', '--worker', 'nobody-at-all');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^baton active: NOT_FOUND: /);
  });

  it('completed lists finished tasks newest first with their outcome and error; --limit keeps the newest', async () => {
    const queue = uniqueQueue('cli-completed');
    for (const id of ['ok', 'bad', 'gone']) await submit(client(), { queue, task_id: id, max_attempts: 1 });
    const ok = await claimOne(client(), queue);
    await client().completeTask({ queue, task_id: ok.task.id, lease_token: ok.lease_token });
    const bad = await claimOne(client(), queue);
    await client().failTask({ queue, task_id: bad.task.id, lease_token: bad.lease_token, error: { type: 'ValueError', message: 'no such user' } });
    await client().cancelTask({ queue, task_id: 'gone' });

    const text = await baton('completed', queue);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ID +STATE +TYPE +ATTEMPT +ENDED +ERROR\n/);
    const rows = tableRows(text.stdout);
    assert.deepEqual(rows.map((r) => [r[0], r[1]]), [
      ['gone', 'CANCELLED'],
      ['bad', 'EXHAUSTED'],
      ['ok', 'SUCCEEDED'],
    ]);
    assert.equal(rows[1]?.[5], 'ValueError: no such user');

    const newest = await baton('completed', queue, '--limit', '1', '--json');
    const { tasks } = JSON.parse(newest.stdout) as { tasks: { id: string; state: string }[] };
    assert.deepEqual(tasks.map((t) => t.id), ['gone']);
  });

  it('pause stops claims, resume lets them through again; an unknown queue exits 1 NOT_FOUND', async () => {
    const queue = uniqueQueue('cli-pause');
    await submit(client(), { queue, task_id: 'p1' });
    const paused = await baton('pause', queue);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(paused.stdout, `paused ${queue} (1 pending)\n`);
    const none = await client().claimTasks({ queues: [queue], worker_id: 'w' });
    assert.equal(none.tasks.length, 0, 'a paused queue gives nothing');

    const resumed = await baton('resume', queue, '--json');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal((JSON.parse(resumed.stdout) as JsonQueue).paused, false);
    const some = await client().claimTasks({ queues: [queue], worker_id: 'w' });
    assert.deepEqual(some.tasks.map((t) => t.task?.id), ['p1']);

    const missing = await baton('pause', uniqueQueue('cli-never-paused'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^baton pause: NOT_FOUND: /);
  });

  it('purge refuses without --yes (exit 2, nothing deleted), deletes waiting tasks with it, and finished ones with --finished', async () => {
    const queue = uniqueQueue('cli-purge');
    await submit(client(), { queue, task_id: 'w1' });
    await submit(client(), { queue, task_id: 'w2', delay: durationFromMs(3_600_000) });
    await submit(client(), { queue, task_id: 'done' });
    await client().cancelTask({ queue, task_id: 'done' });

    const refused = await baton('purge', queue);
    assert.equal(refused.code, 2);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /without --yes/);
    assert.equal((await client().getQueue({ queue })).queue?.counts?.pending, 1, 'nothing deleted');

    const waiting = await baton('purge', queue, '--yes');
    assert.equal(waiting.code, 0, waiting.stderr);
    assert.equal(waiting.stdout, `purged 2 tasks from ${queue}\n`);
    const finished = await baton('purge', queue, '--finished', '--yes', '--json');
    assert.deepEqual(JSON.parse(finished.stdout), { purged_count: 1 });
    const { queue: info } = await client().getQueue({ queue });
    assert.deepEqual(info?.counts, { scheduled: 0, pending: 0, active: 0, succeeded: 0, failed: 0, exhausted: 0, cancelled: 0, expired: 0, waiting_children: 0 });
  });

  it('queue-delete refuses without --yes (exit 2, nothing deleted), then deletes the queue and says how many tasks it held', async () => {
    const queue = uniqueQueue('cli-delete');
    await submit(client(), { queue, task_id: 'a' });
    await submit(client(), { queue, task_id: 'b' });

    const refused = await baton('queue-delete', queue);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /refusing to delete queue .* without --yes/);
    assert.equal((await client().getQueue({ queue })).queue?.counts?.pending, 2, 'nothing deleted');

    const deleted = await baton('queue-delete', queue, '--yes');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, `deleted queue ${queue} and its 2 tasks\n`);
    const again = await baton('queue-delete', queue, '--yes', '--json');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /NOT_FOUND/);
  });

  it('retry-failed redrives exhausted and failed tasks by default, other states with --state, and rejects a bad state', async () => {
    const queue = uniqueQueue('cli-redrive');
    for (const id of ['e1', 'e2', 'c1']) await submit(client(), { queue, task_id: id, max_attempts: 1 });
    for (let i = 0; i < 2; i++) {
      const claimed = await claimOne(client(), queue);
      await client().failTask({ queue, task_id: claimed.task.id, lease_token: claimed.lease_token });
    }
    await client().cancelTask({ queue, task_id: 'c1' });

    const byDefault = await baton('retry-failed', queue);
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.equal(byDefault.stdout, `retrying 2 tasks in ${queue}\n`);
    const cancelled = await baton('retry-failed', queue, '--state', 'cancelled', '--state', 'expired', '--json');
    assert.deepEqual(JSON.parse(cancelled.stdout), { retried_count: 1 });
    assert.equal((await client().getQueue({ queue })).queue?.counts?.pending, 3);

    const bad = await baton('retry-failed', queue, '--state', 'succeeded');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--state must be one of exhausted, failed, cancelled, expired; got "succeeded"/);
    const missing = await baton('retry-failed', uniqueQueue('cli-never-failed'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^baton retry-failed: NOT_FOUND: /);
  });

  it('queue-set --partitions spreads a queue, refuses 0 as a usage error and a lower count as the server does', async () => {
    const queue = uniqueQueue('cli-partitions');
    const set = await baton('queue-set', queue, '--partitions', '6');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^partitions +6$/m);
    const zero = await baton('queue-set', queue, '--partitions', '0');
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--partitions/);
    const lower = await baton('queue-set', queue, '--partitions', '2');
    assert.equal(lower.code, 1);
    assert.match(lower.stderr, /FAILED_PRECONDITION.*partitions/);
    const submitted = await baton('submit', queue, 'x', '--partition-key', 'customer-1');
    assert.equal(submitted.code, 0, submitted.stderr);
  });

  it('queue-set changes only the settings given, and needs at least one', async () => {
    const queue = uniqueQueue('cli-set');
    await submit(client(), { queue });
    const set = await baton('queue-set', queue, '--max-attempts', '7', '--lease', '45s', '--retention', '2h', '--ring', '50');
    assert.equal(set.code, 0, set.stderr);
    assert.equal(
      set.stdout,
      `updated ${queue}\nmax attempts      7\nlease             45s\nretention         2h\nring size         50\nevents kept       10000\nevent max age     none\nmax pending       no limit\nmax stored bytes  no limit\nkey concurrency   no limit\nclaim rate        no limit\nkey claim rate    no limit\npartitions        1\n`,
    );
    const events = await baton('queue-set', queue, '--events', '500', '--event-max-age', '1h');
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /^events kept +500\nevent max age +1h$/m);

    const lease = await baton('queue-set', queue, '--lease', '1m', '--json');
    const info = JSON.parse(lease.stdout) as JsonQueue;
    const { max_attempts, lease_duration, retention, completed_ring_size, event_retention, event_max_age } = info.settings;
    assert.deepEqual({ max_attempts, lease_duration, retention, completed_ring_size, event_retention, event_max_age }, {
      max_attempts: 7,
      lease_duration: '60s',
      retention: '7200s',
      completed_ring_size: 50,
      event_retention: 500,
      event_max_age: '3600s',
    });
    const defaults = await baton('queue-set', queue, '--event-max-age', '0s', '--retention', '0s');
    assert.equal(defaults.code, 0, defaults.stderr);
    assert.match(defaults.stdout, /^retention +server's default$/m);
    assert.match(defaults.stdout, /^event max age +none$/m);
    const task = await submit(client(), { queue });
    assert.equal(task.max_attempts, 7, 'new tasks take the default');
    const quotas = await baton('queue-set', queue, '--max-pending', '5', '--max-stored-bytes', '4096');
    assert.equal(quotas.code, 0, quotas.stderr);
    assert.match(quotas.stdout, /^max pending +5\nmax stored bytes +4096$/m);
    const unlimited = await baton('queue-set', queue, '--max-pending=-1');
    assert.match(unlimited.stdout, /^max pending +no limit\nmax stored bytes +4096$/m);

    const limits = await baton('queue-set', queue, '--key-concurrency', '3', '--claim-rate', '100/1s', '--key-rate', '5/1m');
    assert.equal(limits.code, 0, limits.stderr);
    assert.match(limits.stdout, /^key concurrency +3\nclaim rate +100\/1s\nkey claim rate +5\/1m$/m);
    await submit(client(), { queue, concurrency_key: 'tenant-a' });
    await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 10 });
    const stats = await baton('stats', queue);
    assert.match(stats.stdout, /^top keys +tenant-a 1 active, 0 waiting$/m);
    const keyed = await baton('submit', queue, 'hi', '--concurrency-key', 'tenant-b', '--json');
    assert.equal((JSON.parse(keyed.stdout) as { task: { concurrency_key: string } }).task.concurrency_key, 'tenant-b');
    const none = await baton('queue-set', queue, '--key-concurrency=-1', '--claim-rate', 'none', '--key-rate', 'none');
    assert.match(none.stdout, /^key concurrency +no limit\nclaim rate +no limit\nkey claim rate +no limit$/m);
    const badRate = await baton('queue-set', queue, '--claim-rate', '100');
    assert.equal(badRate.code, 2);
    assert.match(badRate.stderr, /--claim-rate takes <claims>\/<period>/);

    const usage = await Promise.all([
      baton('queue-set', queue),
      baton('queue-set', queue, '--ring', '0'),
      baton('queue-set', queue, '--lease', 'forever'),
    ]);
    assert.deepEqual(usage.map((run) => run.code), [2, 2, 2]);
    assert.match(usage[0].stderr, /nothing to change/);
    const tooShort = await baton('queue-set', queue, '--lease', '10ms');
    assert.equal(tooShort.code, 1);
    assert.match(tooShort.stderr, /^baton queue-set: INVALID_ARGUMENT: /);
  });

  it('--help works for every new command, exits 0 and talks to no server', async () => {
    const commands: [string, string][] = [
      ['stats', '[queue]'],
      ['workers', ''],
      ['active', '[queue]'],
      ['completed', '<queue>'],
      ['pause', '<queue>'],
      ['resume', '<queue>'],
      ['purge', '<queue>'],
      ['retry-failed', '<queue>'],
      ['queue-set', '<queue>'],
      ['queue-delete', '<queue>'],
    ];
    const main = await cli(['--help']);
    assert.equal(main.code, 0, main.stderr);
    for (const [name] of commands) assert.match(main.stdout, new RegExp(`^  ${name} +\\S`, 'm'));
    const runs = await Promise.all(commands.map(([name]) => cli([name, '--help', '--server', '127.0.0.1:1'])));
    runs.forEach((run, i) => {
      const [name, args] = commands[i] ?? ['', ''];
      assert.equal(run.code, 0, run.stderr);
      assert.ok(run.stdout.startsWith(`Usage: baton ${name} ${args ? `${args} ` : ''}[options]\n`), run.stdout);
      assert.match(run.stdout, /--server <host:port>/);
      assert.match(run.stdout, /--json/);
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';
import { cli, tableRows } from '../support/cli.js';
import type { Run } from '../support/cli.js';
import { tickTasks } from '../support/schedules.js';

describe('baton CLI: schedules', () => {
  const setup = useTestServer();
  const baton = (...args: string[]): Promise<Run> => cli([...args, '--server', setup.server.baton.grpcAddress]);

  it('schedule-create, -list, -get, -trigger, -pause, -resume and -delete work a schedule through its life', async () => {
    const queue = uniqueQueue('cli-schedules');
    const created = await baton('schedule-create', queue, 'reports', '{"kind":"daily"}', '--every', '1s', '--type', 'report', '--overlap', 'allow');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`schedule\\s+${queue}/reports`));
    assert.match(created.stdout, /when\s+every 1s/);
    assert.match(created.stdout, /overlap\s+allow/);
    const ticks = await eventually(async () => {
      const found = await tickTasks(setup.client, queue, 'reports');
      return found.length > 0 ? found : undefined;
    }, 10_000);
    assert.equal(ticks[0]?.task.type, 'report');

    const listed = await baton('schedule-list', '--queue', queue);
    assert.equal(listed.code, 0, listed.stderr);
    const [row] = tableRows(listed.stdout);
    assert.deepEqual(row?.slice(0, 3), [queue, 'reports', 'every 1s']);

    const got = await baton('schedule-get', queue, 'reports', '--next', '3', '--json');
    assert.equal(got.code, 0, got.stderr);
    const json = JSON.parse(got.stdout) as { schedule: { schedule_id: string }; next_run_times: string[] };
    assert.equal(json.schedule.schedule_id, 'reports');
    assert.equal(json.next_run_times.length, 3);

    const triggered = await baton('schedule-trigger', queue, 'reports');
    assert.match(triggered.stdout, /^submitted reports@manual-\S+ \(PENDING\)/);
    const paused = await baton('schedule-pause', queue, 'reports');
    assert.equal(paused.stdout.trim(), `paused ${queue}/reports`);
    assert.match((await baton('schedule-get', queue, 'reports')).stdout, /paused\s+yes/);
    const resumed = await baton('schedule-resume', queue, 'reports');
    assert.match(resumed.stdout, new RegExp(`^resumed ${queue}/reports; next run \\d{4}-`));
    const deleted = await baton('schedule-delete', queue, 'reports');
    assert.equal(deleted.stdout.trim(), `deleted ${queue}/reports`);
    const gone = await baton('schedule-get', queue, 'reports');
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NOT_FOUND: schedule "reports" not found/);
  });

  it('schedule-create says what is wrong: both --cron and --every, a bad policy, a bad cron expression', async () => {
    const queue = uniqueQueue('cli-schedule-errors');
    const both = await baton('schedule-create', queue, 'x', '--cron', '* * * * *', '--every', '1m');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give exactly one of --cron and --every/);
    const policy = await baton('schedule-create', queue, 'x', '--every', '1m', '--overlap', 'sometimes');
    assert.equal(policy.code, 2);
    assert.match(policy.stderr, /--overlap takes skip, allow, cancel-previous; got "sometimes"/);
    const cron = await baton('schedule-create', queue, 'x', '--cron', '0 25 * * *', '--tz', 'Europe/Berlin');
    assert.notEqual(cron.code, 0);
    assert.match(cron.stderr, /INVALID_ARGUMENT: cron: /);
  });

  it('schedule-update replaces the definition with the flags of schedule-create and keeps the state', async () => {
    const queue = uniqueQueue('cli-schedule-update');
    const created = await baton('schedule-create', queue, 'nightly', '--cron', '0 3 * * *', '--paused', '--json');
    assert.equal(created.code, 0, created.stderr);
    const before = JSON.parse(created.stdout) as { create_time: string };
    const updated = await baton('schedule-update', queue, 'nightly', '{"v":2}', '--every', '90s', '--type', 'report', '--overlap', 'allow', '--json');
    assert.equal(updated.code, 0, updated.stderr);
    const json = JSON.parse(updated.stdout) as { cron: string; interval: unknown; paused: boolean; create_time: string; task: { type: string } };
    assert.equal(json.cron, '');
    assert.equal(json.task.type, 'report');
    assert.equal(json.paused, true, 'still paused');
    assert.equal(json.create_time, before.create_time);
    const text = await baton('schedule-get', queue, 'nightly');
    assert.match(text.stdout, /when\s+every 1m30s/);
    assert.match(text.stdout, /overlap\s+allow/);

    const missing = await baton('schedule-update', queue, 'missing', '--every', '1m');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NOT_FOUND: schedule "missing" not found/);
    const both = await baton('schedule-update', queue, 'nightly', '--cron', '* * * * *', '--every', '1m');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give exactly one of --cron and --every/);
    const paused = await baton('schedule-update', queue, 'nightly', '--every', '1m', '--paused');
    assert.equal(paused.code, 2, 'pausing is schedule-pause\'s');
  });
});

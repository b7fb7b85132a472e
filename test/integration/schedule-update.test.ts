import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import type { Input } from '../../clients/typescript/src/client.js';
import type { UpdateScheduleRequest } from '../../clients/typescript/src/contract.js';
import { claimOne, duration, getTask, rejectsWith, sleep, timestamp, toMs } from '../support/api.js';
import { eventually, uniqueQueue, useReplicas } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { tickTasks } from '../support/schedules.js';

const HOUR_MS = 3_600_000;

describe('UpdateSchedule replaces a definition in place, on two replicas of a 3-master cluster', () => {
  const replicas = useReplicas([{}, {}]);
  const replicaA = (): TestServer => replicas.servers[0] as TestServer;
  const replicaB = (): TestServer => replicas.servers[1] as TestServer;

  it('a new cron and task show in GetSchedule with the new next run, and the next tick submits the new task', async () => {
    const queue = uniqueQueue('update-cron');
    const { schedule: created } = await replicaA().client.createSchedule({
      schedule_id: 'report',
      cron: '0 0 1 1 *',
      task: { queue, type: 'old', payload: Buffer.from('old') },
    });
    const before = Date.now();
    const { schedule: updated } = await replicaB().client.updateSchedule({
      queue,
      schedule_id: 'report',
      cron: '*/1 * * * * *',
      time_zone: 'Europe/Berlin',
      task: { queue, type: 'new', payload: Buffer.from('new'), priority: 3 },
      overlap_policy: 'OVERLAP_POLICY_ALLOW',
      catch_up_policy: 'CATCH_UP_POLICY_ALL',
      catch_up_limit: 7,
      misfire_threshold: duration(30_000),
    });
    const after = Date.now();
    assert.equal(updated?.cron, '*/1 * * * * *');
    assert.equal(updated.time_zone, 'Europe/Berlin');
    assert.equal(updated.task?.type, 'new');
    assert.equal(updated.task.priority, 3);
    assert.equal(updated.overlap_policy, 'OVERLAP_POLICY_ALLOW');
    assert.equal(updated.catch_up_policy, 'CATCH_UP_POLICY_ALL');
    assert.equal(updated.catch_up_limit, 7);
    assert.equal(toMs(updated.misfire_threshold), 30_000);
    assert.deepEqual(updated.create_time, created?.create_time, 'the create time is kept');
    const next = toMs(updated.next_run_time);
    assert.ok(next > before && next <= after + 1_000, 'the next run is the new cron\'s first tick after now');

    const { schedule: got, next_run_times } = await replicaA().client.getSchedule({ queue, schedule_id: 'report', next_run_count: 2 });
    assert.equal(got?.cron, '*/1 * * * * *');
    assert.equal(toMs(next_run_times[1]) - toMs(next_run_times[0]), 1_000);

    const [first] = await eventually(async () => {
      const found = await tickTasks(replicaA().client, queue, 'report');
      return found.length > 0 ? found : undefined;
    }, 10_000);
    assert.equal(first?.task.type, 'new');
    assert.equal(Buffer.from((await getTask(replicaB().client, queue, first.task.id)).payload).toString(), 'new');
    assert.ok(first.tick >= next);
  });

  it('a paused schedule stays paused, and an interval keeps counting from the create time', async () => {
    const queue = uniqueQueue('update-paused');
    const { schedule: created } = await replicaA().client.createSchedule({
      schedule_id: 'hourly',
      interval: duration(HOUR_MS),
      task: { queue },
      paused: true,
    });
    const createTime = toMs(created?.create_time);
    const { schedule: updated } = await replicaB().client.updateSchedule({
      queue,
      schedule_id: 'hourly',
      interval: duration(HOUR_MS / 4),
      task: { queue, type: 'quarterly' },
    });
    assert.equal(updated?.paused, true);
    assert.equal(updated.next_run_time, undefined);
    assert.equal(toMs(updated.interval), HOUR_MS / 4);
    assert.equal(toMs(updated.create_time), createTime);
    const { next_run_times } = await replicaA().client.getSchedule({ queue, schedule_id: 'hourly' });
    assert.deepEqual(next_run_times, []);

    const { schedule: resumed } = await replicaA().client.resumeSchedule({ queue, schedule_id: 'hourly' });
    const next = toMs(resumed?.next_run_time);
    assert.equal((next - createTime) % (HOUR_MS / 4), 0, 'ticks are whole intervals from the create time');
    assert.ok(next - createTime <= HOUR_MS / 4);
  });

  it('the last run is kept: SKIP still sees the old definition\'s unfinished task, then ticks with the new task', async () => {
    const queue = uniqueQueue('update-skip');
    await replicaA().client.createSchedule({
      schedule_id: 'one-at-a-time',
      interval: duration(1_000),
      task: { queue, type: 'old' },
      overlap_policy: 'OVERLAP_POLICY_SKIP',
    });
    const [old] = await eventually(async () => {
      const found = await tickTasks(replicaA().client, queue, 'one-at-a-time');
      return found.length > 0 ? found : undefined;
    }, 10_000);
    assert.ok(old);
    const { schedule: updated } = await replicaB().client.updateSchedule({
      queue,
      schedule_id: 'one-at-a-time',
      cron: '*/1 * * * * *',
      task: { queue, type: 'new' },
      overlap_policy: 'OVERLAP_POLICY_SKIP',
    });
    assert.equal(updated?.last_task_id, old.task.id);
    await sleep(2_500);
    assert.deepEqual(
      (await tickTasks(replicaA().client, queue, 'one-at-a-time')).map((t) => t.task.id),
      [old.task.id],
      'the new ticks were skipped while the old task was unfinished',
    );
    const claimed = await claimOne(replicaB().client, queue);
    await replicaB().client.completeTask({ queue, task_id: claimed.task.id, lease_token: claimed.lease_token });
    const ticks = await eventually(async () => {
      const found = await tickTasks(replicaA().client, queue, 'one-at-a-time');
      return found.length >= 2 ? found : undefined;
    }, 10_000);
    assert.equal(ticks[1]?.task.type, 'new');
  });

  it('refuses a schedule that does not exist (NOT_FOUND)', async () => {
    const queue = uniqueQueue('update-missing');
    await rejectsWith(
      replicaA().client.updateSchedule({ queue, schedule_id: 'missing', cron: '* * * * *', task: { queue } }),
      grpc.status.NOT_FOUND,
      /schedule "missing" not found in queue/,
    );
  });

  it('refuses each bad field with INVALID_ARGUMENT naming it, and changes nothing', async () => {
    const queue = uniqueQueue('update-invalid');
    await replicaA().client.createSchedule({ schedule_id: 'kept', cron: '0 3 * * *', task: { queue, type: 'kept' } });
    const { schedule: before } = await replicaA().client.getSchedule({ queue, schedule_id: 'kept' });
    const valid: Input<typeof UpdateScheduleRequest> = { queue, schedule_id: 'kept', cron: '*/5 * * * * *', task: { queue } };
    const bad: [string, Input<typeof UpdateScheduleRequest>, RegExp][] = [
      ['a cron expression out of range', { cron: '61 * * * *' }, /^cron: "61 \* \* \* \*" is not a cron expression that fires/],
      ['both cron and interval', { interval: duration(1000) }, /^cron: set exactly one of cron and interval/],
      ['neither cron nor interval', { cron: '' }, /^cron: set exactly one of cron and interval/],
      ['an unknown time zone', { time_zone: 'Mars/Olympus' }, /^time_zone: "Mars\/Olympus" is not a known IANA time zone/],
      ['a time zone for an interval', { cron: '', interval: duration(1000), time_zone: 'UTC' }, /^time_zone: applies to cron only/],
      ['an interval under 1s', { cron: '', interval: duration(500) }, /^interval: must be from 1s to 365d, got 500ms/],
      ['no task', { task: undefined }, /^task: is required/],
      ['a task id in the template', { task: { queue, task_id: 'fixed' } }, /^task\.task_id: must be empty/],
      ['a schedule time in the template', { task: { queue, schedule_time: timestamp(Date.now() + 60_000) } }, /^task\.schedule_time: must be unset/],
      ['a template priority of 10', { task: { queue, priority: 10 } }, /^task\.priority: must be an integer from -9 to 9, got 10/],
      ['a task for another queue', { task: { queue: `${queue}-other` } }, /^task\.queue: ".*-other" must be the schedule's queue/],
      ['a catch-up limit over 1000', { catch_up_limit: 1001 }, /^catch_up_limit: must be an integer from 1 to 1000, got 1001/],
      ['a misfire threshold over 1h', { misfire_threshold: duration(2 * HOUR_MS) }, /^misfire_threshold: must be from 1s to 1h/],
      ['an unknown overlap policy', { overlap_policy: 9 as never }, /^overlap_policy: /],
      ['a bad schedule id', { schedule_id: 'a/b' }, /^schedule_id: "a\/b" must match/],
      ['a bad queue name', { queue: 'a{b}' }, /^queue: /],
    ];
    for (const [what, change, message] of bad) {
      await rejectsWith(replicaB().client.updateSchedule({ ...valid, ...change }), grpc.status.INVALID_ARGUMENT, message).catch((error: unknown) => {
        throw new Error(`${what}: ${String(error)}`);
      });
    }
    const { schedule: after } = await replicaA().client.getSchedule({ queue, schedule_id: 'kept' });
    assert.deepEqual(after, before, 'nothing changed');
  });

  it('updates racing the runners of both replicas never fire a tick twice nor lose the last run', async () => {
    const queue = uniqueQueue('update-race');
    const id = 'raced';
    const { schedule: created } = await replicaA().client.createSchedule({
      schedule_id: id,
      cron: '*/1 * * * * *',
      task: { queue, type: 'cron' },
      overlap_policy: 'OVERLAP_POLICY_ALLOW',
    });
    const createTime = toMs(created?.create_time);
    // Every 250ms for 5s, alternating between a whole-second cron and an interval off the whole seconds (counted
    // from the create time), from both replicas: each tick's time says which definition it belongs to.
    const definitions: Input<typeof UpdateScheduleRequest>[] = [
      { cron: '*/1 * * * * *', task: { queue, type: 'cron' } },
      { interval: duration(1_000), task: { queue, type: 'interval' } },
    ];
    for (let round = 0; round < 20; round++) {
      const definition = definitions[round % 2] ?? {};
      const replica = round % 2 === 0 ? replicaA() : replicaB();
      await replica.client.updateSchedule({ queue, schedule_id: id, overlap_policy: 'OVERLAP_POLICY_ALLOW', ...definition });
      await sleep(250);
    }
    await replicaA().client.updateSchedule({ queue, schedule_id: id, cron: '*/1 * * * * *', task: { queue, type: 'cron' }, overlap_policy: 'OVERLAP_POLICY_ALLOW' });
    const settledAt = Date.now();
    const ticks = await eventually(async () => {
      const found = await tickTasks(replicaA().client, queue, id);
      return found.filter((t) => t.tick > settledAt).length >= 2 ? found : undefined;
    }, 10_000);

    const times = ticks.map((t) => t.tick);
    assert.equal(new Set(times).size, times.length, 'one task per tick');
    for (let i = 1; i < times.length; i++) assert.ok((times[i] ?? 0) > (times[i - 1] ?? 0));
    const offGrid = (createTime % 1_000 + 1_000) % 1_000;
    for (const { tick, task } of ticks) {
      const fromCron = tick % 1_000 === 0;
      const fromInterval = tick % 1_000 === offGrid;
      assert.ok(fromCron || fromInterval, `tick ${new Date(tick).toISOString()} belongs to neither definition`);
      // Both definitions tick on the whole second when the create time was one; the type is then either.
      if (fromCron !== fromInterval) assert.equal(task.type, fromCron ? 'cron' : 'interval', task.id);
    }
    const { schedule } = await replicaB().client.getSchedule({ queue, schedule_id: id });
    assert.ok(toMs(schedule?.last_run_time) >= (times.at(-2) ?? 0), 'the last run is at least the previous to last tick');
  });
});

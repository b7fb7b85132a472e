import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { claimOne, duration, getTask, rejectsWith, sleep, toMs } from '../support/api.js';
import { eventually, uniqueQueue, useReplicas } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { parseExposition, scrape, valueOf } from '../support/prometheus.js';
import { assertConsecutive, everySecond, tickTasks } from '../support/schedules.js';

describe('schedules on two replicas of a 3-master cluster', () => {
  const replicas = useReplicas([{}, {}]);
  const replicaA = (): TestServer => replicas.servers[0] as TestServer;
  const replicaB = (): TestServer => replicas.servers[1] as TestServer;

  it('an every-second cron schedule run by both replicas submits exactly one task per tick', async () => {
    const queue = uniqueQueue('cron-once');
    const created = Date.now();
    await replicaA().client.createSchedule({
      schedule_id: 'every-second',
      cron: '*/1 * * * * *',
      time_zone: 'Europe/Berlin',
      task: { queue, payload: Buffer.from('tick') },
      overlap_policy: 'OVERLAP_POLICY_ALLOW',
    });
    const ticks = await eventually(async () => {
      const found = await tickTasks(replicaB().client, queue, 'every-second');
      return found.length >= 5 ? found : undefined;
    }, 20_000);
    const times = ticks.map((t) => t.tick);
    assert.ok((times[0] ?? 0) > created, 'the first tick is after the creation');
    assertConsecutive(times);
    assert.ok(times.every((t) => t % 1000 === 0), 'cron ticks are whole seconds');
    const { schedule } = await replicaB().client.getSchedule({ queue, schedule_id: 'every-second' });
    assert.ok(toMs(schedule?.last_run_time) >= (times.at(-1) ?? 0));
    assert.ok(toMs(schedule?.next_run_time) > toMs(schedule?.last_run_time));
  });

  it('SKIP submits nothing while the previous tick\'s task is unfinished, then goes on once it finished', async () => {
    const queue = uniqueQueue('skip');
    await everySecond(replicaA().client, queue, 'one-at-a-time', { overlap_policy: 'OVERLAP_POLICY_SKIP' });
    const [first] = await eventually(async () => {
      const found = await tickTasks(replicaA().client, queue, 'one-at-a-time');
      return found.length > 0 ? found : undefined;
    }, 10_000);
    assert.ok(first);
    await sleep(2_500);
    assert.equal((await tickTasks(replicaA().client, queue, 'one-at-a-time')).length, 1, 'later ticks were skipped');
    const claimed = await claimOne(replicaB().client, queue);
    await replicaB().client.completeTask({ queue, task_id: claimed.task.id, lease_token: claimed.lease_token });
    const after = await eventually(async () => {
      const found = await tickTasks(replicaA().client, queue, 'one-at-a-time');
      return found.length === 2 ? found : undefined;
    }, 10_000);
    assert.ok((after[1]?.tick ?? 0) >= (after[0]?.tick ?? 0) + 2_000, 'the skipped ticks were not caught up');
  });

  it('counts ticks submitted and skipped once each over both replicas, with their delay, as Prometheus metrics', async () => {
    const queue = uniqueQueue('tick-metrics');
    const ticksOf = async (outcome: string): Promise<number> => {
      let total = 0;
      for (const server of replicas.servers) {
        total += valueOf(parseExposition(await scrape(server.baton.metricsAddress)), 'baton_schedule_ticks_total', { queue, outcome }) ?? 0;
      }
      return total;
    };
    const delays = async (): Promise<number> => {
      let count = 0;
      for (const server of replicas.servers) {
        count += valueOf(parseExposition(await scrape(server.baton.metricsAddress)), 'baton_schedule_tick_delay_seconds_count', { queue }) ?? 0;
      }
      return count;
    };
    await everySecond(replicaA().client, queue, 'counted', { overlap_policy: 'OVERLAP_POLICY_SKIP' });
    // The first tick's task stays PENDING (no worker), so every later tick is skipped.
    await eventually(async () => ((await ticksOf('skipped')) >= 3 ? true : undefined), 15_000);
    await replicaA().client.pauseSchedule({ queue, schedule_id: 'counted' });
    const pausedAt = Date.now();
    await sleep(500);
    const [first] = await tickTasks(replicaA().client, queue, 'counted');
    const skipped = await ticksOf('skipped');
    const ticksAfterFirst = Math.floor((pausedAt - (first?.tick ?? 0)) / 1000);
    assert.ok(skipped >= 3 && skipped <= ticksAfterFirst, `${skipped} skipped of ${ticksAfterFirst} ticks after the first: each counted once`);
    assert.equal(await ticksOf('submitted'), 1, 'one task, counted once although both replicas fire');
    assert.equal(await delays(), 1);
    assert.equal(await ticksOf('failed'), 0);
  });

  it('ALLOW submits every tick however many are unfinished', async () => {
    const queue = uniqueQueue('allow');
    await everySecond(replicaB().client, queue, 'overlapping');
    const ticks = await eventually(async () => {
      const found = await tickTasks(replicaA().client, queue, 'overlapping');
      return found.length >= 3 ? found : undefined;
    }, 15_000);
    assertConsecutive(ticks.map((t) => t.tick));
    assert.ok(ticks.every((t) => t.task.state === 'TASK_STATE_PENDING'));
  });

  it('CANCEL_PREVIOUS cancels the unfinished task of the previous tick before submitting', async () => {
    const queue = uniqueQueue('cancel-previous');
    await everySecond(replicaA().client, queue, 'latest-only', { overlap_policy: 'OVERLAP_POLICY_CANCEL_PREVIOUS' });
    const ticks = await eventually(async () => {
      const found = await tickTasks(replicaA().client, queue, 'latest-only');
      return found.length >= 3 ? found : undefined;
    }, 15_000);
    const [oldest] = ticks;
    assert.ok(oldest);
    assert.equal((await getTask(replicaA().client, queue, oldest.task.id)).state, 'TASK_STATE_CANCELLED');
  });

  it('pause stops the ticks, resume starts them from now, trigger runs it at once, delete keeps its tasks', async () => {
    const queue = uniqueQueue('controls');
    const id = 'controlled';
    await everySecond(replicaA().client, queue, id);
    await eventually(async () => ((await tickTasks(replicaA().client, queue, id)).length > 0 ? true : undefined), 10_000);

    const paused = await replicaB().client.pauseSchedule({ queue, schedule_id: id });
    assert.equal(paused.schedule?.paused, true);
    assert.equal(paused.schedule.next_run_time, undefined);
    const atPause = (await tickTasks(replicaA().client, queue, id)).length;
    await sleep(2_500);
    // A replica's pass that read the schedule before the pause may still finish its tick.
    assert.ok((await tickTasks(replicaA().client, queue, id)).length <= atPause + 1, 'no ticks while paused');
    const whilePaused = await replicaA().client.getSchedule({ queue, schedule_id: id });
    assert.deepEqual(whilePaused.next_run_times, []);

    const manual = await replicaA().client.triggerSchedule({ queue, schedule_id: id });
    assert.match(manual.task?.id ?? '', /^controlled@manual-\d{4}-\d\d-\d\dT/);
    assert.equal(manual.task?.state, 'TASK_STATE_PENDING');

    const resumedAt = Date.now();
    const resumed = await replicaB().client.resumeSchedule({ queue, schedule_id: id });
    assert.equal(resumed.schedule?.paused, false);
    assert.ok(toMs(resumed.schedule.next_run_time) > resumedAt);
    const countAtResume = (await tickTasks(replicaA().client, queue, id)).length;
    const afterResume = await eventually(async () => {
      const found = await tickTasks(replicaA().client, queue, id);
      return found.length >= countAtResume + 2 ? found : undefined;
    }, 10_000);
    assert.ok(afterResume.filter((t) => t.tick > resumedAt - 1_000 && t.tick < resumedAt).length === 0, 'paused ticks are not caught up');

    await replicaA().client.deleteSchedule({ queue, schedule_id: id });
    await rejectsWith(replicaB().client.getSchedule({ queue, schedule_id: id }), grpc.status.NOT_FOUND, /schedule "controlled" not found/);
    await sleep(1_500);
    const kept = (await tickTasks(replicaA().client, queue, id)).length;
    await sleep(1_500);
    assert.equal((await tickTasks(replicaA().client, queue, id)).length, kept, 'no ticks once deleted');
    assert.ok(kept >= afterResume.length, 'its tasks stay');
    await rejectsWith(replicaA().client.deleteSchedule({ queue, schedule_id: id }), grpc.status.NOT_FOUND);
  });

  it('GetSchedule reads a cron schedule in its zone and lists its coming run times', async () => {
    const queue = uniqueQueue('berlin');
    await replicaA().client.createSchedule({ schedule_id: 'nightly', cron: '30 2 * * *', time_zone: 'Europe/Berlin', task: { queue } });
    const { schedule, next_run_times } = await replicaB().client.getSchedule({ queue, schedule_id: 'nightly', next_run_count: 3 });
    assert.equal(schedule?.time_zone, 'Europe/Berlin');
    assert.equal(schedule.overlap_policy, 'OVERLAP_POLICY_SKIP', 'the default overlap policy');
    assert.equal(schedule.catch_up_policy, 'CATCH_UP_POLICY_LAST', 'the default catch-up policy');
    assert.equal(next_run_times.length, 3);
    const local = next_run_times.map((t) =>
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(new Date(toMs(t))),
    );
    // Unless the run falls on a daylight-saving change, each is 02:30 Berlin time.
    assert.ok(local.filter((time) => time === '02:30').length >= 2, local.join(', '));
    assert.equal(toMs(next_run_times[0]), toMs(schedule.next_run_time));
  });

  it('ListSchedules pages by queue and id with signed tokens bound to the queue filter', async () => {
    const queue = uniqueQueue('listing');
    for (const id of ['c', 'a', 'b']) {
      await replicaA().client.createSchedule({ schedule_id: id, interval: duration(3_600_000), task: { queue }, paused: true });
    }
    const first = await replicaB().client.listSchedules({ queue, page_size: 2 });
    assert.deepEqual(first.schedules.map((s) => s.schedule_id), ['a', 'b']);
    assert.notEqual(first.next_page_token, '');
    const second = await replicaA().client.listSchedules({ queue, page_size: 2, page_token: first.next_page_token });
    assert.deepEqual(second.schedules.map((s) => s.schedule_id), ['c']);
    assert.equal(second.next_page_token, '');
    await rejectsWith(
      replicaA().client.listSchedules({ queue: uniqueQueue('other'), page_token: first.next_page_token }),
      grpc.status.INVALID_ARGUMENT,
      /^page_token: belongs to a different queue filter/,
    );
    const all = await replicaA().client.listSchedules({ page_size: 1000 });
    assert.ok(all.schedules.some((s) => s.queue === queue && s.schedule_id === 'c'));
  });
});

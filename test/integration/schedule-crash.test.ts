import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Lifecycle } from '../../src/domain/lifecycle.js';
import { ScheduleRunner } from '../../src/domain/scheduleRunner.js';
import type { ScheduleStore } from '../../src/domain/scheduleStore.js';
import { lifecycleTasks, Schedules, tickTaskId } from '../../src/domain/schedules.js';
import { createRedisClient } from '../../src/store/redis.js';
import type { RedisClient } from '../../src/store/redis.js';
import { RedisCalls } from '../../src/store/redisCalls.js';
import { RedisScheduleStore } from '../../src/store/redisScheduleStore.js';
import { RedisTaskStore } from '../../src/store/redisTaskStore.js';
import { duration, toMs } from '../support/api.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { tickTasks } from '../support/schedules.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

/**
 * Schedule runners driven by hand at chosen times, on the real store and lifecycle, beside a real server whose own
 * runner makes one pass at start and then waits an hour: each step of a tick can be stopped where a crash would.
 */
describe('a schedule tick survives a crash between its submit and its advance, and racing runners', () => {
  let redis: TestRedis;
  let server: TestServer;
  let client: RedisClient;
  let store: RedisScheduleStore;
  let lifecycle: Lifecycle;
  before(async () => {
    redis = await startRedisCluster(3);
    server = await startTestServer(redis.config, {}, { scheduleTickMs: 3_600_000 });
    client = createRedisClient(redis.config, 'schedule-crash-test');
    const calls = new RedisCalls(client, 5_000);
    store = new RedisScheduleStore(calls);
    lifecycle = new Lifecycle(new RedisTaskStore(calls), { maxPayloadBytes: 1024 * 1024 });
  });
  after(async () => {
    lifecycle.close();
    client.disconnect();
    await server.stop();
    await redis.stop();
  });

  const runner = (schedules: ScheduleStore, errors: unknown[] = [], batchLimit = 100): ScheduleRunner =>
    new ScheduleRunner(schedules, lifecycleTasks(lifecycle), { tickMs: 3_600_000, batchLimit, onError: (error) => errors.push(error) });

  async function hourly(queue: string, id: string): Promise<number> {
    const { schedule } = await server.client.createSchedule({
      schedule_id: id,
      interval: duration(3_600_000),
      task: { queue },
      overlap_policy: 'OVERLAP_POLICY_ALLOW',
      catch_up_policy: 'CATCH_UP_POLICY_ALL',
    });
    return toMs(schedule?.next_run_time);
  }

  /** UpdateSchedule as the server does it, at a chosen time: an interval of `intervalMs` and a task of `type`. */
  const updateAt = (queue: string, id: string, intervalMs: number, type: string, nowMs: number): Promise<unknown> =>
    new Schedules(store, lifecycleTasks(lifecycle), 1024 * 1024).update(
      queue,
      { id, cron: '', timeZone: '', intervalMs, task: { queue, taskId: '', payload: Buffer.alloc(0), metadata: {}, priority: 0, maxAttempts: 0, type }, overlap: 'ALLOW', catchUp: 'ALL', catchUpLimit: 0 },
      nowMs,
    );

  it('a runner that dies after submitting leaves the tick due; the next pass finds its task and moves on: one task', async () => {
    const queue = uniqueQueue('crash');
    const firstTick = await hourly(queue, 'hourly');
    const errors: unknown[] = [];
    // Dies (as far as the schedule knows) between the submit and the compare-and-set.
    const crashing: ScheduleStore = Object.assign(Object.create(store) as RedisScheduleStore, {
      advance: () => Promise.reject(new Error('killed before the advance')),
    });
    await runner(crashing, errors).runOnce(firstTick + 100);
    assert.equal(errors.length, 1);
    assert.deepEqual((await tickTasks(server.client, queue, 'hourly')).map((t) => t.task.id), [tickTaskId('hourly', firstTick)]);
    assert.equal((await store.get(queue, 'hourly'))?.state.nextRunTime, firstTick, 'still due');

    await runner(store).runOnce(firstTick + 200);
    assert.deepEqual((await tickTasks(server.client, queue, 'hourly')).map((t) => t.task.id), [tickTaskId('hourly', firstTick)]);
    const state = (await store.get(queue, 'hourly'))?.state;
    assert.equal(state?.nextRunTime, firstTick + 3_600_000);
    assert.equal(state.lastRunTime, firstTick);
  });

  it('a runner that read the schedule before another moved it changes nothing (compare-and-set on the tick)', async () => {
    const queue = uniqueQueue('stale');
    const firstTick = await hourly(queue, 'hourly');
    assert.equal(await store.advance({ queue, id: 'hourly' }, firstTick, firstTick + 3_600_000, firstTick), true);
    assert.equal(await store.advance({ queue, id: 'hourly' }, firstTick, firstTick + 7_200_000, firstTick), false);
    assert.equal((await store.get(queue, 'hourly'))?.state.nextRunTime, firstTick + 3_600_000);
  });

  it('ten runners racing over five missed ticks submit each tick once', async () => {
    const queue = uniqueQueue('race');
    const firstTick = await hourly(queue, 'hourly');
    const now = firstTick + 4 * 3_600_000 + 100;
    await Promise.all(Array.from({ length: 10 }, () => runner(store).runOnce(now)));
    const ticks = (await tickTasks(server.client, queue, 'hourly')).map((t) => t.tick);
    assert.deepEqual(ticks, [0, 1, 2, 3, 4].map((n) => firstTick + n * 3_600_000));
    assert.equal((await store.get(queue, 'hourly'))?.state.nextRunTime, firstTick + 5 * 3_600_000);
  });

  it('a schedule that keeps failing is retried with backoff and never holds up the others', async () => {
    const queue = uniqueQueue('failing');
    const brokenTick = await hourly(queue, 'broken');
    const healthyTick = await hourly(queue, 'healthy');
    const errors: unknown[] = [];
    const breaking: ScheduleStore = Object.assign(Object.create(store) as RedisScheduleStore, {
      advance: (ref: { id: string }, ...rest: [number, number, number | undefined]) =>
        ref.id === 'broken' ? Promise.reject(new Error('refused')) : store.advance(ref as { queue: string; id: string }, ...rest),
    });
    // One schedule per pass: the broken one comes first (its tick is earlier).
    const oneAtATime = runner(breaking, errors, 1);
    const now = healthyTick + 100;
    assert.ok(brokenTick <= healthyTick);
    await oneAtATime.runOnce(now);
    assert.equal(errors.length, 1);
    await oneAtATime.runOnce(now + 100);
    assert.equal(errors.length, 1, 'the broken schedule waits out its backoff');
    assert.equal((await store.get(queue, 'healthy'))?.state.nextRunTime, healthyTick + 3_600_000, 'the healthy one fired meanwhile');
    await oneAtATime.runOnce(now + 1_000);
    assert.equal(errors.length, 2, 'tried again once the backoff passed');
  });

  it('an update landing between a pass\'s submit and its advance: the old tick fired once and is the last run; the new next tick stays', async () => {
    const queue = uniqueQueue('update-mid-pass');
    const firstTick = await hourly(queue, 'hourly');
    let updatedNext = 0;
    // The update lands after this pass submitted the old definition's tick, before it moves the schedule.
    const interrupted: ScheduleStore = Object.assign(Object.create(store) as RedisScheduleStore, {
      advance: async (...args: Parameters<ScheduleStore['advance']>) => {
        await updateAt(queue, 'hourly', 1_800_000, 'new', firstTick + 150);
        updatedNext = (await store.get(queue, 'hourly'))?.state.nextRunTime ?? 0;
        assert.equal(await store.advance(...args), false, 'the stale pass does not move the updated schedule');
        return false;
      },
    });
    await runner(interrupted).runOnce(firstTick + 100);
    const ticks = await tickTasks(server.client, queue, 'hourly');
    assert.deepEqual(ticks.map((t) => [t.task.id, t.task.type]), [[tickTaskId('hourly', firstTick), '']], 'fired once, as the old definition');
    const state = (await store.get(queue, 'hourly'))?.state;
    assert.equal(state?.lastRunTime, firstTick, 'its task is the last run the overlap policy sees');
    assert.equal(state.nextRunTime, updatedNext);
    assert.equal(updatedNext, firstTick + 1_800_000, "the new interval's first tick after the update, counted from the create time");
  });

  it('an update whose next tick is one the old definition already fired does not fire it again', async () => {
    const queue = uniqueQueue('update-refire');
    const firstTick = await hourly(queue, 'hourly');
    // The old definition's tick fired, but its pass died before moving the schedule.
    const crashing: ScheduleStore = Object.assign(Object.create(store) as RedisScheduleStore, {
      advance: () => Promise.reject(new Error('killed before the advance')),
    });
    await runner(crashing, []).runOnce(firstTick + 100);
    // A replica whose clock is behind updates it: every 30 minutes from the create time, so its next tick is that one.
    await updateAt(queue, 'hourly', 1_800_000, 'new', firstTick - 1);
    assert.equal((await store.get(queue, 'hourly'))?.state.nextRunTime, firstTick);

    await runner(store).runOnce(firstTick + 200);
    const ticks = await tickTasks(server.client, queue, 'hourly');
    assert.deepEqual(ticks.map((t) => [t.task.id, t.task.type]), [[tickTaskId('hourly', firstTick), '']], 'one task for the tick, the old one');
    const state = (await store.get(queue, 'hourly'))?.state;
    assert.equal(state?.lastRunTime, firstTick);
    assert.equal(state.nextRunTime, firstTick + 1_800_000, 'then the new definition goes on');
  });

  it('an update with the definition the schedule has changes nothing, not even a due tick a pass has yet to fire', async () => {
    const queue = uniqueQueue('update-same');
    const firstTick = await hourly(queue, 'hourly');
    const task = { queue, taskId: '', payload: Buffer.alloc(0), metadata: {}, priority: 0, maxAttempts: 0, type: '' };
    const same = { id: 'hourly', cron: '', timeZone: '', intervalMs: 3_600_000, task, overlap: 'ALLOW' as const, catchUp: 'ALL' as const, catchUpLimit: 0 };
    const schedules = new Schedules(store, lifecycleTasks(lifecycle), 1024 * 1024);
    await schedules.update(queue, same, firstTick + 100);
    assert.equal((await store.get(queue, 'hourly'))?.state.nextRunTime, firstTick, 'still due');
    await runner(store).runOnce(firstTick + 200);
    assert.deepEqual((await tickTasks(server.client, queue, 'hourly')).map((t) => t.tick), [firstTick]);

    await schedules.update(queue, { ...same, intervalMs: 1_800_000 }, firstTick + 300);
    assert.equal((await store.get(queue, 'hourly'))?.state.nextRunTime, firstTick + 1_800_000, 'a new definition: its first tick after now');
  });
});

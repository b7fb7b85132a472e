import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { duration, sleep } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { assertConsecutive, everySecond, tickTasks } from '../support/schedules.js';
import type { TickTask } from '../support/schedules.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

const MISFIRE_MS = 1_000;
const OUTAGE_MS = 4_500;

describe('schedules catch up after every replica was down, as their policy says', () => {
  let redis: TestRedis;
  let replicas: TestServer[] = [];
  const queue = uniqueQueue('catch-up');
  let stoppedAt = 0;
  let restartedAt = 0;
  const ticks = new Map<string, TickTask[]>();

  before(async () => {
    redis = await startRedisCluster(3);
    const start = () => Promise.all([startTestServer(redis.config), startTestServer(redis.config)]);
    replicas = await start();
    const [first] = replicas;
    assert.ok(first);
    for (const policy of ['NONE', 'LAST', 'ALL'] as const) {
      await everySecond(first.client, queue, policy.toLowerCase(), {
        catch_up_policy: `CATCH_UP_POLICY_${policy}`,
        misfire_threshold: duration(MISFIRE_MS),
      });
    }
    await eventually(async () => {
      const counts = await Promise.all(['none', 'last', 'all'].map((id) => tickTasks(first.client, queue, id)));
      return counts.every((found) => found.length >= 2) ? true : undefined;
    }, 15_000);
    await Promise.all(replicas.map((replica) => replica.stop()));
    stoppedAt = Date.now();
    await sleep(OUTAGE_MS);
    restartedAt = Date.now();
    replicas = await start();
    await sleep(3_000);
    const reader = replicas[0];
    assert.ok(reader);
    for (const id of ['none', 'last', 'all']) ticks.set(id, await tickTasks(reader.client, queue, id));
  });
  after(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await redis.stop();
  });

  const afterOutage = (id: string): TickTask[] => (ticks.get(id) ?? []).filter((t) => t.tick > stoppedAt);
  it('NONE: the missed ticks submit nothing; the schedule goes on from now', () => {
    const fired = afterOutage('none');
    assert.ok(fired.length >= 2, 'ticks after the restart fire');
    // Before the first pass after the restart by more than the misfire threshold: missed.
    const missed = fired.filter((t) => t.tick < restartedAt - MISFIRE_MS);
    assert.deepEqual(missed.map((t) => new Date(t.tick).toISOString()), []);
    const before = (ticks.get('none') ?? []).filter((t) => t.tick <= stoppedAt).at(-1);
    assert.ok(before && (fired[0]?.tick ?? 0) - before.tick >= 4_000, 'at least 3 ticks of the outage were missed');
  });

  it('LAST: only the most recent missed tick is caught up, then the schedule goes on', () => {
    const fired = afterOutage('last');
    const [caughtUp] = fired;
    assert.ok(caughtUp);
    assert.ok(caughtUp.created - caughtUp.tick > MISFIRE_MS, 'the first tick after the outage is a missed one, caught up');
    assert.ok(caughtUp.tick >= restartedAt - 2 * MISFIRE_MS - 1000, 'no earlier missed tick fired');
    const before = (ticks.get('last') ?? []).filter((t) => t.tick <= stoppedAt).at(-1);
    assert.ok(before && caughtUp.tick - before.tick >= 2_000, 'the earlier missed ticks were skipped');
    assertConsecutive(fired.map((t) => t.tick));
  });

  it('ALL: every missed tick is caught up: no tick is lost, none doubled', () => {
    const all = ticks.get('all') ?? [];
    assertConsecutive(all.map((t) => t.tick));
    const fired = afterOutage('all');
    assert.ok(fired.length >= 5, `${fired.length} ticks fired after ${new Date(stoppedAt).toISOString()}`);
    assert.ok(fired.filter((t) => t.created - t.tick > MISFIRE_MS).length >= 3, 'at least 3 were caught up late');
  });
});

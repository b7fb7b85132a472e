import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { eventually } from '../support/baton.js';
import { callsBetween, commandCalls, mib, startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';

const QUEUES = 5_000;
const MEASURED_MS = 5_000;
/**
 * Scripts per second an idle deployment may cost: the slow sweep (every queue once per 5 minutes: 17 a second
 * here), forgetting lost workers, and room; not a script per queue per few seconds.
 */
const IDLE_SCRIPTS_PER_SECOND_MAX = 40;
const RESTART_PEAK_RSS_MAX = 300 * 1024 * 1024;

describe('maintenance with many idle queues', () => {
  let redis: TestRedis;
  let server: ServerProcess;
  const queues = Array.from({ length: QUEUES }, (_, i) => `idle-${i}`);

  before(async () => {
    redis = await startRedisCluster();
    const node = redis.masters[0]?.client ?? assert.fail();
    // As a restart finds them: every queue known, and every one due (as the replicas before it noted).
    for (let i = 0; i < QUEUES; i += 1_000) {
      const chunk = queues.slice(i, i + 1_000);
      await node.sadd('baton:queues', ...chunk);
      await node.zadd('baton:due', ...chunk.flatMap((queue) => [0, queue]));
    }
  });

  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it(`works through ${QUEUES} queues due at a restart a batch per tick, with memory flat`, async () => {
    const node = redis.masters[0]?.client ?? assert.fail();
    server = await startServerProcess(redis.config);
    await eventually(async () => ((await node.zcard('baton:due')) === 0 ? true : undefined), 120_000, 200);
    const peak = server.peakRss();
    console.log(`the restart reaped ${QUEUES} due queues with a peak RSS of ${mib(peak)}`);
    assert.ok(peak < RESTART_PEAK_RSS_MAX, `peak RSS ${mib(peak)}`);
  });

  it(`costs about as many scripts a second with ${QUEUES} idle queues as with a few`, async () => {
    const node = redis.masters[0]?.client ?? assert.fail();
    const before = await commandCalls(node);
    await new Promise((resolve) => setTimeout(resolve, MEASURED_MS));
    const perSecond = (callsBetween(before, await commandCalls(node), ['evalsha', 'eval']) * 1_000) / MEASURED_MS;
    console.log(`${QUEUES} idle queues: ${perSecond.toFixed(1)} scripts a second`);
    assert.ok(perSecond <= IDLE_SCRIPTS_PER_SECOND_MAX, `${perSecond} scripts a second`);
  });
});

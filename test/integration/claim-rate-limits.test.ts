import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import type { BatonClient } from '../../clients/typescript/src/client.js';
import { DEFAULT_KEYSPACE } from '../../src/store/keys.js';
import { duration, rejectsWith, sleep, toMs } from '../support/api.js';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';
import { metricsOf } from '../support/metrics.js';
import { valueOf } from '../support/prometheus.js';

async function submitMany(client: BatonClient, queue: string, count: number, key = '', prefix = key || 't') {
  await client.submitTasks({
    requests: Array.from({ length: count }, (_, i) => ({ queue, task_id: `${prefix}${i}`, concurrency_key: key })),
  });
}

async function claim(client: BatonClient, queue: string, max = 100, waitMs = 0) {
  const { tasks } = await client.claimTasks({
    queues: [queue],
    worker_id: 'w1',
    max_tasks: max,
    ...(waitMs > 0 ? { wait_timeout: duration(waitMs) } : {}),
  });
  return tasks.map((claimed) => claimed.task).filter((task) => task !== undefined);
}

describe('claim rate limits: per queue and per concurrency key, as token buckets on the Redis clock', () => {
  const setup = useTestServer();
  const client = () => setup.client;

  it('lets a burst of the limit through, then one claim per interval, and wakes a waiting claim when a token returns', async () => {
    const queue = uniqueQueue('rate-queue');
    await client().updateQueue({ queue, settings: { claim_rate_limit: { claims: 4, period: duration(2_000) } } });
    await submitMany(client(), queue, 10);
    assert.equal((await claim(client(), queue)).length, 4, 'a full bucket: the whole limit at once');
    assert.equal((await claim(client(), queue)).length, 0, 'then nothing until a token returns');

    const { queue: view } = await client().getQueue({ queue });
    assert.deepEqual(view?.settings?.claim_rate_limit, { claims: 4, period: duration(2_000) });
    assert.ok(view.throttled_claims >= 1);

    // One token returns every 500 ms: a claim waiting for it gets it then, not at a periodic recheck.
    const started = Date.now();
    const woken = await claim(client(), queue, 10, 5_000);
    const waited = Date.now() - started;
    assert.equal(woken.length, 1);
    assert.ok(waited < 900, `woke after ${waited}ms; a token returns every 500ms`);
    const { queue: later } = await client().getQueue({ queue });
    assert.ok(toMs(later?.throttled_duration) > 0, 'the time it held tasks back is counted');
  });

  it('claims at the configured rate within a few percent', async () => {
    const queue = uniqueQueue('rate-accuracy');
    const rate = 40;
    await client().updateQueue({ queue, settings: { claim_rate_limit: { claims: rate, period: duration(1_000) } } });
    await submitMany(client(), queue, 400);
    // Four workers claiming as fast as they are let, for about three seconds.
    const starts: number[] = [];
    const until = Date.now() + 3_000;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() < until) {
          for (const task of await claim(client(), queue, 5, 200)) starts.push(toMs(task.start_time));
        }
      }),
    );
    starts.sort((a, b) => a - b);
    const first = starts[0] ?? 0;
    const windowMs = 2_500;
    const claimed = starts.filter((at) => at - first <= windowMs).length;
    const expected = rate + (rate * windowMs) / 1_000;
    assert.ok(Math.abs(claimed - expected) <= expected * 0.05, `${claimed} claims in ${windowMs}ms, expected ${expected} (burst + rate)`);
  });

  it('limits each concurrency key on its own, without holding up other keys or unkeyed tasks', async () => {
    const queue = uniqueQueue('rate-keys');
    await client().updateQueue({ queue, settings: { key_rate_limit: { claims: 2, period: duration(1_000) } } });
    await submitMany(client(), queue, 6, 'a');
    await submitMany(client(), queue, 6, 'b');
    await submitMany(client(), queue, 3, '', 'free');
    const first = await claim(client(), queue);
    const byKey = (tasks: typeof first, key: string) => tasks.filter((task) => task.concurrency_key === key).length;
    assert.deepEqual([byKey(first, 'a'), byKey(first, 'b'), byKey(first, '')], [2, 2, 3]);
    assert.equal((await claim(client(), queue)).length, 0);
    const { queue: view } = await client().getQueue({ queue });
    assert.equal(view?.throttled_keys, 2);
    assert.equal(view.key_limited_tasks, 8);
    assert.deepEqual(view.settings?.key_rate_limit, { claims: 2, period: duration(1_000) });

    const started = Date.now();
    const next = await claim(client(), queue, 10, 5_000);
    // Woken by the returning token (after 500ms), well before the claim's wait or the wake board's sweep would end it.
    assert.ok(next.length >= 1 && Date.now() - started < 2_500, `a key's token returns after 500ms, got ${next.length} after ${Date.now() - started}ms`);

    await client().updateQueue({ queue, settings: { key_rate_limit: { claims: -1 } } });
    const rest = await claim(client(), queue);
    assert.equal(rest.length + next.length, 8, 'removing the limit lets every waiting task in');
  });

  it("forgets a key's rate state once its bucket is full again, so keys used once are not stored for ever", async () => {
    const queue = uniqueQueue('rate-forget');
    const keyRates = DEFAULT_KEYSPACE.queueKeys(queue)[20] ?? '';
    const redis = setup.redis.masters[0]?.client ?? assert.fail('no master');
    await client().updateQueue({ queue, settings: { key_rate_limit: { claims: 1, period: duration(200) } } });
    for (const key of ['once-1', 'once-2', 'once-3']) await submitMany(client(), queue, 1, key);
    assert.equal((await claim(client(), queue)).length, 3);
    assert.deepEqual((await redis.zrange(keyRates, 0, -1)).sort(), ['once-1', 'once-2', 'once-3']);

    await sleep(300);
    await submitMany(client(), queue, 1, 'later');
    assert.equal((await claim(client(), queue)).length, 1);
    assert.deepEqual(await redis.zrange(keyRates, 0, -1), ['later'], 'the keys whose buckets refilled are gone');
  });

  it('reports what the limits hold back, and the busiest keys, as Prometheus metrics', async () => {
    const queue = uniqueQueue('rate-metrics');
    await client().updateQueue({
      queue,
      settings: { claim_rate_limit: { claims: 2, period: duration(60_000) }, concurrency_key_limit: 1 },
    });
    await submitMany(client(), queue, 3, 'busy');
    await submitMany(client(), queue, 3, '', 'free');
    assert.equal((await claim(client(), queue)).length, 2);
    // Gauges are read from Redis at most every 2 s: poll until a scrape shows this queue.
    const samples = await eventually(async () => {
      const s = await metricsOf(setup.server);
      return valueOf(s, 'baton_queue_throttled_claims_total', { queue }) === 1 ? s : undefined;
    }, 6_000);
    assert.equal(valueOf(samples, 'baton_queue_key_limited_tasks', { queue }), 2);
    assert.equal(valueOf(samples, 'baton_queue_concurrency_key_active_tasks', { queue, key: 'busy' }), 1);
    assert.ok((valueOf(samples, 'baton_queue_throttled_seconds_total', { queue }) ?? -1) >= 0);
  });

  it('refuses a bad rate limit with INVALID_ARGUMENT naming the field', async () => {
    const queue = uniqueQueue('rate-invalid');
    await rejectsWith(
      client().updateQueue({ queue, settings: { claim_rate_limit: { claims: 0, period: duration(1_000) } } }),
      grpc.status.INVALID_ARGUMENT,
      /settings.claim_rate_limit.claims/,
    );
    await rejectsWith(
      client().updateQueue({ queue, settings: { key_rate_limit: { claims: 5 } } }),
      grpc.status.INVALID_ARGUMENT,
      /settings.key_rate_limit.period/,
    );
    await rejectsWith(
      client().updateQueue({ queue, settings: { claim_rate_limit: { claims: 5, period: duration(25 * 3_600_000) } } }),
      grpc.status.INVALID_ARGUMENT,
      /settings.claim_rate_limit.period/,
    );
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { duration, submit } from '../support/api.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { parseExposition, samplesOf, scrape, startPrometheus } from '../support/prometheus.js';
import type { TestPrometheus } from '../support/prometheus.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

/**
 * The real consumer: a Prometheus server scrapes two Baton replicas of one Redis Cluster every second, and the
 * queries the chart's dashboard and alerts are built on give the values Baton recorded.
 */
describe('Prometheus scraping two Baton replicas', () => {
  let submitter: TestServer;
  let worker: TestServer;
  let prometheus: TestPrometheus;
  // Whatever started is stopped, even when before() failed half way (a live redis-server keeps the process up).
  const stops: (() => Promise<void>)[] = [];
  before(async () => {
    const redis: TestRedis = await startRedisCluster();
    stops.unshift(() => redis.stop());
    submitter = await startTestServer(redis.config);
    stops.unshift(() => submitter.stop());
    worker = await startTestServer(redis.config);
    stops.unshift(() => worker.stop());
    prometheus = await startPrometheus([submitter.baton.metricsAddress ?? '', worker.baton.metricsAddress ?? ''], 1);
    stops.unshift(() => prometheus.stop());
  });
  after(async () => {
    for (const stop of stops) await stop();
  });

  /** The single value of an instant query, polled until `accept` takes it (Prometheus scrapes once a second). */
  async function untilValue(expression: string, accept: (value: number) => boolean, timeoutMs = 15_000): Promise<number> {
    const until = Date.now() + timeoutMs;
    let last = 'no result';
    for (;;) {
      const result = await prometheus.query(expression);
      const value = result.length === 1 ? result[0]?.value : undefined;
      if (value !== undefined && accept(value)) return value;
      last = JSON.stringify(result);
      if (Date.now() > until) {
        assert.fail(`${expression} did not reach the expected value within ${timeoutMs} ms; last: ${last}\n${prometheus.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('returns the task counters, a claim-latency quantile and the queue gauges Baton recorded', async () => {
    const queue = uniqueQueue('prometheus');
    const sel = `queue="${queue}"`;

    // A scheduled task makes the queue known, so both replicas start its series at 0 and Prometheus scrapes those
    // zeros before the first claim: increase() and rate() then see every observation.
    await submit(submitter.client, { queue, task_id: 'later', delay: duration(3_600_000) });
    await untilValue(`count(baton_task_wait_seconds_count{${sel}} == 0)`, (n) => n === 2, 25_000);

    const ids = ['t1', 't2', 't3', 't4'];
    for (const task_id of ids) await submit(submitter.client, { queue, task_id });
    // Every task then waits from 1.3 s to well under 2.5 s: all in the (1, 2.5] bucket.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    const claimed = await worker.client.claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 4 });
    assert.deepEqual(
      claimed.tasks.map((c) => c.task?.id),
      ids,
    );
    for (const c of claimed.tasks.slice(0, 3)) {
      await worker.client.completeTask({ queue, task_id: c.task?.id ?? '', lease_token: c.lease_token, result: Buffer.from('') });
    }
    const last = claimed.tasks[3];
    assert.ok(last?.task);
    await worker.client.failTask({ queue, task_id: last.task.id, lease_token: last.lease_token, permanent: true });

    const own = parseExposition(await scrape(worker.baton.metricsAddress));
    const bucket = (le: string): number | undefined =>
      samplesOf(own, 'baton_task_wait_seconds_bucket', { queue, le })[0]?.value;
    assert.deepEqual([bucket('1'), bucket('2.5')], [0, 4], 'the four waits fall in (1, 2.5] on the replica that claimed');

    // Counters are per replica: the submitter counted the submissions, the worker the rest; sum them.
    assert.equal(await untilValue(`sum by (queue) (baton_tasks_claimed_total{${sel}})`, (v) => v === 4), 4);
    assert.equal(await untilValue(`sum by (queue) (baton_tasks_submitted_total{${sel}})`, (v) => v === 5), 5);
    assert.equal(await untilValue(`sum by (queue) (baton_tasks_succeeded_total{${sel}})`, (v) => v === 3), 3);
    assert.equal(
      await untilValue(`sum by (queue) (baton_tasks_failed_total{${sel}, retry="false"})`, (v) => v === 1),
      1,
    );
    assert.equal(await untilValue(`sum by (queue) (baton_task_run_seconds_count{${sel}})`, (v) => v === 4), 4);

    // histogram_quantile interpolates inside the bucket: with all 4 waits in (1, 2.5], q is at 1 + 1.5 q.
    const median = await untilValue(
      `histogram_quantile(0.5, sum by (le) (baton_task_wait_seconds_bucket{${sel}}))`,
      (v) => Number.isFinite(v),
    );
    assert.ok(Math.abs(median - 1.75) < 1e-9, `median wait ${median}`);
    // The dashboard's form: a quantile of the increase over a window, summed over replicas.
    const p90 = await untilValue(
      `histogram_quantile(0.9, sum by (le) (increase(baton_task_wait_seconds_bucket{${sel}}[1m])))`,
      (v) => Number.isFinite(v),
    );
    assert.ok(Math.abs(p90 - 2.35) < 1e-6, `p90 wait ${p90}`);

    // Queue gauges are cluster-wide: each replica reports the same value, so max by (queue) is the count and
    // sum by (queue) would count it once per replica.
    const succeeded = `baton_queue_tasks{${sel}, state="succeeded"}`;
    assert.equal(await untilValue(`max by (queue) (${succeeded})`, (v) => v === 3), 3);
    assert.equal(await untilValue(`count by (queue) (${succeeded} == 3)`, (v) => v === 2), 2);
    assert.equal(await untilValue(`max by (queue) (baton_queue_tasks{${sel}, state="scheduled"})`, (v) => v === 1), 1);
    assert.equal(await untilValue(`sum(up{job="baton"})`, (v) => v === 2), 2);
  });
});

/**
 * Partitioned queues as operators and watchers see them: one queue, whatever its partitions (ListTasks paging,
 * WatchTasks resuming, WaitTask, task logs, purge, bulk retry, active and completed tasks, ListQueues, delete).
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { duration, rejectsWith, submit } from '../support/api.js';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';
import { watch } from '../support/watch.js';
import { metricsOf, taskCounters } from '../support/metrics.js';
import { valueOf } from '../support/prometheus.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';

describe('partitioned queues: views, watch and bulk operations on 3 masters', () => {
  const setup = useTestServer(() => startRedisCluster(3));
  const client = () => setup.client;

  async function partitioned(label: string, partitions = 6): Promise<string> {
    const queue = uniqueQueue(label);
    await client().updateQueue({ queue, settings: { partitions } });
    return queue;
  }

  it('pages ListTasks over every partition with one page token, each task once', async () => {
    const queue = await partitioned('list');
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add((await submit(client(), { queue })).id);
    const seen: string[] = [];
    let page_token = '';
    let pages = 0;
    do {
      const page = await client().listTasks({ queue, page_size: 7, page_token });
      assert.ok(page.tasks.length <= 7);
      seen.push(...page.tasks.map((t) => t.id));
      page_token = page.next_page_token;
      pages++;
    } while (page_token !== '');
    assert.equal(seen.length, 50);
    assert.deepEqual(new Set(seen), ids);
    assert.ok(pages >= 8);
  });

  it('watches every partition as one stream, and a cursor resumes it with nothing lost or repeated', async () => {
    const queue = await partitioned('watch');
    const first = watch(client(), { queue });
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 12; i++) await submit(client(), { queue, task_id: `w-${i}` });
    const events = await first.until(12);
    first.cancel();
    assert.deepEqual(new Set(events.map((e) => e.task?.id)), new Set(Array.from({ length: 12 }, (_, i) => `w-${i}`)));
    const cursor = events[5]?.cursor ?? '';
    const resumed = watch(client(), { queue, cursor });
    for (let i = 12; i < 18; i++) await submit(client(), { queue, task_id: `w-${i}` });
    const after = await resumed.until(12);
    await new Promise((resolve) => setTimeout(resolve, 200));
    resumed.cancel();
    const expected = [...events.slice(6).map((e) => e.task?.id), ...Array.from({ length: 6 }, (_, i) => `w-${i + 12}`)];
    assert.deepEqual(after.map((e) => e.task?.id).sort(), expected.sort(), 'every event after the cursor, once');
    assert.equal(resumed.events.length, 12);
    const oldest = watch(client(), { queue, start: 'WATCH_START_OLDEST' });
    await oldest.until(18 + 1);
    oldest.cancel();
  });

  it('resumes a watch from a cursor taken before the partition count was raised', async () => {
    const queue = uniqueQueue('watch-raise');
    const before = watch(client(), { queue });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await submit(client(), { queue, task_id: 'before' });
    const [first] = await before.until(1);
    before.cancel();
    await client().updateQueue({ queue, settings: { partitions: 3 } });
    for (let i = 0; i < 6; i++) await submit(client(), { queue, task_id: `after-${i}` });
    const resumed = watch(client(), { queue, cursor: first?.cursor ?? '' });
    const submitted = (): string[] => resumed.events.filter((e) => e.type === 'TASK_EVENT_TYPE_SUBMITTED').map((e) => e.task?.id ?? '');
    await eventually(() => Promise.resolve(submitted().length >= 6 ? true : undefined));
    resumed.cancel();
    assert.deepEqual(submitted().sort(), Array.from({ length: 6 }, (_, i) => `after-${i}`));
    assert.equal(resumed.error, undefined);
  });

  it('answers WaitTask and keeps task logs for a task in any partition', async () => {
    const queue = await partitioned('wait');
    const tasks = [];
    for (let i = 0; i < 6; i++) tasks.push(await submit(client(), { queue }));
    const last = tasks.at(-1);
    assert.ok(last);
    const waiting = client().waitTask({ queue, task_id: last.id, timeout: duration(5_000) });
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 6 });
    const mine = claimed.tasks.find((c) => c.task?.id === last.id);
    assert.ok(mine);
    await client().appendTaskLogs({ queue, task_id: last.id, lease_token: mine.lease_token, lines: [{ text: 'hello' }] });
    assert.deepEqual((await client().getTaskLogs({ queue, task_id: last.id })).lines.map((l) => l.text), ['hello']);
    await client().completeTask({ queue, task_id: last.id, lease_token: mine.lease_token });
    const waited = await waiting;
    assert.equal(waited.finished, true);
    assert.equal(waited.task?.state, 'TASK_STATE_SUCCEEDED');
  });

  it('lists active and completed tasks of every partition', async () => {
    const queue = await partitioned('active');
    for (let i = 0; i < 6; i++) await submit(client(), { queue });
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'holder', max_tasks: 6 });
    const active = await client().listActiveTasks({ queue });
    assert.equal(active.workers[0]?.tasks.length, 6);
    const everywhere = await client().listActiveTasks({});
    assert.equal(everywhere.workers.find((w) => w.worker_id === 'holder')?.tasks.filter((t) => t.queue === queue).length, 6);
    for (const c of claimed.tasks) await client().completeTask({ queue, task_id: c.task?.id ?? '', lease_token: c.lease_token });
    const completed = await client().listCompletedTasks({ queue });
    assert.equal(completed.tasks.length, 6);
  });

  it('purges, retries in bulk and deletes every partition; ListQueues shows the queue once', async () => {
    const queue = await partitioned('bulk');
    for (let i = 0; i < 12; i++) await submit(client(), { queue, max_attempts: 1 });
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 6 });
    for (const c of claimed.tasks) {
      await client().failTask({ queue, task_id: c.task?.id ?? '', lease_token: c.lease_token, error: { message: 'boom' } });
    }
    const listed = (await client().listQueues({ page_size: 1000 })).queues.filter((q) => q.name.startsWith(queue));
    assert.deepEqual(listed.map((q) => q.name), [queue]);
    assert.equal(listed[0]?.counts?.exhausted, 6);
    assert.equal((await client().purgeQueue({ queue })).purged_count, 6);
    assert.equal((await client().retryTasks({ queue })).retried_count, 6);
    assert.equal((await client().getQueue({ queue })).queue?.counts?.pending, 6);
    const held = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 1 });
    await rejectsWith(client().deleteQueue({ queue }), grpc.status.FAILED_PRECONDITION, /leased/);
    assert.equal((await client().getQueue({ queue })).queue?.counts?.pending, 5, 'a refused delete deletes nothing');
    assert.equal(held.tasks.length, 1);
    assert.equal((await client().deleteQueue({ queue, force: true })).deleted_task_count, 6);
    await rejectsWith(client().getQueue({ queue }), grpc.status.NOT_FOUND);
    const after = (await client().listQueues({ page_size: 1000 })).queues.filter((q) => q.name.startsWith(queue));
    assert.deepEqual(after, []);
  });

  it('reports the queue once in the metrics: gauges summed over its partitions, counters under its name', async () => {
    const queue = await partitioned('metrics');
    for (let i = 0; i < 12; i++) await submit(client(), { queue });
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 5 });
    for (const c of claimed.tasks) await client().completeTask({ queue, task_id: c.task?.id ?? '', lease_token: c.lease_token });
    await eventually(async () => {
      const samples = await metricsOf(setup.server);
      const pending = valueOf(samples, 'baton_queue_tasks', { queue, state: 'pending' });
      const succeeded = valueOf(samples, 'baton_queue_tasks', { queue, state: 'succeeded' });
      return pending === 7 && succeeded === 5 ? true : undefined;
    }, 6_000);
    const counters = await taskCounters(setup.server, queue);
    assert.equal(counters.submitted, 12);
    assert.equal(counters.claimed, 5);
    assert.equal(counters.succeeded, 5);
    const labels = (await metricsOf(setup.server)).map((sample) => sample.labels.queue ?? '');
    assert.ok(!labels.some((name) => name.includes('@')), 'no partition appears as a queue');
  });

  it('refuses SubmitFlow on a partitioned queue, and keeps schedules firing into it', async () => {
    const queue = await partitioned('flows');
    await rejectsWith(
      client().submitFlow({ root: { task: { queue }, children: [{ task: { queue } }] } }),
      grpc.status.FAILED_PRECONDITION,
      /6 partitions/,
    );
    await client().createSchedule({ schedule_id: 'every', cron: '*/1 * * * * *', task: { queue }, overlap_policy: 'OVERLAP_POLICY_ALLOW' });
    await eventually(async () => (((await client().getQueue({ queue })).queue?.counts?.pending ?? 0) >= 2 ? true : undefined), 10_000);
    const { schedule } = await client().getSchedule({ queue, schedule_id: 'every' });
    assert.equal((await client().getTask({ queue, task_id: schedule?.last_task_id ?? '' })).task?.state, 'TASK_STATE_PENDING');
    await client().deleteSchedule({ queue, schedule_id: 'every' });
  });
});

import assert from 'node:assert/strict';
import { WAKE_SWEEP_MS } from '../../src/domain/wakeBoard.js';
import * as grpc from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import type { Task } from '../../clients/typescript/src/contract.js';
import { claimOne, duration, getTask, rejectsWith, submit, toMs } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { queueClient } from '../support/queueClient.js';
import type { QueueApi } from '../support/queueClient.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

describe('operator views and queue controls (QueueService)', () => {
  let redis: TestRedis;
  let server: TestServer;
  let queues: QueueApi;
  before(async () => {
    redis = await startRedisCluster();
    server = await startTestServer(redis.config, { workerLostAfterMs: 1_000 });
    queues = queueClient(server.baton.grpcAddress);
  });
  after(async () => {
    queues.close();
    await server.stop();
    await redis.stop();
  });
  const client = () => server.client;

  /** Every task of the queue by paging ListTasks: the brute-force count the exact counters must match. */
  async function recount(queue: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    let pageToken = '';
    do {
      const page = await client().listTasks({ queue, page_size: 1000, page_token: pageToken });
      for (const task of page.tasks) counts[task.state] = (counts[task.state] ?? 0) + 1;
      pageToken = page.next_page_token;
    } while (pageToken !== '');
    return counts;
  }

  async function countsOf(queue: string): Promise<Record<string, number>> {
    const { queue: info } = await queues.GetQueue({ queue });
    assert.ok(info?.counts);
    const entries = Object.entries(info.counts).filter(([, n]) => Number(n) > 0);
    return Object.fromEntries(entries.map(([state, n]) => [`TASK_STATE_${state.toUpperCase()}`, Number(n)]));
  }

  it('groups the tasks held now by worker, with lease expiry and progress', async () => {
    const queue = uniqueQueue('active');
    for (let i = 0; i < 3; i++) await submit(client(), { queue, task_id: `t${i}` });
    const a = await client().claimTasks({ queues: [queue], worker_id: 'worker-a', max_tasks: 2 });
    const b = await claimOne(client(), queue, 'worker-b');
    const first = a.tasks[0];
    assert.ok(first?.task);
    await client().heartbeat({ queue, task_id: first.task.id, lease_token: first.lease_token, progress: { current: 3, total: 4 } });
    const response = await queues.ListActiveTasks({ queue });
    assert.deepEqual(
      response.workers.map((w) => [w.worker_id, w.tasks.map((t) => t.id).sort()]),
      [
        ['worker-a', ['t0', 't1']],
        ['worker-b', [b.task.id]],
      ],
    );
    const held = response.workers[0]?.tasks.find((t) => t.id === first.task?.id);
    assert.deepEqual(held?.progress, { current: 3, total: 4, message: '' });
    assert.ok(toMs(held.lease?.expire_time) > Date.now());
    const onlyB = await queues.ListActiveTasks({ queue, worker_id: 'worker-b' });
    assert.deepEqual(onlyB.workers.map((w) => w.worker_id), ['worker-b']);
  });

  it('does not show a task as held once its lease has expired, even before it is requeued', async () => {
    const queue = uniqueQueue('active-expired');
    await submit(client(), { queue });
    await claimOne(client(), queue, 'gone', 1_000);
    await eventually(async () => ((await queues.ListActiveTasks({ queue })).workers.length === 0 ? true : undefined));
  });

  it('keeps exactly the last N finished tasks, newest first, whatever their outcome', async () => {
    const queue = uniqueQueue('ring');
    await queues.UpdateQueue({ queue, settings: { completed_ring_size: 4 } });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const task = await submit(client(), { queue, task_id: `r${i}`, max_attempts: 1 });
      if (i === 2) {
        await client().cancelTask({ queue, task_id: task.id });
      } else {
        const claimed = await claimOne(client(), queue);
        if (i % 2 === 0) await client().completeTask({ queue, task_id: task.id, lease_token: claimed.lease_token });
        else await client().failTask({ queue, task_id: task.id, lease_token: claimed.lease_token, permanent: i === 5 });
      }
      outcomes.push(task.id);
    }
    const { tasks } = await queues.ListCompletedTasks({ queue });
    assert.deepEqual(tasks.map((t: Task) => [t.id, t.state]), [
      ['r5', 'TASK_STATE_FAILED'],
      ['r4', 'TASK_STATE_SUCCEEDED'],
      ['r3', 'TASK_STATE_EXHAUSTED'],
      ['r2', 'TASK_STATE_CANCELLED'],
    ]);
    const two = await queues.ListCompletedTasks({ queue, limit: 2 });
    assert.deepEqual(two.tasks.map((t) => t.id), ['r5', 'r4']);
  });

  it('keeps counts, the completed ring and worker tallies exact for batches of 1,000 submitted and completed at once', async () => {
    const queue = uniqueQueue('big-batches');
    const ids = Array.from({ length: 1000 }, (_, i) => `big-${String(i).padStart(4, '0')}`);
    const submitted = await client().submitTasks({ requests: ids.map((task_id) => ({ queue, task_id })) });
    assert.equal(submitted.results.filter((r) => r.created).length, 1000);
    assert.deepEqual(await countsOf(queue), { TASK_STATE_PENDING: 1000 });
    const leased: { task_id: string; lease_token: string }[] = [];
    while (leased.length < 1000) {
      const { tasks } = await client().claimTasks({ queues: [queue], worker_id: 'batch-worker', max_tasks: 100 });
      for (const { task, lease_token } of tasks) leased.push({ task_id: task?.id ?? '', lease_token });
    }
    assert.deepEqual(leased.map((l) => l.task_id), ids, 'claimed oldest first');
    assert.deepEqual(await countsOf(queue), { TASK_STATE_ACTIVE: 1000 });
    const completed = await client().completeTasks({ requests: leased.map((l) => ({ queue, ...l })) });
    assert.equal(completed.results.filter((r) => r.state === 'TASK_STATE_SUCCEEDED').length, 1000);
    assert.deepEqual(await countsOf(queue), { TASK_STATE_SUCCEEDED: 1000 });
    assert.deepEqual(await recount(queue), { TASK_STATE_SUCCEEDED: 1000 });
    const ring = await queues.ListCompletedTasks({ queue, limit: 3 });
    assert.deepEqual(ring.tasks.map((t) => t.id), ['big-0999', 'big-0998', 'big-0997'], 'newest first');
    const { worker } = await queues.GetWorker({ worker_id: 'batch-worker' });
    assert.equal(Number(worker?.processed_count), 1000);
  });

  it('keeps counts exact through every lifecycle path, including lease expiry and cancel', async () => {
    const queue = uniqueQueue('counts');
    for (let i = 0; i < 12; i++) await submit(client(), { queue, task_id: `c${i}`, max_attempts: 2 });
    await submit(client(), { queue, task_id: 'later', delay: duration(60_000) });
    await client().cancelTask({ queue, task_id: 'c0' });
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 6, lease_duration: duration(1_000) });
    const [c1, c2, c3, c4, c5] = claimed.tasks;
    assert.ok(c1?.task && c2?.task && c3?.task && c4?.task && c5?.task);
    await client().completeTask({ queue, task_id: c1.task.id, lease_token: c1.lease_token });
    await client().failTask({ queue, task_id: c2.task.id, lease_token: c2.lease_token, permanent: true });
    await client().failTask({ queue, task_id: c3.task.id, lease_token: c3.lease_token, retry_delay: duration(60_000) });
    await client().cancelTask({ queue, task_id: c4.task.id });
    await client().failTask({ queue, task_id: c4.task.id, lease_token: c4.lease_token });
    // c5 and the sixth claim are left to expire: back to PENDING with one attempt used.
    await eventually(async () => ((await queues.ListActiveTasks({ queue })).workers.length === 0 ? true : undefined));
    await eventually(async () => {
      const active = (await countsOf(queue)).TASK_STATE_ACTIVE ?? 0;
      return active === 0 ? true : undefined;
    });
    const retried = await client().retryTask({ queue, task_id: c2.task.id });
    assert.equal(retried.task?.state, 'TASK_STATE_PENDING');
    assert.deepEqual(await countsOf(queue), await recount(queue));
    assert.deepEqual(await countsOf(queue), {
      TASK_STATE_SCHEDULED: 2,
      TASK_STATE_PENDING: 8,
      TASK_STATE_SUCCEEDED: 1,
      TASK_STATE_CANCELLED: 2,
    });
  });

  it('pausing stops claims but not submits, and resuming wakes a waiting claim within milliseconds', async () => {
    const queue = uniqueQueue('pause');
    await submit(client(), { queue, task_id: 'before' });
    const paused = await queues.PauseQueue({ queue });
    assert.equal(paused.queue?.paused, true);
    await submit(client(), { queue, task_id: 'during' });
    const none = await client().claimTasks({ queues: [queue], worker_id: 'w' });
    assert.equal(none.tasks.length, 0);
    const waiting = client().claimTasks({ queues: [queue], worker_id: 'w', wait_timeout: duration(10_000) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const resumedAt = Date.now();
    const resumed = await queues.ResumeQueue({ queue });
    assert.equal(resumed.queue?.paused, false);
    const response = await waiting;
    assert.equal(response.tasks[0]?.task?.id, 'before');
    // Woken by the resume itself, well before the wake board's safety sweep would have rung it.
    assert.ok(Date.now() - resumedAt < WAKE_SWEEP_MS / 5, `woke ${Date.now() - resumedAt}ms after the resume`);
  });

  it('purges scheduled and pending tasks, or finished ones too, and reports how many', async () => {
    const queue = uniqueQueue('purge');
    for (let i = 0; i < 5; i++) await submit(client(), { queue });
    await submit(client(), { queue, delay: duration(60_000) });
    const held = await claimOne(client(), queue);
    const done = await claimOne(client(), queue);
    await client().completeTask({ queue, task_id: done.task.id, lease_token: done.lease_token });
    const first = await queues.PurgeQueue({ queue });
    assert.equal(first.purged_count, 4, '3 pending and 1 scheduled');
    assert.deepEqual(await countsOf(queue), { TASK_STATE_ACTIVE: 1, TASK_STATE_SUCCEEDED: 1 });
    const second = await queues.PurgeQueue({ queue, include_finished: true });
    assert.equal(second.purged_count, 1);
    assert.deepEqual(await countsOf(queue), { TASK_STATE_ACTIVE: 1 });
    assert.deepEqual(await countsOf(queue), await recount(queue));
    assert.equal((await getTask(client(), queue, held.task.id)).state, 'TASK_STATE_ACTIVE', 'active tasks stay');
    assert.equal((await queues.ListCompletedTasks({ queue })).tasks.length, 0);
  });

  it('bulk-retries failed and exhausted tasks only, and reports how many', async () => {
    const queue = uniqueQueue('redrive');
    for (let i = 0; i < 4; i++) await submit(client(), { queue, task_id: `x${i}`, max_attempts: 1 });
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 4 });
    const [x0, x1, x2, x3] = claimed.tasks;
    assert.ok(x0?.task && x1?.task && x2?.task && x3?.task);
    await client().failTask({ queue, task_id: 'x0', lease_token: x0.lease_token });
    await client().failTask({ queue, task_id: 'x1', lease_token: x1.lease_token, permanent: true });
    await client().completeTask({ queue, task_id: 'x2', lease_token: x2.lease_token });
    await client().cancelTask({ queue, task_id: 'x3' });
    await client().failTask({ queue, task_id: 'x3', lease_token: x3.lease_token });
    const response = await queues.RetryTasks({ queue });
    assert.equal(response.retried_count, 2);
    assert.deepEqual(await countsOf(queue), { TASK_STATE_PENDING: 2, TASK_STATE_SUCCEEDED: 1, TASK_STATE_CANCELLED: 1 });
    assert.deepEqual(await countsOf(queue), await recount(queue));
    const cancelled = await queues.RetryTasks({ queue, states: ['TASK_STATE_CANCELLED'] });
    assert.equal(cancelled.retried_count, 1);
    await rejectsWith(queues.RetryTasks({ queue, states: ['TASK_STATE_SUCCEEDED'] }), grpc.status.INVALID_ARGUMENT, /states: SUCCEEDED cannot be retried/);
  });

  it('shows a queue\'s defaults, last claim, live workers and oldest pending age, and applies new defaults to new tasks', async () => {
    const queue = uniqueQueue('info');
    await submit(client(), { queue, task_id: 'old' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await submit(client(), { queue, task_id: 'young' });
    const before = (await queues.GetQueue({ queue })).queue;
    assert.ok(before);
    assert.ok(toMs(before.oldest_pending_age) >= 50);
    assert.equal(before.last_claim_time, undefined);
    assert.equal(before.live_workers, 0);
    assert.equal(before.settings?.max_attempts, 5);
    await claimOne(client(), queue, 'info-worker');
    const updated = await queues.UpdateQueue({ queue, settings: { max_attempts: 9, lease_duration: duration(7_000) } });
    assert.equal(updated.queue?.settings?.max_attempts, 9);
    assert.equal(updated.queue.live_workers, 1);
    assert.ok(toMs(updated.queue.last_claim_time) > Date.now() - 5_000);
    const fresh = await submit(client(), { queue });
    assert.equal(fresh.max_attempts, 9);
    assert.equal(toMs(fresh.lease_duration), 7_000);
    await rejectsWith(queues.UpdateQueue({ queue, settings: { max_attempts: 1001 } }), grpc.status.INVALID_ARGUMENT, /settings.max_attempts/);
  });

  it('a zero retention restores the server\'s default, so finished tasks are kept again', async () => {
    const queue = uniqueQueue('retention-reset');
    await queues.UpdateQueue({ queue, settings: { retention: duration(1_000) } });
    const reset = await queues.UpdateQueue({ queue, settings: { retention: duration(0) } });
    assert.equal(reset.queue?.settings?.retention, undefined);
    await submit(client(), { queue, task_id: 'kept' });
    const claimed = await claimOne(client(), queue, 'w', 1_000);
    await client().completeTask({ queue, task_id: 'kept', lease_token: claimed.lease_token });
    // Maintenance reaps the queue when the claim's lease falls due, 1 s on, deleting what is past its retention.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal((await getTask(client(), queue, 'kept')).state, 'TASK_STATE_SUCCEEDED');
  });

  it('lists queues by name across pages', async () => {
    const names = [uniqueQueue('zz-list-a'), uniqueQueue('zz-list-b')];
    for (const queue of names) await submit(client(), { queue });
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await queues.ListQueues({ page_size: 2, page_token: pageToken });
      assert.ok(page.queues.length <= 2);
      seen.push(...page.queues.map((q) => q.name));
      pageToken = page.next_page_token;
    } while (pageToken !== '');
    assert.deepEqual([...seen].sort(), seen, 'sorted by name');
    for (const queue of names) assert.ok(seen.includes(queue));
  });

  it('reports a registered worker alive, then lost once it stops being seen, with its counts', async () => {
    const queue = uniqueQueue('workers');
    const registered = await queues.RegisterWorker({
      worker_id: 'idle-worker',
      hostname: 'host-1',
      pid: 4242,
      sdk_name: 'baton-go',
      sdk_version: '0.1.0',
      labels: { zone: 'a' },
      queues: [queue],
    });
    assert.equal(registered.worker?.status, 'WORKER_STATUS_ALIVE');
    await submit(client(), { queue, task_id: 'ok' });
    await submit(client(), { queue, task_id: 'bad' });
    const first = await claimOne(client(), queue, 'idle-worker');
    await client().completeTask({ queue, task_id: first.task.id, lease_token: first.lease_token });
    const second = await claimOne(client(), queue, 'idle-worker');
    await client().failTask({ queue, task_id: second.task.id, lease_token: second.lease_token, permanent: true });
    const alive = await queues.GetWorker({ worker_id: 'idle-worker' });
    assert.equal(alive.worker?.hostname, 'host-1');
    assert.deepEqual(alive.worker.labels, { zone: 'a' });
    assert.deepEqual(alive.worker.queues, [queue]);
    assert.equal(alive.worker.processed_count, 1);
    assert.equal(alive.worker.failed_count, 1);
    const listed = await queues.ListWorkers({ queue });
    assert.deepEqual(listed.workers.map((w) => w.worker_id), ['idle-worker']);
    const lost = await eventually(async () => {
      const w = (await queues.GetWorker({ worker_id: 'idle-worker' })).worker;
      return w?.status === 'WORKER_STATUS_LOST' ? w : undefined;
    });
    assert.equal(lost.worker_id, 'idle-worker');
    assert.equal((await queues.ListWorkers({ queue })).workers.length, 0, 'lost workers are left out by default');
    assert.equal((await queues.ListWorkers({ queue, include_lost: true })).workers.length, 1);
  });

  it('forgets a lost worker, and its counters, after the worker retention', async () => {
    const shortMemory = await startTestServer(redis.config, { workerLostAfterMs: 200, workerRetentionMs: 600 });
    const api = queueClient(shortMemory.baton.grpcAddress);
    try {
      const queue = uniqueQueue('forget');
      await api.RegisterWorker({ worker_id: 'ephemeral-pod', queues: [queue] });
      await submit(shortMemory.client, { queue });
      await claimOne(shortMemory.client, queue, 'ephemeral-pod');
      assert.equal((await api.GetWorker({ worker_id: 'ephemeral-pod' })).worker?.status, 'WORKER_STATUS_ALIVE');
      await eventually(async () => {
        try {
          await api.GetWorker({ worker_id: 'ephemeral-pod' });
          return undefined;
        } catch (error) {
          return (error as grpc.ServiceError).code === grpc.status.NOT_FOUND ? true : undefined;
        }
      }, 5_000);
      assert.equal((await api.ListWorkers({ queue, include_lost: true })).workers.length, 0);
    } finally {
      api.close();
      await shortMemory.stop();
    }
  });

  it('answers NOT_FOUND for an unknown queue or worker and INVALID_ARGUMENT for a bad page token', async () => {
    await rejectsWith(queues.GetQueue({ queue: 'never-used-queue' }), grpc.status.NOT_FOUND, /never-used-queue/);
    await rejectsWith(queues.PauseQueue({ queue: 'never-used-queue' }), grpc.status.NOT_FOUND);
    await rejectsWith(queues.ListCompletedTasks({ queue: 'never-used-queue' }), grpc.status.NOT_FOUND);
    await rejectsWith(queues.GetWorker({ worker_id: 'nobody' }), grpc.status.NOT_FOUND, /nobody/);
    await rejectsWith(queues.ListActiveTasks({ worker_id: 'nobody' }), grpc.status.NOT_FOUND);
    await rejectsWith(queues.ListQueues({ page_token: 'not-a-token' }), grpc.status.INVALID_ARGUMENT, /page_token/);
    await rejectsWith(queues.GetQueue({ queue: 'bad name' }), grpc.status.INVALID_ARGUMENT, /^queue: /);
  });
});

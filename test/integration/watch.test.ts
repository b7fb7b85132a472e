/** WatchTasks: the update stream, its cursors, filters, retention and limits. */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { BatonClient } from '../../clients/typescript/src/client.js';
import { claimOne, duration, rejectsWith, submit, timestamp, toMs } from '../support/api.js';
import { startTestServer, uniqueQueue, useTestServer } from '../support/baton.js';
import { queueClient } from '../support/queueClient.js';
import { watch } from '../support/watch.js';

const summary = (e: { type: string; task?: { id: string; state: string } | undefined }): string =>
  `${e.type.replace('TASK_EVENT_TYPE_', '')} ${e.task?.id ?? '-'} ${e.task?.state.replace('TASK_STATE_', '') ?? '-'}`;

describe('task updates: WatchTasks', () => {
  const setup = useTestServer();
  const client = () => setup.client;

  it('reports every kind of change with the task as it is after the change, in lifecycle order', async () => {
    const queue = uniqueQueue('watch-all');
    const queues = queueClient(setup.server.baton.grpcAddress);
    const w = watch(client(), { queue });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await submit(client(), { queue, task_id: 'ok' });
    const ok = await claimOne(client(), queue, 'w1');
    await client().heartbeat({ queue, task_id: 'ok', lease_token: ok.lease_token, progress: { current: 1, total: 2 } });
    await client().completeTask({ queue, task_id: 'ok', lease_token: ok.lease_token });
    await submit(client(), { queue, task_id: 'bad', max_attempts: 2, retry_policy: { initial_backoff: duration(0) } });
    const bad1 = await claimOne(client(), queue, 'w1');
    await client().failTask({ queue, task_id: 'bad', lease_token: bad1.lease_token, error: { message: 'first' } });
    const bad2 = await claimOne(client(), queue, 'w1');
    await client().failTask({ queue, task_id: 'bad', lease_token: bad2.lease_token, error: { message: 'second' } });
    await client().retryTask({ queue, task_id: 'bad' });
    const bad3 = await claimOne(client(), queue, 'w1');
    await client().failTask({ queue, task_id: 'bad', lease_token: bad3.lease_token, permanent: true });
    await submit(client(), { queue, task_id: 'stop' });
    const stop = await claimOne(client(), queue, 'w2');
    await client().cancelTask({ queue, task_id: 'stop' });
    await client().failTask({ queue, task_id: 'stop', lease_token: stop.lease_token, error: { message: 'told to stop' } });
    await submit(client(), { queue, task_id: 'crash' });
    await claimOne(client(), queue, 'w3', 1_000);
    await submit(client(), { queue, task_id: 'late', delay: duration(60_000), expire_time: timestamp(Date.now() + 300) });
    // The lease of "crash" runs out and "late" passes its deadline; then the operator's controls.
    await w.until(21);
    await queues.PauseQueue({ queue });
    await queues.ResumeQueue({ queue });
    await queues.PurgeQueue({ queue });
    queues.close();
    const events = await w.until(24);
    w.cancel();
    assert.deepEqual(events.map(summary).sort(), [
      'CANCEL_REQUESTED stop ACTIVE',
      'CANCELLED stop CANCELLED',
      'CLAIMED bad ACTIVE',
      'CLAIMED bad ACTIVE',
      'CLAIMED bad ACTIVE',
      'CLAIMED crash ACTIVE',
      'CLAIMED ok ACTIVE',
      'CLAIMED stop ACTIVE',
      'EXHAUSTED bad EXHAUSTED',
      'EXPIRED late EXPIRED',
      'FAILED bad FAILED',
      'LEASE_EXPIRED crash PENDING',
      'PROGRESS ok ACTIVE',
      'QUEUE_PAUSED - -',
      'QUEUE_PURGED - -',
      'QUEUE_RESUMED - -',
      'RETRIED bad PENDING',
      'RETRY_SCHEDULED bad PENDING',
      'SUBMITTED bad PENDING',
      'SUBMITTED crash PENDING',
      'SUBMITTED late SCHEDULED',
      'SUBMITTED ok PENDING',
      'SUCCEEDED ok SUCCEEDED',
      'SUBMITTED stop PENDING',
    ].sort());
    const ofBad = events.filter((e) => e.task?.id === 'bad').map((e) => e.type.replace('TASK_EVENT_TYPE_', ''));
    assert.deepEqual(ofBad, ['SUBMITTED', 'CLAIMED', 'RETRY_SCHEDULED', 'CLAIMED', 'EXHAUSTED', 'RETRIED', 'CLAIMED', 'FAILED']);
    const progress = events.find((e) => e.type === 'TASK_EVENT_TYPE_PROGRESS');
    assert.deepEqual(progress?.task?.progress, { current: 1, total: 2, message: '' });
    assert.equal(progress.worker_id, 'w1');
    const exhausted = events.find((e) => e.type === 'TASK_EVENT_TYPE_EXHAUSTED');
    assert.equal(exhausted?.task?.error?.message, 'second');
    assert.equal(exhausted.task.attempt, 2);
    assert.equal(exhausted.task.payload.length, 0, 'events carry no payload');
    const expiredLease = events.find((e) => e.type === 'TASK_EVENT_TYPE_LEASE_EXPIRED');
    assert.equal(expiredLease?.worker_id, 'w3');
    assert.equal(expiredLease.task?.error?.type, 'LEASE_EXPIRED');
    const purged = events.find((e) => e.type === 'TASK_EVENT_TYPE_QUEUE_PURGED');
    assert.equal(Number(purged?.count), 1, '"crash", pending again after its lease ran out');
  });

  it('filters by task id and by event type', async () => {
    const queue = uniqueQueue('watch-filter');
    const onlyB = watch(client(), { queue, task_id: 'b' });
    const onlyClaims = watch(client(), { queue, event_types: ['TASK_EVENT_TYPE_CLAIMED'] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await submit(client(), { queue, task_id: 'a' });
    await submit(client(), { queue, task_id: 'b' });
    await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 2 });
    assert.deepEqual((await onlyB.until(2)).map(summary), ['SUBMITTED b PENDING', 'CLAIMED b ACTIVE']);
    assert.deepEqual((await onlyClaims.until(2)).map(summary), ['CLAIMED a ACTIVE', 'CLAIMED b ACTIVE']);
    onlyB.cancel();
    onlyClaims.cancel();
  });

  it('resuming with the last cursor after a disconnect loses and repeats nothing, over thousands of events', async () => {
    const queue = uniqueQueue('watch-resume');
    const total = 3_000;
    const first = watch(client(), { queue, start: 'WATCH_START_OLDEST' });
    const producing = (async () => {
      for (let i = 0; i < total; i += 250) {
        await client().submitTasks({
          requests: Array.from({ length: 250 }, (_, j) => ({ queue, task_id: `t${String(i + j).padStart(5, '0')}` })),
        });
      }
    })();
    await first.until(700, 20_000);
    first.cancel();
    await first.ended;
    const seenBefore = [...first.events];
    const lastCursor = seenBefore.at(-1)?.cursor ?? '';
    const second = watch(client(), { queue, cursor: lastCursor });
    await producing;
    await second.until(total - seenBefore.length, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    second.cancel();
    const ids = [...seenBefore, ...second.events].map((e) => e.task?.id ?? '');
    assert.equal(ids.length, total, 'no event lost or repeated');
    assert.deepEqual(ids, [...ids].sort(), 'in submit order');
    assert.equal(new Set(ids).size, total);
  });

  it('sends a burst several events to a message, live and catching up, losing, repeating and reordering nothing', async () => {
    const queue = uniqueQueue('watch-burst');
    const total = 3_000;
    const ids = Array.from({ length: total }, (_, i) => `b${String(i).padStart(5, '0')}`);
    const live = watch(client(), { queue });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Three batches of 1,000: each is one script call, so its 1,000 events are committed at once.
    await Promise.all(
      [0, 1, 2].map((batch) =>
        client().submitTasks({ requests: ids.slice(batch * 1_000, (batch + 1) * 1_000).map((task_id) => ({ queue, task_id })) }),
      ),
    );
    const catchingUp = watch(client(), { queue, start: 'WATCH_START_OLDEST' });
    for (const w of [live, catchingUp]) {
      const events = await w.until(total, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      w.cancel();
      assert.equal(events.length, total, 'no event lost or repeated');
      assert.deepEqual(
        events.map((e) => e.task?.id).sort(),
        [...ids].sort(),
        'every task once',
      );
      assert.equal(new Set(events.map((e) => e.cursor)).size, total, 'every event has its own cursor');
      const ofBatch = (id: string | undefined): number => Math.floor(ids.indexOf(id ?? '') / 1_000);
      for (const batch of [0, 1, 2]) {
        const inBatch = events.filter((e) => ofBatch(e.task?.id) === batch).map((e) => e.task?.id);
        assert.deepEqual(inBatch, ids.slice(batch * 1_000, (batch + 1) * 1_000), 'in commit order within a batch');
      }
      assert.equal(w.messageSizes.reduce((a, b) => a + b, 0), total);
      assert.ok(w.messageSizes.length < total / 10, `${total} events came in ${w.messageSizes.length} messages`);
      assert.ok(w.messageSizes.every((n) => n >= 1 && n <= 1_000), 'a message holds 1 to 1,000 events');
    }
    assert.deepEqual(
      live.events.map((e) => e.cursor),
      catchingUp.events.map((e) => e.cursor),
      'live and catching up, the same events in the same (commit) order',
    );
    // Resuming from a cursor in the middle of a message starts right after that event.
    const middle = catchingUp.events[1_234];
    const resumed = watch(client(), { queue, cursor: middle?.cursor ?? '' });
    const rest = await resumed.until(total - 1_235, 20_000);
    resumed.cancel();
    assert.deepEqual(rest.map((e) => e.cursor), catchingUp.events.slice(1_235).map((e) => e.cursor));
  });

  it('resumes on another server instance after the first one stops', async () => {
    const queue = uniqueQueue('watch-failover');
    const other = await startTestServer(setup.redis.config);
    try {
      const onOther = watch(other.client, { queue });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await submit(client(), { queue, task_id: 'one' });
      await submit(client(), { queue, task_id: 'two' });
      const [firstEvent] = await onOther.until(1);
      await other.stop();
      await onOther.ended;
      assert.equal(onOther.error, undefined, 'the stream ended cleanly when its server stopped');
      const resumed = watch(client(), { queue, cursor: firstEvent?.cursor ?? '' });
      await submit(client(), { queue, task_id: 'three' });
      assert.deepEqual((await resumed.until(2)).map((e) => e.task?.id), ['two', 'three']);
      resumed.cancel();
    } finally {
      await other.stop().catch(() => undefined);
    }
  });

  it('answers OUT_OF_RANGE, naming the resync, for a cursor older than the retained events', async () => {
    const queue = uniqueQueue('watch-retention');
    const queues = queueClient(setup.server.baton.grpcAddress);
    await queues.UpdateQueue({ queue, settings: { event_retention: 10 } });
    const w = watch(client(), { queue, start: 'WATCH_START_OLDEST' });
    await submit(client(), { queue, task_id: 'first' });
    const [firstEvent] = await w.until(2);
    w.cancel();
    for (let i = 0; i < 600; i += 200) {
      await client().submitTasks({ requests: Array.from({ length: 200 }, () => ({ queue })) });
    }
    const stale = watch(client(), { queue, cursor: firstEvent?.cursor ?? '' });
    await stale.ended;
    assert.equal(stale.error?.code, grpc.status.OUT_OF_RANGE);
    assert.match(stale.error.details, /ListTasks/);
    const foreign = watch(client(), { queue: uniqueQueue('other'), cursor: firstEvent?.cursor ?? '' });
    await foreign.ended;
    assert.equal(foreign.error?.code, grpc.status.INVALID_ARGUMENT);
    queues.close();
  });

  it('drops events older than the queue\'s event max age when the queue changes', async () => {
    const queue = uniqueQueue('watch-age');
    const queues = queueClient(setup.server.baton.grpcAddress);
    const updated = await queues.UpdateQueue({ queue, settings: { event_max_age: duration(1_000) } });
    assert.equal(toMs(updated.queue?.settings?.event_max_age), 1_000);
    await rejectsWith(
      queues.UpdateQueue({ queue, settings: { event_max_age: duration(500) } }),
      grpc.status.INVALID_ARGUMENT,
      /^settings.event_max_age: .*1s/,
    );
    await submit(client(), { queue, task_id: 'old' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await submit(client(), { queue, task_id: 'new' });
    const w = watch(client(), { queue, start: 'WATCH_START_OLDEST' });
    await w.until(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    w.cancel();
    assert.deepEqual(w.events.map(summary), ['SUBMITTED new PENDING']);
    const cleared = await queues.UpdateQueue({ queue, settings: { event_max_age: duration(0) } });
    assert.equal(cleared.queue?.settings?.event_max_age, undefined, 'a zero age removes the limit');
    queues.close();
  });

  it('ages out a quiet queue\'s events, and a watcher at the last one still resumes without a gap', async () => {
    const quick = await startTestServer(setup.redis.config, {}, { maintenanceMaxIntervalMs: 200 });
    try {
      const queue = uniqueQueue('watch-age-quiet');
      const queues = queueClient(quick.baton.grpcAddress);
      await queues.UpdateQueue({ queue, settings: { event_max_age: duration(1_000) } });
      queues.close();
      await submit(quick.client, { queue, task_id: 'a' });
      await submit(quick.client, { queue, task_id: 'b' });
      const first = watch(quick.client, { queue, start: 'WATCH_START_OLDEST' });
      const [, eventA, eventB] = await first.until(3);
      first.cancel();
      // Once every event has aged out, a cursor with events after it has missed them; the last one has not.
      const missedSome = async (): Promise<boolean> => {
        const probe = watch(quick.client, { queue, cursor: eventA?.cursor ?? '' });
        await Promise.race([probe.ended, new Promise((resolve) => setTimeout(resolve, 100))]);
        probe.cancel();
        return probe.error?.code === grpc.status.OUT_OF_RANGE;
      };
      const deadline = Date.now() + 5_000;
      while (!(await missedSome())) {
        assert.ok(Date.now() < deadline, 'the events did not age out within 5 s');
      }
      const resumed = watch(quick.client, { queue, cursor: eventB?.cursor ?? '' });
      await submit(quick.client, { queue, task_id: 'c' });
      await Promise.race([resumed.until(1), resumed.ended]);
      resumed.cancel();
      assert.equal(resumed.error?.details, undefined);
      assert.deepEqual(resumed.events.map(summary), ['SUBMITTED c PENDING']);
    } finally {
      await quick.stop();
    }
  });

  it('ends a stalled reader with RESOURCE_EXHAUSTED while other watchers keep receiving', async () => {
    const small = await startTestServer(setup.redis.config, { watchBufferMax: 2_000 });
    try {
      const queue = uniqueQueue('watch-stall');
      // Its own connection, as a separate client would have: HTTP/2 flow control is shared per connection.
      const stalledClient = new BatonClient(small.baton.grpcAddress);
      const stalled = watch(stalledClient, { queue });
      stalled.stream.pause();
      const healthy = watch(small.client, { queue });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const total = 5_000;
      const pad = 'x'.repeat(2_000);
      const heapBefore = process.memoryUsage().heapUsed;
      for (let i = 0; i < total; i += 100) {
        await small.client.submitTasks({ requests: Array.from({ length: 100 }, () => ({ queue, metadata: { pad } })) });
      }
      await healthy.until(total, 30_000).catch((error: unknown) => { throw new Error(`${String(error)}; healthy watcher ended with ${healthy.error?.details ?? "no error"}`); });
      healthy.cancel();
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
      stalled.stream.resume();
      await stalled.ended;
      assert.equal(stalled.error?.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(stalled.error.details, /cursor/);
      assert.ok(stalled.events.length < total, 'the stalled reader did not get everything buffered for it');
      // 5,000 events of ~2 KB went by; holding them all for the stalled reader would take ~12 MB more.
      assert.ok(heapGrowth < 64 * 1024 * 1024, `heap grew ${Math.round(heapGrowth / 1e6)} MB`);
      stalledClient.close();
    } finally {
      await small.stop();
    }
  });

  it('delivers every event to 500 concurrent watchers of one queue on one server', async () => {
    const queue = uniqueQueue('watch-fanout');
    const clients = Array.from({ length: 5 }, () => new BatonClient(setup.server.baton.grpcAddress));
    const watchers = clients.flatMap((c) => Array.from({ length: 100 }, () => watch(c, { queue })));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await client().submitTasks({ requests: Array.from({ length: 50 }, (_, i) => ({ queue, task_id: `f${i}` })) });
    const received = await Promise.all(watchers.map((w) => w.until(50, 20_000)));
    for (const events of received) assert.deepEqual(events.map((e) => e.task?.id), Array.from({ length: 50 }, (_, i) => `f${i}`));
    for (const w of watchers) w.cancel();
    for (const c of clients) c.close();
  });
});

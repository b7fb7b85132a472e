import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TASK_STATES } from '../../src/domain/task.js';
import type { TaskState } from '../../src/domain/task.js';
import { claimOne, duration, rejectsWith, submit, timestamp } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { parseExposition, promtoolCheckMetrics, samplesOf, scrape, valueOf } from '../support/prometheus.js';
import type { Sample } from '../support/prometheus.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { handled, metricsOf, stopsInReverse, taskCounters } from '../support/metrics.js';

const PROTO_STATE = (state: TaskState): `TASK_STATE_${TaskState}` => `TASK_STATE_${state}`;

describe('GET /metrics', () => {
  let redis: TestRedis;
  let server: TestServer;
  const cleanup = stopsInReverse();
  before(async () => {
    redis = await startRedisCluster();
    cleanup.add(() => redis.stop());
    server = await startTestServer(redis.config);
    cleanup.add(() => server.stop());
  });
  after(() => cleanup.run());

  it('serves the Prometheus text format on its own address, and nothing but /metrics', async () => {
    assert.notEqual(server.baton.metricsAddress, server.baton.grpcAddress);
    const response = await fetch(`http://${server.baton.metricsAddress}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal((await fetch(`http://${server.baton.metricsAddress}/`)).status, 404);
    assert.equal((await fetch(`http://${server.baton.metricsAddress}/metrics`, { method: 'POST' })).status, 405);
  });

  it('starts every task counter of a queue at 0 once the queue is known', async () => {
    const queue = uniqueQueue('metrics-zero');
    await submit(server.client, { queue, delay: duration(3_600_000) });
    assert.deepEqual(await taskCounters(server, queue), {
      submitted: 1,
      claimed: 0,
      succeeded: 0,
      failedRetry: 0,
      failedFinal: 0,
      exhausted: 0,
      cancelled: 0,
      expired: 0,
      leaseExpirations: 0,
      waits: 0,
      runs: 0,
    });
  });

  it('counts each task outcome under its queue', async () => {
    const queue = uniqueQueue('metrics-outcomes');
    const { client } = server;
    const batch = await client.submitTasks({ requests: ['a1', 'a2', 'a3'].map((task_id) => ({ queue, task_id })) });
    assert.equal(batch.results.filter((r) => r.created).length, 3);
    await submit(client, { queue, task_id: 'a4' });
    await submit(client, { queue, task_id: 'a5', max_attempts: 1 });
    await submit(client, { queue, task_id: 'a6' });
    // An id that exists already is not a new task.
    assert.equal((await client.submitTask({ queue, task_id: 'a1' })).created, false);

    const claimed = await client.claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 5 });
    const token = new Map(claimed.tasks.map((c) => [c.task?.id ?? '', c.lease_token]));
    assert.deepEqual([...token.keys()], ['a1', 'a2', 'a3', 'a4', 'a5']);
    const lease = (task_id: string): { queue: string; task_id: string; lease_token: string } => ({
      queue,
      task_id,
      lease_token: token.get(task_id) ?? '',
    });
    const error = { type: 'Boom', message: 'it broke', details: '' };

    await client.completeTask({ ...lease('a1'), result: Buffer.from('done') });
    await client.failTask({ ...lease('a2'), error, retry_delay: duration(0) });
    await client.failTask({ ...lease('a3'), error, permanent: true });
    // Cancelling an active task only asks its worker to stop; its failure then ends it CANCELLED.
    await client.cancelTask({ queue, task_id: 'a4' });
    await client.failTask({ ...lease('a4'), error });
    await client.failTask({ ...lease('a5'), error });
    await client.cancelTask({ queue, task_id: 'a6' });
    const retried = await claimOne(client, queue);
    assert.equal(retried.task.id, 'a2');
    await client.completeTask({ queue, task_id: 'a2', lease_token: retried.lease_token, result: Buffer.from('') });

    assert.deepEqual(await taskCounters(server, queue), {
      submitted: 6,
      claimed: 6,
      succeeded: 2,
      failedRetry: 1,
      failedFinal: 3,
      exhausted: 1,
      cancelled: 2,
      expired: 0,
      leaseExpirations: 0,
      waits: 6,
      runs: 6,
    });
  });

  it('counts leases that ran out and tasks that expired, found by maintenance', async () => {
    const queue = uniqueQueue('metrics-maintenance');
    await submit(server.client, { queue, task_id: 'leased' });
    await claimOne(server.client, queue, 'w', 1_000);
    await submit(server.client, { queue, task_id: 'doomed', expire_time: timestamp(Date.now() + 300) });
    const counters = await eventually(async () => {
      const c = await taskCounters(server, queue);
      return c.leaseExpirations === 1 && c.expired === 1 ? c : undefined;
    }, 5_000);
    assert.equal(counters.submitted, 2);
    assert.equal(counters.claimed, 1);
  });

  it('counts a last attempt whose lease ran out as exhausted, and a cancel-requested one as cancelled', async () => {
    const queue = uniqueQueue('metrics-lease-outcomes');
    await submit(server.client, { queue, task_id: 'last-try', max_attempts: 1 });
    await claimOne(server.client, queue, 'crashes', 1_000);
    await submit(server.client, { queue, task_id: 'stop-me' });
    await server.client.claimTasks({ queues: [queue], worker_id: 'w', lease_duration: duration(1_000) });
    await server.client.cancelTask({ queue, task_id: 'stop-me' });
    const counters = await eventually(async () => {
      const c = await taskCounters(server, queue);
      return c.leaseExpirations === 2 ? c : undefined;
    }, 5_000);
    assert.equal(counters.exhausted, 1, 'the crashed last attempt');
    assert.equal(counters.cancelled, 1, 'the cancel-requested task whose lease ran out');
  });

  it('observes the wait from submission to claim and the run from claim to completion', async () => {
    const queue = uniqueQueue('metrics-times');
    await submit(server.client, { queue, task_id: 't1' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const claimed = await claimOne(server.client, queue);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.client.completeTask({ queue, task_id: 't1', lease_token: claimed.lease_token, result: Buffer.from('') });
    const samples = await metricsOf(server);
    const wait = valueOf(samples, 'baton_task_wait_seconds_sum', { queue }) ?? NaN;
    const run = valueOf(samples, 'baton_task_run_seconds_sum', { queue }) ?? NaN;
    assert.ok(wait >= 0.28 && wait < 2, `wait ${wait}s`);
    assert.ok(run >= 0.18 && run < 2, `run ${run}s`);
    // 0.3 s falls in the (0.25, 0.5] bucket.
    assert.equal(valueOf(samples, 'baton_task_wait_seconds_bucket', { queue, le: '0.25' }), 0);
    assert.equal(valueOf(samples, 'baton_task_wait_seconds_bucket', { queue, le: '0.5' }), wait <= 0.5 ? 1 : 0);
    assert.equal(valueOf(samples, 'baton_task_wait_seconds_bucket', { queue, le: '+Inf' }), 1);
  });

  it('counts gRPC calls by service, method, type and code, with the conventional code names', async () => {
    const { client } = server;
    const queue = uniqueQueue('metrics-grpc');
    const before = await metricsOf(server);
    await submit(client, { queue, task_id: 'g1' });
    await rejectsWith(client.submitTask({ queue: '!not a queue' }), grpc.status.INVALID_ARGUMENT);
    await rejectsWith(client.getTask({ queue, task_id: 'missing' }), grpc.status.NOT_FOUND);
    await rejectsWith(
      client.completeTask({ queue, task_id: 'g1', lease_token: 'stale', result: Buffer.from('') }),
      grpc.status.ABORTED,
    );
    // A long poll the client gives up on: the server counts it as the client saw it.
    await rejectsWith(
      client.claimTasks({ queues: [queue + '-empty'], worker_id: 'w', wait_timeout: duration(5_000) }, { timeoutMs: 300 }),
      grpc.status.DEADLINE_EXCEEDED,
    );
    const abort = new AbortController();
    const cancelled = client.claimTasks(
      { queues: [queue + '-empty'], worker_id: 'w', wait_timeout: duration(5_000) },
      { signal: abort.signal },
    );
    setTimeout(() => {
      abort.abort();
    }, 200);
    await rejectsWith(cancelled, grpc.status.CANCELLED);

    const TASKS = 'baton.v1.TaskService';
    const WORKERS = 'baton.v1.WorkerService';
    const delta = (samples: readonly Sample[], service: string, method: string, code: string): number =>
      (handled(samples, service, method, code) ?? NaN) - (handled(before, service, method, code) ?? NaN);
    const after = await eventually(async () => {
      const samples = await metricsOf(server);
      return delta(samples, WORKERS, 'ClaimTasks', 'Canceled') === 1 &&
        delta(samples, WORKERS, 'ClaimTasks', 'DeadlineExceeded') === 1
        ? samples
        : undefined;
    });
    assert.equal(delta(after, TASKS, 'SubmitTask', 'OK'), 1);
    assert.equal(delta(after, TASKS, 'SubmitTask', 'InvalidArgument'), 1);
    assert.equal(delta(after, TASKS, 'GetTask', 'NotFound'), 1);
    assert.equal(delta(after, WORKERS, 'CompleteTask', 'Aborted'), 1);
    assert.equal(delta(after, WORKERS, 'ClaimTasks', 'OK'), 0);

    // started counts the same calls; every method has all its series from the start (at 0 when never called).
    const started = (samples: readonly Sample[], method: string): number =>
      valueOf(samples, 'grpc_server_started_total', { grpc_service: TASKS, grpc_method: method, grpc_type: 'unary' }) ??
      NaN;
    assert.equal(started(after, 'SubmitTask') - started(before, 'SubmitTask'), 2);
    assert.equal(handled(after, WORKERS, 'Heartbeat', 'Internal'), 0);
    assert.equal(handled(after, 'grpc.health.v1.Health', 'Check', 'Unavailable'), 0);
    assert.equal(
      valueOf(after, 'grpc_server_started_total', {
        grpc_service: 'grpc.health.v1.Health',
        grpc_method: 'Watch',
        grpc_type: 'server_stream',
      }),
      0,
    );
    const submitCount = valueOf(after, 'grpc_server_handling_seconds_count', {
      grpc_service: TASKS,
      grpc_method: 'SubmitTask',
      grpc_type: 'unary',
    });
    assert.equal(submitCount, started(after, 'SubmitTask'));
    const codes = new Set(samplesOf(after, 'grpc_server_handled_total').map((s) => s.labels.grpc_code));
    assert.equal(codes.size, 17);
    assert.ok(codes.has('OK') && codes.has('Canceled') && codes.has('DeadlineExceeded') && codes.has('Unavailable'));
    assert.ok(![...codes].some((code) => code === undefined || /_|^\d+$/.test(code)), [...codes].join(' '));
  });

  it('reports queue gauges equal to the task counts in Redis, and the oldest pending wait', async () => {
    const { client } = server;
    const queue = uniqueQueue('metrics-gauges');
    await submit(client, { queue, task_id: 'later1', delay: duration(3_600_000) });
    await submit(client, { queue, task_id: 'later2', delay: duration(3_600_000) });
    const firstPendingAt = Date.now();
    for (const task_id of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']) await submit(client, { queue, task_id });
    const claimed = await client.claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 3 });
    const [c1, c2] = claimed.tasks;
    assert.ok(c1?.task && c2?.task);
    await client.completeTask({ queue, task_id: c1.task.id, lease_token: c1.lease_token, result: Buffer.from('') });
    await client.failTask({ queue, task_id: c2.task.id, lease_token: c2.lease_token, permanent: true });
    await client.cancelTask({ queue, task_id: 'p4' });
    const expected: Record<TaskState, number> = {
      SCHEDULED: 2,
      PENDING: 2,
      ACTIVE: 1,
      SUCCEEDED: 1,
      FAILED: 1,
      EXHAUSTED: 0,
      CANCELLED: 1,
      EXPIRED: 0,
      WAITING_CHILDREN: 0,
    };
    // What the API lists is the ground truth the gauges must match.
    for (const state of TASK_STATES) {
      const listed = await client.listTasks({ queue, state: PROTO_STATE(state), page_size: 100 });
      assert.equal(listed.tasks.length, expected[state], `ListTasks ${state}`);
    }

    // Gauges are read from Redis at most every 2 s; poll until this scrape reflects the writes above.
    const samples = await eventually(async () => {
      const s = await metricsOf(server);
      return TASK_STATES.every((state) => valueOf(s, 'baton_queue_tasks', { queue, state: state.toLowerCase() }) === expected[state])
        ? s
        : undefined;
    }, 6_000);
    assert.equal(samplesOf(samples, 'baton_queue_tasks', { queue }).length, TASK_STATES.length);
    const age = valueOf(samples, 'baton_queue_oldest_pending_age_seconds', { queue }) ?? NaN;
    assert.ok(age > 0 && age <= (Date.now() - firstPendingAt) / 1000 + 0.5, `oldest pending age ${age}s`);
    assert.equal(valueOf(samples, 'baton_queue_live_workers', { queue }), 1, 'the one worker that claimed');

    // A queue with nothing pending reports 0.
    const idle = uniqueQueue('metrics-idle');
    await submit(client, { queue: idle, delay: duration(3_600_000) });
    await eventually(async () => {
      const s = await metricsOf(server);
      return valueOf(s, 'baton_queue_oldest_pending_age_seconds', { queue: idle }) === 0 ? true : undefined;
    }, 6_000);
  });

  it('times Redis calls by script and reports the connection as up', async () => {
    const samples = await metricsOf(server);
    for (const operation of ['submit', 'claim', 'complete', 'fail', 'cancel', 'get', 'list', 'reap', 'getQueue', 'smembers']) {
      const count = valueOf(samples, 'baton_redis_command_seconds_count', { operation }) ?? 0;
      assert.ok(count > 0, `baton_redis_command_seconds_count{operation="${operation}"} is ${count}`);
    }
    assert.equal(valueOf(samples, 'baton_redis_connected'), 1);
    // A script that refuses (NOT_FOUND, a stale token) is an answer, not a Redis error.
    assert.equal(valueOf(samples, 'baton_redis_errors_total', { kind: 'unexpected' }), 0);
    assert.equal(valueOf(samples, 'baton_redis_errors_total', { kind: 'unavailable' }), 0);
  });

  it('never labels a series with a task id', async () => {
    const samples = await metricsOf(server);
    const labelNames = new Set(samples.flatMap((s) => Object.keys(s.labels)));
    for (const name of labelNames) assert.doesNotMatch(name, /task|id$/i);
    assert.ok(!samples.some((s) => Object.values(s.labels).some((v) => /^(a[1-6]|p[1-6]|later\d)$/.test(v))));
  });

  it('passes promtool check metrics, default process and Node.js metrics included', async () => {
    const exposition = await scrape(server.baton.metricsAddress);
    const samples = parseExposition(exposition);
    assert.ok(valueOf(samples, 'process_resident_memory_bytes'), 'process metrics are exported');
    assert.ok(samplesOf(samples, 'nodejs_active_handles').length > 0, 'Node.js metrics are exported');
    assert.equal(samplesOf(samples, 'nodejs_active_handles_total').length, 0);
    const { status, output } = promtoolCheckMetrics(exposition);
    assert.equal(output, '', `promtool check metrics found problems:\n${output}`);
    assert.equal(status, 0, `promtool check metrics exited ${String(status)}`);
  });
});

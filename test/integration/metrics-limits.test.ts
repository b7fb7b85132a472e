/**
 * Metrics at their edges: StartTask's lease expirations, the queue label limit, calls cancelled near their deadline,
 * and Redis going away.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { ClaimTasksRequest } from '../../clients/typescript/src/gen/baton/v1/worker_service.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { claimOne, rejectsWith, submit } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue, useTestServer } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { samplesOf, valueOf } from '../support/prometheus.js';
import { startPlainRedis, startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { handled, metricsOf, stopsInReverse, taskCounters } from '../support/metrics.js';

// Maintenance would expire a run-out lease before StartTask finds it: here it looks once at startup, not again.
describe('lease expirations that StartTask finds', () => {
  const setup = useTestServer(startPlainRedis, {}, { maintenanceTickMs: 3_600_000 });
  const server = (): TestServer => setup.server;

  /** A task of a new queue, claimed by a worker that then went silent until its 1 s lease ran out. */
  const abandoned = async (label: string, fields: { max_attempts?: number } = {}): Promise<string> => {
    const queue = uniqueQueue(label);
    await submit(server().client, { queue, task_id: 'job', ...fields });
    await claimOne(server().client, queue, 'crashed', 1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    return queue;
  };

  it('a StartTask that takes over a lease that ran out counts exactly one lease expiration', async () => {
    const queue = await abandoned('metrics-start-expired');
    const started = await server().client.startTask({ queue, task_id: 'job', worker_id: 'rescuer' });
    assert.equal(started.task?.attempt, 2);
    assert.equal(started.task.lease?.worker_id, 'rescuer');
    const counters = await taskCounters(server(), queue);
    assert.equal(counters.leaseExpirations, 1);
    assert.equal(counters.exhausted, 0);
  });

  it('a StartTask refused because the run-out lease was the last attempt still counts the expiration and the exhaustion', async () => {
    const queue = await abandoned('metrics-start-refused', { max_attempts: 1 });
    await rejectsWith(server().client.startTask({ queue, task_id: 'job', worker_id: 'rescuer' }), grpc.status.FAILED_PRECONDITION);
    const counters = await taskCounters(server(), queue);
    assert.equal(counters.leaseExpirations, 1);
    assert.equal(counters.exhausted, 1);
  });

  it('a forced StartTask over a last attempt whose lease ran out counts the expiration and the exhaustion, then leases it', async () => {
    const queue = await abandoned('metrics-start-forced', { max_attempts: 1 });
    const started = await server().client.startTask({ queue, task_id: 'job', worker_id: 'rescuer', force: true });
    assert.equal(started.task?.state, 'TASK_STATE_ACTIVE');
    const counters = await taskCounters(server(), queue);
    assert.equal(counters.leaseExpirations, 1);
    assert.equal(counters.exhausted, 1);
  });
});

describe('BATON_METRICS_MAX_QUEUES', () => {
  it('defaults to 1000 and is read from the flag --metrics-max-queues or the environment', () => {
    assert.equal(loadConfig([], {}).metricsMaxQueues, 1000);
    assert.equal(loadConfig([], { BATON_METRICS_MAX_QUEUES: '50' }).metricsMaxQueues, 50);
    assert.equal(loadConfig(['--metrics-max-queues', '7'], { BATON_METRICS_MAX_QUEUES: '50' }).metricsMaxQueues, 7);
  });

  it('rejects a value that is not a whole number from 0 to 100000', () => {
    for (const value of ['-1', '1.5', 'many', '100001']) {
      assert.throws(() => loadConfig([], { BATON_METRICS_MAX_QUEUES: value }), ConfigError);
    }
  });
});

describe('queue label cardinality', () => {
  let redis: TestRedis;
  let server: TestServer;
  const cleanup = stopsInReverse();
  before(async () => {
    redis = await startRedisCluster();
    cleanup.add(() => redis.stop());
    server = await startTestServer(redis.config, { metricsMaxQueues: 2 });
    cleanup.add(() => server.stop());
  });
  after(() => cleanup.run());

  it('gives the first BATON_METRICS_MAX_QUEUES queues a label and counts the others as queue="_other"', async () => {
    for (const queue of ['cap-a', 'cap-b', 'cap-c', 'cap-c']) await submit(server.client, { queue });
    const samples = await eventually(async () => {
      const s = await metricsOf(server);
      return samplesOf(s, 'baton_queue_tasks', { queue: 'cap-b' }).length > 0 ? s : undefined;
    }, 6_000);
    assert.equal(valueOf(samples, 'baton_tasks_submitted_total', { queue: 'cap-a' }), 1);
    assert.equal(valueOf(samples, 'baton_tasks_submitted_total', { queue: 'cap-b' }), 1);
    assert.equal(valueOf(samples, 'baton_tasks_submitted_total', { queue: '_other' }), 2);
    assert.equal(valueOf(samples, 'baton_tasks_claimed_total', { queue: '_other' }), 0);
    const queues = new Set(samples.flatMap((s) => (s.labels.queue === undefined ? [] : [s.labels.queue])));
    assert.deepEqual([...queues].sort(), ['_other', 'cap-a', 'cap-b']);
    // Gauges are read per queue: only labelled queues are read, and `_other` has no gauge.
    assert.equal(samplesOf(samples, 'baton_queue_tasks', { queue: '_other' }).length, 0);
  });
});

/**
 * A long poll sent by hand, with a `grpc-timeout` header, and cancelled (RST_STREAM CANCEL, as every gRPC client
 * does for both a cancel and its own deadline) after `cancelAfterMs`.
 */
async function cancelledLongPoll(address: string, timeoutHeader: string, cancelAfterMs: number): Promise<void> {
  const session = http2.connect(`http://${address}`);
  try {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/baton.v1.WorkerService/ClaimTasks',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': timeoutHeader,
    });
    const message = ClaimTasksRequest.encode({
      ...ClaimTasksRequest.fromPartial({ queues: [uniqueQueue('metrics-deadline')], worker_id: 'w' }),
      wait_timeout: { seconds: 5, nanos: 0 },
    }).finish();
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    stream.end(frame);
    await new Promise((resolve) => setTimeout(resolve, cancelAfterMs));
    await new Promise<void>((resolve) => {
      stream.close(http2.constants.NGHTTP2_CANCEL, resolve);
    });
  } finally {
    session.close();
  }
}

describe('calls cancelled before their deadline', () => {
  const setup = useTestServer(startPlainRedis);
  const METHOD = ['baton.v1.WorkerService', 'ClaimTasks'] as const;
  const endings = async (): Promise<{ canceled: number; deadlineExceeded: number }> => {
    const samples = await metricsOf(setup.server);
    return {
      canceled: handled(samples, ...METHOD, 'Canceled') ?? NaN,
      deadlineExceeded: handled(samples, ...METHOD, 'DeadlineExceeded') ?? NaN,
    };
  };
  const after = async (before: { canceled: number; deadlineExceeded: number }, wanted: 'canceled' | 'deadlineExceeded') =>
    eventually(async () => {
      const now = await endings();
      return now[wanted] - before[wanted] === 1 ? now : undefined;
    });

  // The client's deadline timer starts before the call reaches the server, so it fires first by the transit time.
  it('counts a cancel just before the deadline, as a client deadline that set off earlier, as DeadlineExceeded', async () => {
    const before = await endings();
    await cancelledLongPoll(setup.server.baton.grpcAddress, '600m', 500);
    const now = await after(before, 'deadlineExceeded');
    assert.equal(now.canceled, before.canceled);
  });

  it('counts a cancel long before the deadline as Canceled', async () => {
    const before = await endings();
    await cancelledLongPoll(setup.server.baton.grpcAddress, '5S', 200);
    const now = await after(before, 'canceled');
    assert.equal(now.deadlineExceeded, before.deadlineExceeded);
  });
});

// A plain Redis: with every node of a Redis Cluster down, ioredis holds commands in its offline queue without a
// timeout, so calls (and a shutdown waiting for maintenance) would hang rather than fail.
describe('metrics when Redis goes away', () => {
  let redis: TestRedis;
  let server: TestServer;
  const cleanup = stopsInReverse();
  before(async () => {
    redis = await startPlainRedis();
    cleanup.add(() => redis.stop());
    server = await startTestServer(redis.config);
    cleanup.add(() => server.stop());
  });
  after(() => cleanup.run());

  it('still serves /metrics, reports baton_redis_connected 0 and counts the errors by kind', async () => {
    const queue = uniqueQueue('metrics-outage');
    await submit(server.client, { queue });
    for (const node of redis.masters) await node.kill();
    await rejectsWith(
      server.client.getTask({ queue, task_id: 'any' }, { retry: false, timeoutMs: 8_000 }),
      grpc.status.UNAVAILABLE,
    );
    // The gauges' last read may serve scrapes for up to 2 s more.
    const samples = await eventually(async () => {
      const s = await metricsOf(server);
      return valueOf(s, 'baton_redis_connected') === 0 && samplesOf(s, 'baton_queue_tasks').length === 0 ? s : undefined;
    }, 15_000, 200);
    assert.ok((valueOf(samples, 'baton_redis_errors_total', { kind: 'unavailable' }) ?? 0) >= 1);
    assert.ok((valueOf(samples, 'baton_redis_errors_total', { kind: 'connection' }) ?? 0) >= 1);
    // Gauges that cannot be read are left out (see the poll above) rather than reported stale or failing the scrape.
    assert.equal(
      handled(samples, 'baton.v1.TaskService', 'GetTask', 'Unavailable'),
      1,
      'the gRPC side counts the failed call too',
    );
  });
});

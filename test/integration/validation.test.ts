import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import { claimOne, duration, rejectsWith, submit, timestamp } from '../support/api.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import type { Input } from '../../clients/typescript/src/client.js';
import type { SubmitTaskRequest } from '../../clients/typescript/src/contract.js';

describe('bad input gets INVALID_ARGUMENT naming the field and the limit, and changes nothing', () => {
  let redis: TestRedis;
  let server: TestServer;
  const queue = uniqueQueue('validation');
  before(async () => {
    redis = await startRedisCluster();
    server = await startTestServer(redis.config, { maxPayloadBytes: 1024 });
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });
  const client = () => server.client;

  const badSubmits: [string, Input<typeof SubmitTaskRequest>, RegExp][] = [
    ['an empty queue name', { queue: '' }, /^queue: .*must match/],
    ['a queue name with braces', { queue: 'a{b}' }, /^queue: /],
    ['a queue name over 128 characters', { queue: 'q'.repeat(129) }, /^queue: /],
    ['a task id with a space', { queue, task_id: 'a b' }, /^task_id: must be 1-128 printable ASCII/],
    ['a task id with braces', { queue, task_id: '{x}' }, /^task_id: .*braces/],
    ['a task id over 128 characters', { queue, task_id: 'x'.repeat(129) }, /^task_id: /],
    ['a task type with a space', { queue, type: 'resize image' }, /^type: must be 0-128 printable ASCII characters without spaces/],
    ['a task type over 128 characters', { queue, type: 't'.repeat(129) }, /^type: must be 0-128 /],
    ['a traceparent that is not W3C', { queue, trace_context: { traceparent: 'abc', tracestate: '' } }, /^trace_context.traceparent: must be a W3C traceparent/],
    ['a traceparent with an all-zero trace id', { queue, trace_context: { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, tracestate: '' } }, /^trace_context.traceparent: /],
    ['a tracestate without a traceparent', { queue, trace_context: { traceparent: '', tracestate: 'a=b' } }, /^trace_context.traceparent: /],
    ['a tracestate over 512 characters', { queue, trace_context: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: `a=${'b'.repeat(511)}` } }, /^trace_context.tracestate: must be at most 512 printable ASCII/],
    ['a payload over the limit', { queue, payload: Buffer.alloc(1025) }, /^payload: is 1025 bytes; the limit is 1024/],
    ['priority 10', { queue, priority: 10 }, /^priority: must be an integer from -9 to 9, got 10/],
    ['priority -10', { queue, priority: -10 }, /^priority: .*got -10/],
    ['max_attempts 1001', { queue, max_attempts: 1001 }, /^max_attempts: must be an integer from 1 to 1000/],
    ['negative max_attempts', { queue, max_attempts: -1 }, /^max_attempts: /],
    ['a lease under 1s', { queue, lease_duration: duration(500) }, /^lease_duration: must be from 1s to 24h, got 500ms/],
    ['a lease over 24h', { queue, lease_duration: duration(25 * 3_600_000) }, /^lease_duration: must be from 1s to 24h/],
    ['both delay and schedule_time', { queue, delay: duration(1), schedule_time: timestamp(Date.now()) }, /^delay: set at most one/],
    ['a negative delay', { queue, delay: { seconds: -5 } }, /^delay: must be from 0s to 365d, got -5000ms/],
    ['an expire_time in the past', { queue, expire_time: timestamp(Date.now() - 1000) }, /^expire_time: must be in the future/],
    ['65 metadata entries', { queue, metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }, /^metadata: has more than 64 entries; the limit is 64/],
    ['a metadata value over 4096 characters', { queue, metadata: { k: 'v'.repeat(4097) } }, /^metadata\["k"\]: is 4097 characters; the limit is 4096/],
    ['a jitter above 1', { queue, retry_policy: { jitter: 2 } }, /^retry_policy.jitter: must be from 0 to 1/],
    ['a backoff multiplier below 1', { queue, retry_policy: { backoff_multiplier: 0.5 } }, /^retry_policy.backoff_multiplier: must be from 1 to 100/],
    ['a max backoff below the initial backoff', { queue, retry_policy: { initial_backoff: duration(5_000), max_backoff: duration(1_000) } }, /^retry_policy.max_backoff: must be from 5s/],
  ];
  for (const [what, request, message] of badSubmits) {
    it(`SubmitTask rejects ${what}`, async () => {
      await rejectsWith(client().submitTask(request), grpc.status.INVALID_ARGUMENT, message);
    });
  }

  const claim = { queues: [queue], worker_id: 'w' };
  const badClaims: [string, Parameters<TestServer['client']['claimTasks']>[0], RegExp][] = [
    ['no queues', { ...claim, queues: [] }, /^queues: must name 1 to 10 queues, got 0/],
    ['11 queues', { ...claim, queues: Array.from({ length: 11 }, (_, i) => `q${i}`) }, /^queues: has more than 10 entries; the limit is 10/],
    ['a repeated queue', { ...claim, queues: [queue, queue] }, /^queues: must not repeat/],
    ['a bad queue name', { ...claim, queues: [queue, 'no spaces'] }, /^queues\[1\]: /],
    ['an empty worker id', { ...claim, worker_id: '' }, /^worker_id: must be 1-128/],
    ['max_tasks 101', { ...claim, max_tasks: 101 }, /^max_tasks: must be an integer from 1 to 100, got 101/],
    ['a wait over 60s', { ...claim, wait_timeout: duration(61_000) }, /^wait_timeout: must be from 0s to 60s, got 61000ms/],
    ['a lease under 1s', { ...claim, lease_duration: duration(10) }, /^lease_duration: must be from 1s/],
  ];
  for (const [what, request, message] of badClaims) {
    it(`ClaimTasks rejects ${what}`, async () => {
      await rejectsWith(client().claimTasks(request), grpc.status.INVALID_ARGUMENT, message);
    });
  }

  it('Heartbeat, CompleteTask and FailTask reject bad arguments without touching the lease', async () => {
    const own = uniqueQueue('validation-lease');
    await submit(client(), { queue: own, task_id: 'held' });
    const claimed = await claimOne(client(), own);
    const ids = { queue: own, task_id: 'held' };
    await rejectsWith(client().heartbeat({ ...ids, lease_token: '' }), grpc.status.INVALID_ARGUMENT, /^lease_token: is required/);
    await rejectsWith(
      client().heartbeat({ ...ids, lease_token: claimed.lease_token, progress: { current: 1, message: 'm'.repeat(1025) } }),
      grpc.status.INVALID_ARGUMENT,
      /^progress.message: is 1025 characters; the limit is 1024/,
    );
    await rejectsWith(
      client().heartbeat({ ...ids, lease_token: claimed.lease_token, progress: { current: -1 } }),
      grpc.status.INVALID_ARGUMENT,
      /^progress.current: /,
    );
    await rejectsWith(
      client().completeTask({ ...ids, lease_token: claimed.lease_token, result: Buffer.alloc(1025) }),
      grpc.status.INVALID_ARGUMENT,
      /^result: is 1025 bytes; the limit is 1024/,
    );
    await rejectsWith(
      client().failTask({ ...ids, lease_token: claimed.lease_token, retry_delay: duration(25 * 3_600_000) }),
      grpc.status.INVALID_ARGUMENT,
      /^retry_delay: must be from 0s to 24h/,
    );
    const still = await client().completeTask({ ...ids, lease_token: claimed.lease_token });
    assert.equal(still.task?.state, 'TASK_STATE_SUCCEEDED', 'the lease survived every rejected call');
    assert.equal(still.task.progress, undefined);
  });

  it('ListTasks rejects a page size over 1000 and StartTask a missing task id', async () => {
    await rejectsWith(client().listTasks({ queue, page_size: 1001 }), grpc.status.INVALID_ARGUMENT, /^page_size: .*1 to 1000/);
    await rejectsWith(client().startTask({ queue, worker_id: 'w' }), grpc.status.INVALID_ARGUMENT, /^task_id: is required/);
  });

  it('ListTasks and StartTask reject a bad task type', async () => {
    await rejectsWith(client().listTasks({ queue, type: 'a\tb' }), grpc.status.INVALID_ARGUMENT, /^type: must be 0-128/);
    await rejectsWith(
      client().startTask({ queue, task_id: 'typed', worker_id: 'w', type: 'é' }),
      grpc.status.INVALID_ARGUMENT,
      /^type: must be 0-128/,
    );
  });

  it('no rejected call stored anything', async () => {
    const listed = await client().listTasks({ queue });
    assert.equal(listed.tasks.length, 0);
  });

  it('random bytes sent to every method never crash the server', async () => {
    const methods = [
      '/baton.v1.TaskService/SubmitTask',
      '/baton.v1.TaskService/SubmitTasks',
      '/baton.v1.TaskService/ListTasks',
      '/baton.v1.WorkerService/ClaimTasks',
      '/baton.v1.WorkerService/StartTask',
      '/baton.v1.WorkerService/Heartbeat',
      '/baton.v1.WorkerService/FailTask',
    ];
    const raw = new grpc.Client(server.baton.grpcAddress, grpc.credentials.createInsecure());
    const codes = new Set<number>();
    for (const method of methods) {
      for (let i = 0; i < 30; i++) {
        const code = await new Promise<number>((resolve) => {
          raw.makeUnaryRequest(
            method,
            (b: Buffer) => b,
            (b: Buffer) => b,
            randomBytes(1 + (i * 7) % 200),
            { deadline: Date.now() + 5_000 },
            (error) => {
              resolve(error?.code ?? grpc.status.OK);
            },
          );
        });
        codes.add(code);
      }
    }
    raw.close();
    assert.ok(!codes.has(grpc.status.UNAVAILABLE), 'the server stayed up');
    assert.ok(!codes.has(grpc.status.DEADLINE_EXCEEDED), 'no call hung');
    const healthy = await submit(client(), { queue: uniqueQueue('after-fuzz') });
    assert.equal(healthy.state, 'TASK_STATE_PENDING');
  });
});

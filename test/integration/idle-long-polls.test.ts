import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BatonClient } from '../../clients/typescript/src/client.js';
import type { ClaimTasksResponse } from '../../clients/typescript/src/contract.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { callsBetween, commandCalls } from '../support/serverProcess.js';

const WAITERS = 2_000;
const PER_CONNECTION = 500;
const MEASURED_MS = 5_000;
/** Scripts an idle queue may cost over the measured time: the wake board's sweep and maintenance, not a claim per waiter. */
const IDLE_SCRIPTS_MAX = 20;
/** A wake-up reaches a waiting claim through Redis pub/sub, well before the slow sweep would. */
const WAKE_MAX_MS = 2_500;

describe('long polls without timers per waiter', () => {
  let redis: TestRedis;
  let waitingOn: TestServer;
  let other: TestServer;
  const clients: BatonClient[] = [];
  const queue = uniqueQueue('idle');
  let claims: Promise<ClaimTasksResponse>[] = [];

  before(async () => {
    redis = await startRedisCluster();
    waitingOn = await startTestServer(redis.config);
    other = await startTestServer(redis.config);
    for (let i = 0; i < WAITERS / PER_CONNECTION; i++) {
      clients.push(new BatonClient(waitingOn.baton.grpcAddress, {}, { 'grpc.use_local_subchannel_pool': 1 }));
    }
  });

  after(async () => {
    for (const client of clients) client.close();
    await waitingOn.stop();
    await other.stop();
    await redis.stop();
  });

  it(`costs next to no scripts with ${WAITERS} claims waiting on an idle queue, and a submit on another replica wakes one at once`, async () => {
    const node = redis.masters[0]?.client ?? assert.fail();
    claims = Array.from({ length: WAITERS }, (_, i) =>
      (clients[i % clients.length] as BatonClient).claimTasks(
        { queues: [queue], worker_id: `w${i}`, wait_timeout: { seconds: 60, nanos: 0 } },
        { timeoutMs: 90_000 },
      ),
    );
    // Every claim has made its first attempt (a script each, and one recording its worker) once the count of
    // scripts grows no faster than an idle queue's.
    let previous = -Infinity;
    await eventually(async () => {
      const now = callsBetween(new Map(), await commandCalls(node), ['evalsha', 'eval']);
      const settled = now >= WAITERS && now - previous <= IDLE_SCRIPTS_MAX / 5;
      previous = now;
      return settled || undefined;
    }, 60_000, 1_000);

    const before = await commandCalls(node);
    await new Promise((resolve) => setTimeout(resolve, MEASURED_MS));
    const scripts = callsBetween(before, await commandCalls(node), ['evalsha', 'eval']);
    console.log(`${WAITERS} waiting claims on an idle queue: ${scripts} scripts in ${MEASURED_MS} ms`);
    assert.ok(scripts <= IDLE_SCRIPTS_MAX, `${scripts} scripts in ${MEASURED_MS} ms`);

    const submitted = Date.now();
    await other.client.submitTask({ queue, task_id: 'wake' });
    // The claims that got nothing stay pending until their wait ends: the first to get a task answers.
    const first = await Promise.race(
      claims.map(async (claim) => {
        const response = await claim;
        return response.tasks.length > 0 ? response : new Promise<never>(() => undefined);
      }),
    );
    const wokeAfter = Date.now() - submitted;
    console.log(`a submit on another replica reached a waiting claim in ${wokeAfter} ms`);
    assert.equal(first.tasks[0]?.task?.id, 'wake');
    assert.ok(wokeAfter < WAKE_MAX_MS, `the waiting claim got the task ${wokeAfter} ms after the submit`);
  });
});

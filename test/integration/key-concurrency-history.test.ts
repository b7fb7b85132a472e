import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BatonClient } from '../../clients/typescript/src/client.js';
import type { TaskEvent } from '../../clients/typescript/src/contract.js';
import { duration, sleep } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

const LIMIT = 2;
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
const TASKS = 240;
const WORKERS_PER_REPLICA = 4;
const LEASE_MS = 1_000;

/**
 * Replays a queue's event stream (every change, in the order Redis made them) and returns the most tasks of each
 * key that were ACTIVE at once: a task is ACTIVE from the event that shows it ACTIVE to the next one that does not.
 */
function mostActivePerKey(events: readonly TaskEvent[]): Map<string, number> {
  const stateOf = new Map<string, string>();
  const active = new Map<string, number>();
  const most = new Map<string, number>();
  for (const event of events) {
    const task = event.task;
    if (!task) continue;
    const was = stateOf.get(task.id) === 'TASK_STATE_ACTIVE';
    const is = task.state === 'TASK_STATE_ACTIVE';
    stateOf.set(task.id, task.state);
    if (was === is) continue;
    const now = (active.get(task.concurrency_key) ?? 0) + (is ? 1 : -1);
    assert.ok(now >= 0, `${task.concurrency_key} went below zero ACTIVE at ${event.cursor}`);
    active.set(task.concurrency_key, now);
    most.set(task.concurrency_key, Math.max(most.get(task.concurrency_key) ?? 0, now));
  }
  return most;
}

/**
 * A worker that claims, and for each task, by its number and attempt, completes, fails, or lets the lease run out;
 * one task in 20 fails every attempt (and is EXHAUSTED).
 */
async function work(client: BatonClient, queue: string, workerId: string, until: () => boolean): Promise<void> {
  for (let round = 0; round < 10_000 && !until(); round++) {
    const { tasks } = await client.claimTasks({
      queues: [queue],
      worker_id: workerId,
      max_tasks: 3,
      lease_duration: duration(LEASE_MS),
      wait_timeout: duration(100),
    });
    await Promise.all(
      tasks.map(async ({ task, lease_token: token }) => {
        if (!task) return;
        const n = Number(task.id.slice(1)) + task.attempt;
        await sleep(n % 7);
        if (n % 10 === 3) return; // abandoned: its lease runs out
        if (n % 10 === 5 || Number(task.id.slice(1)) % 20 === 7) {
          await client.failTask({ queue, task_id: task.id, lease_token: token, error: { type: 'E', message: 'try again', details: '' }, retry_delay: duration(5) }).catch(() => undefined);
          return;
        }
        await client.completeTask({ queue, task_id: task.id, lease_token: token }).catch(() => undefined);
      }),
    );
  }
}

describe('per-key concurrency under races: many workers on two replicas', () => {
  let redis: TestRedis;
  let replicas: TestServer[];
  before(async () => {
    redis = await startRedisCluster();
    replicas = await Promise.all([startTestServer(redis.config), startTestServer(redis.config)]);
  });
  after(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await redis.stop();
  });

  it('never has more than the limit ACTIVE per key, through lease expiry, fail and retry, cancel and limit changes', async () => {
    const [a, b] = replicas.map((replica) => replica.client) as [BatonClient, BatonClient];
    const queue = uniqueQueue('keys-history');
    await a.updateQueue({ queue, settings: { concurrency_key_limit: LIMIT, event_retention: 1_000_000 } });
    for (let first = 0; first < TASKS; first += 60) {
      await (first % 120 === 0 ? a : b).submitTasks({
        requests: Array.from({ length: 60 }, (_, i) => ({
          queue,
          task_id: `t${first + i}`,
          concurrency_key: KEYS[(first + i) % KEYS.length] ?? '',
          priority: (first + i) % 3,
          max_attempts: 4,
        })),
      });
    }

    // Workers on both replicas until nothing is left to do.
    const drain = async (during: () => Promise<void>) => {
      let finished = false;
      const workers = replicas.flatMap((replica, r) =>
        Array.from({ length: WORKERS_PER_REPLICA }, (_, w) => work(replica.client, queue, `w${r}-${w}`, () => finished)),
      );
      await during();
      await eventually(async () => {
        const counts = (await a.getQueue({ queue })).queue?.counts;
        return counts && counts.pending + counts.active + counts.scheduled === 0 ? true : undefined;
      }, 60_000, 100);
      finished = true;
      await Promise.all(workers);
    };
    await drain(async () => {
      // An operator cancels some tasks (waiting, claimable or ACTIVE) and briefly lowers the limit.
      for (let i = 1; i < TASKS; i += 17) {
        await b.cancelTask({ queue, task_id: `t${i}` }).catch(() => undefined);
        await sleep(20);
      }
      await a.updateQueue({ queue, settings: { concurrency_key_limit: 1 } });
      await sleep(100);
      await b.updateQueue({ queue, settings: { concurrency_key_limit: LIMIT } });
    });
    // The operator retries what exhausted: each takes a slot of its key again.
    const { retried_count: retried } = await b.retryTasks({ queue, states: ['TASK_STATE_EXHAUSTED'] });
    assert.ok(retried > 0);
    await drain(() => Promise.resolve());

    const { queue: view } = await a.getQueue({ queue });
    const total = (view?.counts?.succeeded ?? 0) + (view?.counts?.exhausted ?? 0) + (view?.counts?.cancelled ?? 0);
    assert.equal(total, TASKS, 'every task finished');
    assert.deepEqual(view?.top_concurrency_keys, [], 'no key is left with an ACTIVE count');
    assert.equal(view.key_limited_tasks, 0);

    const history = await readUntilMarker(a, queue);
    const most = mostActivePerKey(history);
    for (const key of KEYS) {
      const peak = most.get(key) ?? 0;
      assert.ok(peak <= LIMIT, `key ${key} had ${peak} ACTIVE at once, over its limit of ${LIMIT}`);
      assert.equal(peak, LIMIT, `key ${key} reached its limit (the workload is busy enough to test it)`);
    }
    const kinds = new Set(history.map((e) => e.type));
    const expected = ['LEASE_EXPIRED', 'RETRY_SCHEDULED', 'CANCELLED', 'EXHAUSTED', 'RETRIED'];
    for (const kind of expected.map((name) => `TASK_EVENT_TYPE_${name}`)) {
      assert.ok(kinds.has(kind as TaskEvent['type']), `the history went through ${kind}`);
    }

    // No slot leaked: a key can still have LIMIT tasks ACTIVE at once.
    await a.submitTasks({ requests: Array.from({ length: LIMIT + 1 }, (_, i) => ({ queue, task_id: `after${i}`, concurrency_key: 'k0' })) });
    const { tasks } = await b.claimTasks({ queues: [queue], worker_id: 'check', max_tasks: 10 });
    assert.equal(tasks.filter(({ task }) => task?.concurrency_key === 'k0').length, LIMIT);
  });
});

/** Every event of the queue, oldest first, up to a marker task submitted now (the history is complete up to it). */
async function readUntilMarker(client: BatonClient, queue: string): Promise<TaskEvent[]> {
  await client.submitTask({ queue, task_id: 'marker' });
  const events: TaskEvent[] = [];
  for await (const event of client.watchTasks({ queue, start: 'WATCH_START_OLDEST' })) {
    if (event.task?.id === 'marker') break;
    events.push(event);
  }
  return events;
}

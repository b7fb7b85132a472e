import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BatonClient } from '../../clients/typescript/src/client.js';
import { Maintenance } from '../../src/domain/maintenance.js';
import type { ReapOutcome } from '../../src/domain/store.js';
import { DEFAULT_KEYSPACE } from '../../src/store/keys.js';
import { createRedisClient } from '../../src/store/redis.js';
import type { RedisClient } from '../../src/store/redis.js';
import { RedisCalls } from '../../src/store/redisCalls.js';
import { RedisQueueStore } from '../../src/store/redisQueueStore.js';
import { RedisWorkerStore } from '../../src/store/redisWorkerStore.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { claimOne, duration, getTask, submit, toMs } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { metricsOf } from '../support/metrics.js';
import { valueOf } from '../support/prometheus.js';
import { startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';

/** The slow sweep out of the way: a round of it takes an hour. */
const NO_SWEEP = { maintenanceMaxIntervalMs: 3_600_000 };

async function reapsRun(server: TestServer): Promise<number> {
  return valueOf(await metricsOf(server), 'baton_redis_command_seconds_count', { operation: 'reap' }) ?? 0;
}

/** A replica's maintenance alone, in this process, telling which queues it reaped. */
interface MaintenanceReplica {
  maintenance: Maintenance;
  store: RedisQueueStore;
  reaped: string[];
  client: RedisClient;
}

function startMaintenance(redis: TestRedis, maxIntervalMs: number): MaintenanceReplica {
  const client = createRedisClient(redis.config, 'baton-test');
  const calls = new RedisCalls(client, 2_000);
  const store = new RedisQueueStore(calls, () => createRedisClient(redis.config, 'baton-test-subscriber'));
  const reaped: string[] = [];
  const maintenance = new Maintenance(store, new RedisWorkerStore(calls), {
    retentionMs: 3_600_000,
    workerRetentionMs: 3_600_000,
    tickMs: 50,
    maxIntervalMs,
    batchLimit: 500,
    onError: () => undefined,
    onReaped: (queue: string, _outcome: ReapOutcome) => {
      reaped.push(queue);
    },
  });
  maintenance.start();
  return { maintenance, store, reaped, client };
}

describe('maintenance shared by three replicas', () => {
  let redis: TestRedis;
  let replicas: TestServer[];
  before(async () => {
    redis = await startRedisCluster(3);
    replicas = await Promise.all([1, 2, 3].map(() => startTestServer(redis.config, {}, NO_SWEEP)));
  });
  after(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await redis.stop();
  });

  it('reaps each queue with an expired lease once, not once per replica, and the replicas share them', async () => {
    const [granting, other] = replicas;
    assert.ok(granting && other);
    const queues = Array.from({ length: 150 }, () => uniqueQueue('due-once'));
    const ids = await Promise.all(queues.map(async (queue) => (await submit(granting.client, { queue })).id));
    const before = await Promise.all(replicas.map(reapsRun));
    await Promise.all(queues.map((queue) => claimOne(granting.client, queue, 'w', 1_000)));
    await eventually(async () => {
      const tasks = await Promise.all(queues.map((queue, i) => getTask(other.client, queue, ids[i] ?? '')));
      return tasks.every((task) => task.state === 'TASK_STATE_PENDING') ? true : undefined;
    }, 10_000, 100);
    // Each queue's reap gives its claim back with nothing more due: no further reaps are coming.
    const reaps = (await Promise.all(replicas.map(reapsRun))).map((after, i) => after - (before[i] ?? 0));
    assert.equal(reaps.reduce((a, b) => a + b, 0), queues.length, `reaps by replica: ${reaps.join(', ')}`);
    assert.ok(reaps.filter((n) => n > 0).length >= 2, `more than one replica reaped: ${reaps.join(', ')}`);
  });

  it('a queue claimed by a replica that died before reaping it is reaped by another once the claim lapses', async () => {
    const [granting] = replicas;
    assert.ok(granting);
    const queue = uniqueQueue('claim-lapses');
    const task = await submit(granting.client, { queue });
    const claimed = await claimOne(granting.client, queue, 'w', 1_000);
    const leaseEnds = toMs(claimed.task.lease?.expire_time);
    // A replica that claims the queue when it falls due and is never heard of again.
    const client = createRedisClient(redis.config, 'baton-test-doomed');
    const doomed = new RedisQueueStore(new RedisCalls(client, 2_000), () => client);
    const stolen = await eventually(async () => {
      const { queues, claimedUntil } = await doomed.claimDue(Date.now(), 50, 2_000);
      return queues.includes(queue) ? claimedUntil : undefined;
    }, 5_000, 5);
    client.disconnect();
    const requeued = await eventually(async () => {
      const current = await getTask(granting.client, queue, task.id);
      return current.state === 'TASK_STATE_PENDING' ? Date.now() : undefined;
    }, 10_000, 50);
    assert.ok(requeued >= stolen, 'not before the claim lapsed');
    assert.ok(requeued - stolen < 1_000, `reaped ${requeued - stolen}ms after the claim lapsed`);
    assert.ok(requeued > leaseEnds);
  });
});

describe('the slow sweep shared by three replicas', () => {
  let redis: TestRedis;
  const queues = Array.from({ length: 100 }, (_, i) => `sweep-${String(i).padStart(3, '0')}`);
  before(async () => {
    redis = await startRedisCluster(3);
    const setup = createRedisClient(redis.config, 'baton-test-setup');
    await setup.sadd(DEFAULT_KEYSPACE.queues, ...queues);
    setup.disconnect();
  });
  after(async () => {
    await redis.stop();
  });

  it('covers every queue once per round between them, each replica a share, at the pace of one', async () => {
    const replicas = [1, 2, 3].map(() => startMaintenance(redis, 2_000));
    const setup = createRedisClient(redis.config, 'baton-test-setup');
    try {
      // 100 queues per 2 s is 50 a second, for the three together: a round takes about 2 s.
      const started = Date.now();
      await eventually(async () => (Number(await setup.hget(DEFAULT_KEYSPACE.sweep, 'pos')) >= queues.length ? true : undefined), 10_000, 20);
      const elapsed = Date.now() - started;
      await Promise.all(replicas.map((replica) => replica.maintenance.stop()));
      const handedOut = Number(await setup.hget(DEFAULT_KEYSPACE.sweep, 'pos'));
      const reaped = replicas.flatMap((replica) => replica.reaped);
      assert.equal(reaped.length, handedOut, 'one reap per position handed out');
      // Positions go round the sorted list: after `handedOut` of them each queue was swept this often, or once more.
      const rounds = Math.floor(handedOut / queues.length);
      for (const queue of queues) {
        const times = reaped.filter((q) => q === queue).length;
        assert.ok(times === rounds || times === rounds + 1, `${queue} swept ${times} times in ${handedOut} positions`);
      }
      assert.ok(replicas.every((replica) => replica.reaped.length > 0), `shares: ${replicas.map((r) => r.reaped.length).join(', ')}`);
      assert.ok(elapsed >= 1_000, `a round took ${elapsed}ms: the replicas share one pace rather than each sweeping at it`);
    } finally {
      setup.disconnect();
      for (const replica of replicas) replica.client.disconnect();
    }
  });
});

describe('a replica killed with SIGKILL', () => {
  let redis: TestRedis;
  let servers: ServerProcess[];
  before(async () => {
    redis = await startRedisCluster(3);
    servers = await Promise.all([1, 2, 3].map(() => startServerProcess(redis.config)));
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await redis.stop();
  });

  it('leaves its leases to the others, who requeue them on time, each once', async () => {
    const [doomed, survivor] = servers;
    assert.ok(doomed && survivor);
    const doomedClient = new BatonClient(doomed.grpcAddress);
    const survivorClient = new BatonClient(survivor.grpcAddress);
    try {
      const queues = Array.from({ length: 20 }, () => uniqueQueue('orphaned'));
      const ids = await Promise.all(queues.map(async (queue) => (await submit(doomedClient, { queue })).id));
      const claims = await Promise.all(
        queues.map((queue) => doomedClient.claimTasks({ queues: [queue], worker_id: 'w', lease_duration: duration(1_000) })),
      );
      const claimedAt = Date.now();
      // Its due times reach the shared index at its next tick (100 ms).
      await new Promise((resolve) => setTimeout(resolve, 300));
      doomed.child.kill('SIGKILL');
      assert.equal(claims.flatMap((claim) => claim.tasks).length, queues.length);
      const requeuedAt = await eventually(async () => {
        const tasks = await Promise.all(queues.map((queue, i) => getTask(survivorClient, queue, ids[i] ?? '')));
        return tasks.every((task) => task.state === 'TASK_STATE_PENDING') ? { at: Date.now(), tasks } : undefined;
      }, 10_000, 50);
      const lag = requeuedAt.at - (claimedAt + 1_000);
      assert.ok(lag < 1_000, `requeued ${lag}ms after the leases expired`);
      for (const task of requeuedAt.tasks) assert.equal(task.errors.length, 1, `${task.id} was requeued once`);
    } finally {
      doomedClient.close();
      survivorClient.close();
    }
  });
});

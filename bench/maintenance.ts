/**
 * What maintenance costs each replica: reap scripts and Redis round trips per replica per minute, with many queues
 * and several replicas on one Redis Cluster, first idle, then with a share of the queues falling due.
 *
 *   node --import tsx bench/maintenance.ts [--queues 10000] [--replicas 3] [--due-percent 1] [--seconds 30]
 *
 * Starts a throwaway 3-master cluster on free loopback ports, registers `queues` queues, and runs `replicas`
 * maintenance loops in this process, each with its own connection, paced as a server paces them (100 ms ticks, the
 * slow sweep every 5 minutes). Idle: nothing is due, only the sweep and the due-index polling run. Due: every second
 * `due-percent` of the queues are noted due by the replicas in turn (as the replica that granted a lease notes its
 * expiry). Counts come from each replica's own round trips (by script or command name) and, for the cluster as a
 * whole, from the masters' INFO commandstats.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Maintenance } from '../src/domain/maintenance.js';
import { createRedisClient } from '../src/store/redis.js';
import type { RedisClient } from '../src/store/redis.js';
import { RedisCalls } from '../src/store/redisCalls.js';
import { RedisQueueStore } from '../src/store/redisQueueStore.js';
import { RedisWorkerStore } from '../src/store/redisWorkerStore.js';
import { Keyspace } from '../src/store/keys.js';
import { startRedisCluster } from '../tools/redis/cluster.js';
import type { TestRedis } from '../tools/redis/cluster.js';
import { option, table } from './stats.js';

/** Counts a replica's round trips by operation. */
class CountingObserver {
  readonly counts = new Map<string, number>();

  time<T>(operation: string, call: () => Promise<T>): Promise<T> {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
    return call();
  }

  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
}

interface Replica {
  maintenance: Maintenance;
  observer: CountingObserver;
  client: RedisClient;
}

function startReplica(redis: TestRedis, keys: Keyspace): Replica {
  const client = createRedisClient(redis.config, 'baton-bench');
  const observer = new CountingObserver();
  const calls = new RedisCalls(client, 5_000, observer, undefined, keys);
  const store = new RedisQueueStore(calls, () => createRedisClient(redis.config, 'baton-bench-subscriber'));
  const maintenance = new Maintenance(store, new RedisWorkerStore(calls), {
    retentionMs: 86_400_000,
    workerRetentionMs: 86_400_000,
    tickMs: 100,
    maxIntervalMs: 300_000,
    batchLimit: 500,
    onError: (error) => {
      console.error('maintenance failed', error);
    },
  });
  maintenance.start();
  return { maintenance, observer, client };
}

async function commandsServed(redis: TestRedis): Promise<number> {
  const infos = await Promise.all(redis.masters.map((node) => node.client.info('commandstats')));
  return infos
    .flatMap((info) => [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)])
    .filter((match) => !['info', 'cluster', 'ping', 'client', 'command'].includes(match[1] ?? ''))
    .reduce((sum, match) => sum + Number(match[2]), 0);
}

interface Figures {
  reapsPerMinute: number[];
  roundTripsPerMinute: number[];
  clusterCommandsPerMinute: number;
}

async function measure(redis: TestRedis, replicas: Replica[], seconds: number, duringEachSecond: () => void): Promise<Figures> {
  const reapsBefore = replicas.map((r) => r.observer.counts.get('reap') ?? 0);
  const tripsBefore = replicas.map((r) => r.observer.total());
  const servedBefore = await commandsServed(redis);
  const started = Date.now();
  for (let second = 0; second < seconds; second++) {
    duringEachSecond();
    await sleep(started + (second + 1) * 1_000 - Date.now());
  }
  const perMinute = (n: number): number => Math.round((n * 60_000) / (Date.now() - started));
  const served = await commandsServed(redis);
  return {
    reapsPerMinute: replicas.map((r, i) => perMinute((r.observer.counts.get('reap') ?? 0) - (reapsBefore[i] ?? 0))),
    roundTripsPerMinute: replicas.map((r, i) => perMinute(r.observer.total() - (tripsBefore[i] ?? 0))),
    clusterCommandsPerMinute: perMinute(served - servedBefore),
  };
}

async function main(): Promise<void> {
  const queueCount = option('queues', 10_000);
  const replicaCount = option('replicas', 3);
  const duePercent = option('due-percent', 1);
  const seconds = option('seconds', 30);
  const redis = await startRedisCluster(3);
  const keys = new Keyspace('');
  try {
    const setup = createRedisClient(redis.config, 'baton-bench-setup');
    const names = Array.from({ length: queueCount }, (_, i) => `bench-${i}`);
    for (let i = 0; i < names.length; i += 1_000) await setup.sadd(keys.queues, ...names.slice(i, i + 1_000));
    setup.disconnect();

    const replicas = Array.from({ length: replicaCount }, () => startReplica(redis, keys));
    // The first ticks read the queue list; the sweep's pace settles after them.
    await sleep(3_000);
    const idle = await measure(redis, replicas, seconds, () => undefined);
    const duePerSecond = Math.round((queueCount * duePercent) / 100);
    let turn = 0;
    const due = await measure(redis, replicas, seconds, () => {
      const now = Date.now();
      for (let i = 0; i < duePerSecond; i++) {
        const queue = names[Math.floor(Math.random() * names.length)] ?? '';
        replicas[turn++ % replicas.length]?.maintenance.noteDue(queue, now + Math.floor(Math.random() * 1_000));
      }
    });
    await Promise.all(replicas.map((r) => r.maintenance.stop()));
    for (const r of replicas) r.client.disconnect();

    console.log(`maintenance: ${queueCount} queues, ${replicaCount} replicas, ${seconds} s per phase, per minute`);
    const row = (phase: string, f: Figures): string[] => [
      phase,
      f.reapsPerMinute.join(' / '),
      f.roundTripsPerMinute.join(' / '),
      String(Math.round(f.clusterCommandsPerMinute / replicaCount)),
    ];
    console.log(
      table(
        ['phase', 'reap scripts per replica', 'round trips per replica', 'Redis commands per replica (cluster total / replicas)'],
        [row('idle', idle), row(`${duePercent}% of queues due each second`, due)],
      ),
    );
  } finally {
    await redis.stop();
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePorts, startRedisServer } from './local.js';
import type { RedisConfig } from '../../src/store/redis.js';

/** A redis-server process of the test harness, on a free loopback port. */
export interface RedisNode {
  port: number;
  /** The cluster bus port (0 outside a cluster). */
  busPort: number;
  process: ChildProcess;
  client: Redis;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Every redis-server this process started, killed when it exits however it exits, so none is orphaned. */
const liveServers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveServers) child.kill('SIGKILL');
});

/** Starts one redis-server on `port` (and, in a cluster, its bus on `busPort`). */
async function startNode(dir: string, clusterEnabled: boolean, port: number, busPort = 0, extraArgs: readonly string[] = []): Promise<RedisNode> {
  const args: string[] = [];
  if (clusterEnabled) {
    args.push(
      '--cluster-enabled', 'yes',
      '--cluster-port', String(busPort),
      '--cluster-config-file', `nodes-${port}.conf`,
      '--cluster-node-timeout', '1000',
      // A node that has met no other node does not know its own address and would announce ''.
      '--cluster-announce-ip', '127.0.0.1',
      // Without this a replica waits 5 s before its first sync.
      '--repl-diskless-sync-delay', '0',
      '--cluster-replica-validity-factor', '0',
    );
  }
  const server = await startRedisServer(dir, port, [...args, ...extraArgs]);
  const child = server.process;
  liveServers.add(child);
  child.once('exit', () => liveServers.delete(child));
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  // A killed node's connection errors are expected: tests kill nodes on purpose.
  client.on('error', () => undefined);
  await client.ping();
  return {
    port,
    busPort,
    process: child,
    client,
    kill: async (signal = 'SIGKILL') => {
      client.disconnect();
      await server.stop(signal);
    },
  };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export interface TestRedis {
  config: RedisConfig;
  masters: RedisNode[];
  replicas: RedisNode[];
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** More redis-server arguments for the node on `port` (e.g. an AOF directory of its own). */
  nodeArgs?: (port: number) => readonly string[];
}

/**
 * A throwaway Redis Cluster: `masters` masters splitting the 16384 slots, each with `replicasPerMaster` replicas.
 * One master holding every slot is the fast default: still a real cluster that rejects cross-slot scripts.
 */
export async function startRedisCluster(masters = 1, replicasPerMaster = 0, options: ClusterOptions = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-test-cluster-'));
  const count = masters * (1 + replicasPerMaster);
  // Every port reserved at once, so nodes starting in parallel never race for the same one.
  const ports = await freePorts(count * 2);
  const nodes = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const port = ports[2 * i] ?? 0;
      return startNode(dir, true, port, ports[2 * i + 1] ?? 0, options.nodeArgs?.(port));
    }),
  );
  const masterNodes = nodes.slice(0, masters);
  const replicaNodes = nodes.slice(masters);
  const slotsPerMaster = Math.ceil(16384 / masters);
  await Promise.all(
    masterNodes.map((node, i) =>
      node.client.call('CLUSTER', 'ADDSLOTSRANGE', i * slotsPerMaster, Math.min(16383, (i + 1) * slotsPerMaster - 1)),
    ),
  );
  const first = nodes[0];
  if (!first) throw new Error('no nodes');
  await Promise.all(nodes.slice(1).map((node) => node.client.call('CLUSTER', 'MEET', '127.0.0.1', String(first.port), String(first.busPort))));
  const everyoneKnowsEveryone = async (): Promise<boolean> => {
    const views = await Promise.all(nodes.map((n) => n.client.call('CLUSTER', 'NODES') as Promise<string>));
    return views.every((view) => view.trim().split('\n').length === nodes.length && !view.includes('handshake'));
  };
  await waitFor('cluster nodes to meet', everyoneKnowsEveryone);
  for (const [i, replica] of replicaNodes.entries()) {
    const master = masterNodes[i % masters];
    if (!master) continue;
    const masterId = (await master.client.call('CLUSTER', 'MYID')) as string;
    await replica.client.call('CLUSTER', 'REPLICATE', masterId);
  }
  await waitFor('cluster_state:ok on every node', async () => {
    const infos = await Promise.all(nodes.map((n) => n.client.call('CLUSTER', 'INFO') as Promise<string>));
    return infos.every((info) => info.includes('cluster_state:ok'));
  });
  if (replicaNodes.length > 0) {
    await waitFor('replicas to sync', async () => {
      const infos = await Promise.all(replicaNodes.map((n) => n.client.info('replication')));
      return infos.every((info) => info.includes('master_link_status:up'));
    });
  }
  return {
    config: {
      clusterNodes: masterNodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
      tls: false,
      commandTimeoutMs: 2_000,
    },
    masters: masterNodes,
    replicas: replicaNodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A plain single Redis (no cluster), as a developer would run it. */
export async function startPlainRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-test-redis-'));
  const [port = 0] = await freePorts(1);
  const node = await startNode(dir, false, port);
  return {
    config: { url: `redis://127.0.0.1:${node.port}`, tls: false, commandTimeoutMs: 2_000 },
    masters: [node],
    replicas: [],
    stop: async () => {
      await node.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Redis flavour a suite runs against: BATON_TEST_REDIS=plain selects a single plain Redis. */
export async function startTestRedis(): Promise<TestRedis> {
  return process.env.BATON_TEST_REDIS === 'plain' ? startPlainRedis() : startRedisCluster();
}

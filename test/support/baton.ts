import { after, before } from 'node:test';
import { startBaton } from '../../src/app.js';
import type { Baton, StartOptions } from '../../src/app.js';
import { BatonClient } from '../../clients/typescript/src/client.js';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import type { RedisConfig } from '../../src/store/redis.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

export interface TestServer {
  baton: Baton;
  client: BatonClient;
  stop(): Promise<void>;
}

/**
 * A real Baton gRPC server on a free loopback port, with a real client connected to it. Its maintenance looks for
 * due work every 50 ms unless `start` says otherwise.
 */
export async function startTestServer(
  redis: RedisConfig,
  overrides: Partial<Config> = {},
  start: StartOptions = {},
): Promise<TestServer> {
  const config: Config = {
    grpcAddress: '127.0.0.1:0',
    metricsAddress: '127.0.0.1:0',
    redis,
    retentionMs: 24 * 3_600_000,
    maxPayloadBytes: 1_048_576,
    maxQueues: 10_000,
    logLevel: 'error',
    shutdownGraceMs: 2_000,
    workerLostAfterMs: 30_000,
    workerRetentionMs: 24 * 3_600_000,
    watchBufferMax: 10_000,
    ...overrides,
  };
  const baton = await startBaton(config, redis, silentLogger, { maintenanceTickMs: 50, ...start });
  const client = new BatonClient(baton.grpcAddress);
  return {
    baton,
    client,
    stop: async () => {
      client.close();
      await baton.stop();
    },
  };
}

let queueCounter = 0;
/** A queue name no other test uses. */
export function uniqueQueue(label: string): string {
  queueCounter += 1;
  return `${label}-${process.pid}-${queueCounter}`;
}

/** Polls until `check` passes or the time is up; for behaviour driven by leases and timers. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000, stepMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/** What useTestServer gives a describe block: valid from its before() on. */
export interface TestSetup {
  readonly redis: TestRedis;
  readonly server: TestServer;
  readonly client: BatonClient;
}

/**
 * A throwaway Redis (by default a one-master cluster) and a Baton server on it for the tests of the calling
 * describe block: started before them, stopped after them.
 */
export function useTestServer(
  startRedis: () => Promise<TestRedis> = () => startRedisCluster(),
  overrides: Partial<Config> = {},
  start: StartOptions = {},
): TestSetup {
  let redis: TestRedis | undefined;
  let server: TestServer | undefined;
  before(async () => {
    redis = await startRedis();
    server = await startTestServer(redis.config, overrides, start);
  });
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useTestServer: used before its before() hook ran');
    return value;
  };
  return {
    get redis() {
      return ready(redis);
    },
    get server() {
      return ready(server);
    },
    get client() {
      return ready(server).client;
    },
  };
}

/** What useReplicas gives a describe block: valid from its before() on. */
export interface ReplicasSetup {
  readonly redis: TestRedis;
  /** One server per entry of the overrides given, in that order. */
  readonly servers: readonly TestServer[];
}

/**
 * A throwaway 3-master Redis Cluster and several Baton servers on it (one per entry of `overrides`), for the tests
 * of the calling describe block: started before them, stopped after them.
 */
export function useReplicas(overrides: readonly Partial<Config>[]): ReplicasSetup {
  let redis: TestRedis | undefined;
  let servers: TestServer[] = [];
  before(async () => {
    redis = await startRedisCluster(3);
    const config = redis.config;
    servers = await Promise.all(overrides.map((override) => startTestServer(config, override)));
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await redis?.stop();
  });
  return {
    get redis() {
      if (redis === undefined) throw new Error('useReplicas: used before its before() hook ran');
      return redis;
    },
    get servers() {
      if (servers.length === 0) throw new Error('useReplicas: used before its before() hook ran');
      return servers;
    },
  };
}

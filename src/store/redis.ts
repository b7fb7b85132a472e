import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { defineScripts } from './scripts.js';

export type RedisClient = Redis | Cluster;

export interface RedisConfig {
  /** A single Redis, e.g. redis://127.0.0.1:6379/0. */
  url?: string;
  /** Seed nodes of a Redis Cluster. */
  clusterNodes?: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
  /** A command not answered within this time fails, so a dead node cannot hang a call. */
  commandTimeoutMs: number;
}

function nodeOptions(config: RedisConfig): RedisOptions {
  return {
    // No auto-pipelining: the server rarely has two commands for one connection in the same turn (a session's claim
    // and completions go in different turns on purpose), and ioredis builds a Pipeline per turn, copying every
    // defined script onto it. Without it the server used ~17% less CPU per task at one task in flight, and
    // dispatch p99 fell from ~8 to ~6 ms (bench/profile.ts, A/B).
    enableAutoPipelining: false,
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(config.password === undefined ? {} : { password: config.password }),
    ...(config.tls ? { tls: {} } : {}),
    commandTimeout: config.commandTimeoutMs,
    // Fail queued commands after a few reconnect attempts instead of holding calls while Redis is down.
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
  };
}

/** Creates the client for ordinary commands, with every Lua script defined. */
export function createRedisClient(config: RedisConfig, connectionName: string): RedisClient {
  const client = createBareClient(config, connectionName);
  defineScripts(client);
  return client;
}

/**
 * A client without scripts, for connections that block or subscribe: a blocking read must never hold up the
 * connection that carries normal commands.
 */
export function createBareClient(
  config: RedisConfig,
  connectionName: string,
  overrides: Partial<RedisOptions> = {},
): RedisClient {
  const options = { ...nodeOptions(config), connectionName, ...overrides };
  if (config.clusterNodes && config.clusterNodes.length > 0) {
    const clusterOptions: ClusterOptions = {
      redisOptions: options,
      enableAutoPipelining: false,
      slotsRefreshTimeout: 2_000,
      // A failover leaves the cluster briefly without a master for some slots; retry rather than fail calls.
      retryDelayOnClusterDown: 200,
      retryDelayOnFailover: 200,
      retryDelayOnTryAgain: 100,
      maxRedirections: 16,
    };
    return new Cluster(config.clusterNodes, clusterOptions);
  }
  return new Redis(config.url ?? 'redis://127.0.0.1:6379', options);
}

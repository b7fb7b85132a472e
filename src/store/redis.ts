import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { guardClusterSubscriber } from './clusterSubscriber.js';
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
  /** Replicas that must confirm a write (WAIT) before it is acknowledged; 0 or undefined for none. */
  replicaAcks?: number;
  /** How long a write waits for them (WAIT's timeout). */
  replicaAckTimeoutMs?: number;
}

function nodeOptions(config: RedisConfig): RedisOptions {
  return {
    // No auto-pipelining: the server rarely has two commands for one connection in the same turn (a session's claim
    // and completions go in different turns on purpose), and ioredis builds a Pipeline per turn, copying every
    // defined script onto it.
    enableAutoPipelining: false,
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(config.password === undefined ? {} : { password: config.password }),
    ...(config.tls ? { tls: {} } : {}),
    commandTimeout: config.commandTimeoutMs,
    // Fail queued commands after a few reconnect attempts instead of holding calls while Redis is down.
    maxRetriesPerRequest: 2,
    // A command sent on a connection that then closed may or may not have run: it fails (UNAVAILABLE) rather than
    // run a second time on the new connection (a claim run twice would strand the first lease).
    autoResendUnfulfilledCommands: false,
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
    const cluster = new Cluster(config.clusterNodes, clusterOptions);
    guardLateCommands(cluster, false);
    guardClusterSubscriber(cluster);
    // Nodes connect after the constructor returns: each is guarded as the pool adds it.
    cluster.on('+node', (node: Redis) => {
      guardLateCommands(node);
    });
    return cluster;
  }
  const redis = new Redis(config.url ?? 'redis://127.0.0.1:6379', options);
  guardLateCommands(redis);
  return redis;
}

/** What guardLateCommands needs of an ioredis Command. */
interface SentCommand {
  batonDeadline?: number;
  reject(error: Error): void;
  promise: Promise<unknown>;
}
/** ioredis's pipeline stream: `destination.redis` is the node it writes to, once chosen; its `stream` the socket. */
interface PipelineStream {
  isPipeline?: boolean;
  destination?: { redis?: { stream?: unknown } };
  write(data: string): unknown;
}
type SendCommand = (command: SentCommand, stream?: PipelineStream, node?: unknown) => unknown;

/** The deadline of the RedisCalls round trip whose commands are being created right now (see stampingDeadline). */
let currentDeadline: number | undefined;

/** Thrown (as ioredis errors are) for a command dropped because its caller had already been answered. */
export const LATE_COMMAND_MESSAGE = 'Command timed out before it was sent';

/**
 * Runs `call`, marking every command it creates synchronously (scripts, pipelines) with `deadline`: the time at
 * which the caller is answered UNAVAILABLE if Redis has not replied.
 */
export function stampingDeadline<T>(deadline: number, call: () => Promise<T>): Promise<T> {
  const outer = currentDeadline;
  currentDeadline = deadline;
  try {
    return call();
  } finally {
    currentDeadline = outer;
  }
}

/**
 * A command Baton gave up on is never sent afterwards. ioredis keeps commands in its offline queues (the client's
 * while a node reconnects, the cluster's while no node is ready) and retries them after CLUSTERDOWN, TRYAGAIN or a
 * closed connection; each of these paths ends in a node's sendCommand, the one place a command is written to a
 * socket. There, a command whose caller's deadline has passed is rejected instead of written. (A command already
 * written to a socket may still run later on a node that was frozen: see docs/operations.md.)
 */
function guardLateCommands(instance: Redis | Cluster, guardPipelines = true): void {
  const target = instance as unknown as { sendCommand: SendCommand };
  const send: SendCommand = target.sendCommand.bind(instance);
  target.sendCommand = (command, stream, node) => {
    if (command.batonDeadline === undefined && currentDeadline !== undefined) command.batonDeadline = currentDeadline;
    // A pipelined command reaches its node's guard next (the cluster picks the node): it is judged there.
    if (!guardPipelines && stream?.isPipeline) return send(command, stream, node);
    if (command.batonDeadline !== undefined && Date.now() >= command.batonDeadline) {
      command.reject(new Error(LATE_COMMAND_MESSAGE));
      // A pipeline writes its commands to its node's socket once all have been given to it: count this one as
      // given. Only with a socket: a node still connecting (after an outage) has none, and ioredis would throw
      // out of its offline queue and end the process. A pipeline's commands share one deadline: all late, none
      // is left to write.
      if (stream?.isPipeline && stream.destination?.redis?.stream) stream.write('');
      return command.promise;
    }
    return send(command, stream, node);
  };
}

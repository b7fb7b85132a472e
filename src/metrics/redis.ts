import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { BatonError, UnavailableError } from '../domain/errors.js';
import { REDIS_SECONDS_BUCKETS } from './buckets.js';

const ERROR_KINDS = ['connection', 'unavailable', 'unexpected'] as const;
type ErrorKind = (typeof ERROR_KINDS)[number];

/** What the metrics need of a Redis or Redis Cluster client from ioredis: its state and its events. */
export interface RedisConnection {
  readonly status: string;
  on(event: 'error' | 'node error', listener: () => void): unknown;
}

/**
 * The kind of a failed store call, or undefined when the call did not fail in Redis: a script that refuses
 * (NOT_FOUND, a stale lease token, ...) answers normally.
 */
export function errorKind(error: unknown): ErrorKind | undefined {
  if (error instanceof BatonError) return error.code === 'UNAVAILABLE' ? 'unavailable' : undefined;
  return 'unexpected';
}

/** Redis latency per script or command, errors by kind, and whether the client is connected. */
export class RedisMetrics {
  readonly seconds: Histogram<'operation'>;
  readonly errors: Counter<'kind'>;
  readonly unavailable: Counter<'cause'>;

  constructor(registry: Registry, connection: RedisConnection) {
    this.seconds = new Histogram({
      name: 'baton_redis_command_seconds',
      help: 'Time of one Redis call, by Lua script (submit, claim, ...) or command (smembers), failures included.',
      labelNames: ['operation'] as const,
      buckets: REDIS_SECONDS_BUCKETS,
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'baton_redis_errors_total',
      help:
        'Redis errors. kind="connection": the client lost or could not open a connection; "unavailable": a call ' +
        'failed because Redis was unreachable, timed out or the cluster was failing over; "unexpected": a call ' +
        'failed with an error reply or a reply Baton did not understand.',
      labelNames: ['kind'] as const,
      registers: [registry],
    });
    for (const kind of ERROR_KINDS) this.errors.inc({ kind }, 0);
    this.unavailable = new Counter({
      name: 'baton_redis_unavailable_total',
      help:
        'Redis calls that failed UNAVAILABLE, by cause: timeout, connection, noreplicas, masterdown, readonly, ' +
        'loading, clusterdown, tryagain, busy, moved, ask, unblocked, replica_ack_timeout (a write its replicas ' +
        'did not confirm in time).',
      labelNames: ['cause'] as const,
      registers: [registry],
    });
    for (const cause of ['timeout', 'connection', 'replica_ack_timeout']) this.unavailable.inc({ cause }, 0);
    new Gauge({
      name: 'baton_redis_connected',
      help: '1 while the Redis client is connected and ready for commands, else 0.',
      registers: [registry],
      collect() {
        this.set(connection.status === 'ready' ? 1 : 0);
      },
    });
    const onConnectionError = (): void => {
      this.errors.inc({ kind: 'connection' });
    };
    connection.on('error', onConnectionError);
    connection.on('node error', onConnectionError);
  }

  /** Times one Redis round trip as `operation` (a Lua script or a command) and counts its errors (see RedisCalls). */
  async time<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const stop = this.seconds.startTimer({ operation });
    try {
      return await this.countErrors(call);
    } finally {
      stop();
    }
  }

  async countErrors<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const kind = errorKind(error);
      if (kind !== undefined) this.errors.inc({ kind });
      if (error instanceof UnavailableError) this.unavailable.inc({ cause: error.reason });
      throw error;
    }
  }
}

import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { BatonError } from '../domain/errors.js';
import type { TaskStore } from '../domain/store.js';
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

  /** Times a store call as `operation` and counts its Redis errors. */
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
      throw error;
    }
  }
}

/** Methods that make no Redis round trip worth timing: long-lived subscriptions and readers. */
const UNTIMED: ReadonlySet<string> = new Set(['subscribeToWakeups', 'openEventReader']);
/** Answered from memory nearly always (each queue is remembered once per process): errors counted, not timed. */
const ERRORS_ONLY: ReadonlySet<string> = new Set(['rememberQueue']);

/** The operation label is the Lua file or Redis command a method runs, where that differs from its name. */
const OPERATION: Readonly<Record<string, string>> = { knownQueues: 'smembers', queueExists: 'sismember' };

type StoreMethod = (...args: unknown[]) => Promise<unknown>;

/**
 * The store with every Redis round trip timed under the name of its method (each is one script, named like its
 * Lua file, or one command), so a new store operation is instrumented without touching this file.
 */
export function instrumentStore(inner: TaskStore, metrics: RedisMetrics): TaskStore {
  const wrapped = new Map<string, StoreMethod>();
  return new Proxy(inner, {
    get(target, property, receiver): unknown {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      let wrapper = wrapped.get(property);
      if (!wrapper) {
        // Methods run on the store itself, never on the proxy: their own calls inside are not timed twice.
        const method = value as StoreMethod;
        wrapper = UNTIMED.has(property)
          ? (...args) => method.apply(target, args)
          : ERRORS_ONLY.has(property)
          ? (...args) => metrics.countErrors(() => method.apply(target, args))
          : (...args) => metrics.time(OPERATION[property] ?? property, () => method.apply(target, args));
        wrapped.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

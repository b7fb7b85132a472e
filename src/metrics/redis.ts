import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { BatonError } from '../domain/errors.js';
import type { ClaimOutcome, ClaimQuery, Completion, TaskView, HeartbeatUpdate, ItemOutcome, ListQuery, QueueStats, ReapOutcome, StartQuery, TaskStore } from '../domain/store.js';
import type {
  FailureReport,
  HeartbeatResult,
  ListTasksPage,
  NewTask,
  StartResult,
  SubmitResult,
  Task,
} from '../domain/task.js';
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

/** The store with every Redis round trip timed. Each method is one script (named as its Lua file) or command. */
export class InstrumentedTaskStore implements TaskStore {
  constructor(
    private readonly inner: TaskStore,
    private readonly metrics: RedisMetrics,
  ) {}

  submit(queue: string, tasks: NewTask[], returnTasks: boolean): Promise<SubmitResult[]> {
    return this.metrics.time('submit', () => this.inner.submit(queue, tasks, returnTasks));
  }

  get(queue: string, id: string): Promise<Task | undefined> {
    return this.metrics.time('get', () => this.inner.get(queue, id));
  }

  list(queue: string, query: ListQuery): Promise<ListTasksPage> {
    return this.metrics.time('list', () => this.inner.list(queue, query));
  }

  claim(queue: string, request: ClaimQuery): Promise<ClaimOutcome> {
    return this.metrics.time('claim', () => this.inner.claim(queue, request));
  }

  start(task: NewTask, request: StartQuery): Promise<StartResult> {
    return this.metrics.time('start', () => this.inner.start(task, request));
  }

  heartbeat(queue: string, id: string, leaseToken: string, update: HeartbeatUpdate): Promise<HeartbeatResult> {
    return this.metrics.time('heartbeat', () => this.inner.heartbeat(queue, id, leaseToken, update));
  }

  complete(queue: string, items: readonly Completion[], view: TaskView): Promise<ItemOutcome[]> {
    return this.metrics.time('complete', () => this.inner.complete(queue, items, view));
  }

  fail(queue: string, id: string, leaseToken: string, failure: FailureReport): Promise<Task> {
    return this.metrics.time('fail', () => this.inner.fail(queue, id, leaseToken, failure));
  }

  cancel(queue: string, id: string): Promise<Task> {
    return this.metrics.time('cancel', () => this.inner.cancel(queue, id));
  }

  retry(queue: string, id: string): Promise<Task> {
    return this.metrics.time('retry', () => this.inner.retry(queue, id));
  }

  reap(queue: string, limit: number, retentionMs: number): Promise<ReapOutcome> {
    return this.metrics.time('reap', () => this.inner.reap(queue, limit, retentionMs));
  }

  knownQueues(): Promise<string[]> {
    return this.metrics.time('smembers', () => this.inner.knownQueues());
  }

  /** Not timed: the store remembers each queue once per process, so nearly every call is answered from memory. */
  rememberQueue(queue: string): Promise<void> {
    return this.metrics.countErrors(() => this.inner.rememberQueue(queue));
  }

  queueStats(queue: string): Promise<QueueStats> {
    return this.metrics.time('stats', () => this.inner.queueStats(queue));
  }

  subscribeToWakeups(onWake: (queue: string) => void): Promise<() => Promise<void>> {
    return this.inner.subscribeToWakeups(onWake);
  }
}

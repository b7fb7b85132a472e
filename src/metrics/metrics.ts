import type * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import type { LifecycleObserver } from '../domain/observer.js';
import { HealthService, TaskServiceService, WorkerServiceService } from '../transport/grpc/contract.js';
import type { Logger } from '../log.js';
import { registerDefaultMetrics } from './defaults.js';
import { GrpcMetrics } from './grpc.js';
import { QueueGauges } from './queueGauges.js';
import type { QueueStatsSource } from './queueGauges.js';
import { RedisMetrics } from './redis.js';
import { ScheduleMetrics } from './schedules.js';
import type { RedisConnection } from './redis.js';
import { TaskMetrics } from './tasks.js';

/** How long one read of the queue gauges from Redis serves scrapes. */
export const QUEUE_STATS_CACHE_MS = 2_000;

export interface MetricsOptions {
  /** Queues that get a `queue` label value of their own; events of the rest count under queue="_other". */
  maxQueues: number;
  /** The Redis client the store uses, watched for its connection state and errors. */
  redis: RedisConnection;
  log: Logger;
  queueStatsCacheMs?: number;
}

/** Baton's Prometheus metrics, in a registry of their own, and the hooks that feed them. */
export interface BatonMetrics {
  registry: Registry;
  /** Times each Redis round trip and counts its errors: give it to the store's Redis calls. */
  redis: RedisMetrics;
  /** Counts task events; pass it to the lifecycle and maintenance. */
  observer: LifecycleObserver;
  /** Counts schedule ticks; pass it to the schedule runner. */
  schedules: ScheduleMetrics;
  /** Install on the gRPC server: counts and times every call. */
  grpcInterceptor: grpc.ServerInterceptor;
  /** Adds the queue depth gauges, read from `source` when scraped; a worker seen within `liveWindowMs` is live. */
  gaugeQueues(source: QueueStatsSource, liveWindowMs: number): void;
}

export function createMetrics(options: MetricsOptions): BatonMetrics {
  const { log } = options;
  const registry = new Registry();
  registerDefaultMetrics(registry);

  const grpcMetrics = new GrpcMetrics(registry);
  grpcMetrics.initialize([TaskServiceService, WorkerServiceService, HealthService]);

  const redis = new RedisMetrics(registry, options.redis);
  const tasks = new TaskMetrics(registry, options.maxQueues, (queue) => {
    log.warn('metrics: more queues than BATON_METRICS_MAX_QUEUES; further queues are counted as queue="_other"', {
      maxQueues: options.maxQueues,
      queue,
    });
  });
  const cacheMs = options.queueStatsCacheMs ?? QUEUE_STATS_CACHE_MS;
  const gaugeQueues = (source: QueueStatsSource, liveWindowMs: number): void => {
    new QueueGauges(registry, source, tasks.queues, cacheMs, liveWindowMs, (error) => {
      log.warn('metrics: reading queue gauges from Redis failed; they are left out until a read succeeds', {
        error: error instanceof Error ? error.message : String(error),
      });
    });
  };

  const schedules = new ScheduleMetrics(registry, tasks.queues);
  return { registry, redis, observer: tasks, schedules, grpcInterceptor: grpcMetrics.interceptor, gaugeQueues };
}

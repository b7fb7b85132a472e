import { setMaxListeners } from 'node:events';
import { DEFAULT_METRICS_MAX_QUEUES } from './config.js';
import type { Config } from './config.js';
import { Lifecycle } from './domain/lifecycle.js';
import { Maintenance } from './domain/maintenance.js';
import { QueueAdmin } from './domain/queues.js';
import { WorkerRegistry } from './domain/workers.js';
import { EVENT_READ_BLOCK_MS, EventHub } from './domain/events.js';
import { Updates } from './domain/updates.js';
import { startGrpcServer } from './grpc/server.js';
import type { Logger } from './log.js';
import { startMetricsServer } from './metrics/httpServer.js';
import { createMetrics } from './metrics/metrics.js';
import { createBareClient, createRedisClient } from './store/redis.js';
import type { RedisClient, RedisConfig } from './store/redis.js';
import { RedisTaskStore } from './store/redisTaskStore.js';

export interface Baton {
  /** host:port the gRPC server listens on. */
  grpcAddress: string;
  /** host:port of the Prometheus /metrics endpoint. */
  metricsAddress: string;
  /** Graceful: stop accepting, end long polls, let calls in flight finish (up to the grace), close Redis. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Maintenance pacing; tests shorten it. */
  maintenanceTickMs?: number;
  /** How often every queue is reaped even when this replica knows of nothing due in it (default 10 s). */
  maintenanceMaxIntervalMs?: number;
}

async function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs}ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}

/** Wires store → domain → transport and starts serving. */
export async function startBaton(config: Config, redisConfig: RedisConfig, log: Logger, options: StartOptions = {}): Promise<Baton> {
  const client = createRedisClient(redisConfig, 'baton');
  let redisErrorLogged = false;
  client.on('error', (error: Error) => {
    // ioredis retries on its own; log once per outage rather than once per attempt.
    if (!redisErrorLogged) log.warn('redis connection error', { error: error.message });
    redisErrorLogged = true;
  });
  client.on('ready', () => {
    redisErrorLogged = false;
  });
  await waitUntilReady(client, 10_000);

  const metrics = createMetrics({
    maxQueues: config.metricsMaxQueues ?? DEFAULT_METRICS_MAX_QUEUES,
    redis: client,
    store: new RedisTaskStore(
      client,
      // Blocking event reads wait up to EVENT_READ_BLOCK_MS: their connections get that much more time.
      (purpose) =>
        purpose === 'events'
          ? createBareClient(redisConfig, 'baton-events', {
              commandTimeout: redisConfig.commandTimeoutMs + EVENT_READ_BLOCK_MS,
            })
          : createBareClient(redisConfig, 'baton-subscriber'),
      redisConfig.commandTimeoutMs,
    ),
    liveWindowMs: config.workerLostAfterMs,
    log,
  });
  const store = metrics.store;
  const workers = new WorkerRegistry(store, config.workerLostAfterMs, (error) => {
    log.warn('worker registry update failed', { error: error instanceof Error ? error.message : String(error) });
  });
  const queues = new QueueAdmin(store, config.workerLostAfterMs);
  const maintenance = new Maintenance(store, {
    retentionMs: config.retentionMs,
    workerRetentionMs: config.workerRetentionMs,
    tickMs: options.maintenanceTickMs ?? 100,
    // Due times this replica creates are noted as they are made; this catches those of a replica that died.
    maxIntervalMs: options.maintenanceMaxIntervalMs ?? 10_000,
    batchLimit: 500,
    observer: metrics.observer,
    onError: (error) => {
      log.warn('maintenance pass failed', { error: error instanceof Error ? error.message : String(error) });
    },
  });
  const lifecycle = new Lifecycle(store, {
    maxPayloadBytes: config.maxPayloadBytes,
    observer: metrics.observer,
    workers,
    dueTimes: maintenance,
  });
  const unsubscribe = await store.subscribeToWakeups((queue) => {
    lifecycle.wakeBoard.ring(queue);
  });
  maintenance.start();
  const events = new EventHub(store, (error) => {
    log.warn('reading an event stream failed; retrying', { error: error instanceof Error ? error.message : String(error) });
  });
  const updates = new Updates(store, events, lifecycle, config.workerLostAfterMs);
  const draining = new AbortController();
  // Every open WatchTasks stream listens for the drain.
  setMaxListeners(0, draining.signal);
  const server = await startGrpcServer(
    config.grpcAddress,
    { lifecycle, queues, workers, updates, shutdown: draining.signal, watchBufferMax: config.watchBufferMax },
    log,
    [metrics.grpcInterceptor],
  );
  const metricsServer = await startMetricsServer(config.metricsAddress, metrics.registry, log);
  log.info('baton serving', { grpc: server.address, metrics: metricsServer.address });

  return {
    grpcAddress: server.address,
    metricsAddress: metricsServer.address,
    stop: async () => {
      lifecycle.close();
      draining.abort();
      await server.shutdown(config.shutdownGraceMs);
      events.close();
      await maintenance.stop();
      await unsubscribe();
      await client.quit().catch(() => undefined);
      await metricsServer.close();
      log.info('baton stopped');
    },
  };
}

import { setMaxListeners } from 'node:events';
import { DEFAULT_METRICS_MAX_QUEUES, isOpenAccess, pageTokenKey, settingHint } from './config.js';
import type { Config } from './config.js';
import { Lifecycle } from './domain/lifecycle.js';
import { Maintenance } from './domain/maintenance.js';
import { QueueAdmin } from './domain/queues.js';
import { ScheduleRunner } from './domain/scheduleRunner.js';
import { lifecycleTasks, Schedules } from './domain/schedules.js';
import { PageTokens } from './domain/pageToken.js';
import { ReportingTaskStore } from './domain/reporting.js';
import { PartitionDirectory, observingQueues } from './domain/partitions.js';
import { PartitionedLogStore } from './domain/partitionedLogs.js';
import { PartitionedQueueStore } from './domain/partitionedQueues.js';
import { PartitionedTaskStore } from './domain/partitionedTasks.js';
import { FlowRepair } from './domain/flowRepair.js';
import { FLOW_CHILD_GRACE_MS } from './domain/limits.js';
import { Flows } from './domain/flows.js';
import type { Task } from './domain/task.js';
import { WorkerRegistry } from './domain/workers.js';
import { EventHub } from './domain/events.js';
import { TaskLogs } from './domain/taskLogs.js';
import { Updates } from './domain/updates.js';
import { startGrpcServer, startHealthServer } from './transport/grpc/server.js';
import { accessInterceptor } from './transport/grpc/access.js';
import { ReloadingServerCredentials } from './transport/grpc/tls.js';
import { PrincipalsFile } from './auth/principalsFile.js';
import type { Logger } from './log.js';
import { startMetricsServer } from './metrics/httpServer.js';
import { startDashboardServer } from './dashboard/server.js';
import { EventHistory } from './domain/history.js';
import { createMetrics } from './metrics/metrics.js';
import { createBareClient, createRedisClient } from './store/redis.js';
import type { RedisClient, RedisConfig } from './store/redis.js';
import { Keyspace } from './store/keys.js';
import { RedisCalls } from './store/redisCalls.js';
import { QueueRegistry } from './store/queueRegistry.js';
import { RedisLogStore } from './store/redisLogStore.js';
import { RedisQueueStore } from './store/redisQueueStore.js';
import { RedisScheduleStore } from './store/redisScheduleStore.js';
import { RedisTaskStore } from './store/redisTaskStore.js';
import { RedisFlowStore } from './store/redisFlowStore.js';
import { RedisWorkerStore } from './store/redisWorkerStore.js';
import type { ReapOutcome } from './domain/store.js';
import { tracingInterceptor } from './tracing/grpcSpans.js';

export interface Baton {
  /** host:port the gRPC server listens on. */
  grpcAddress: string;
  /** host:port of the Prometheus /metrics endpoint; undefined when metrics are off. */
  metricsAddress: string | undefined;
  /** host:port of the web dashboard; undefined when it is off. */
  dashboardAddress: string | undefined;
  /** host:port of the plaintext health listener; undefined when it is off. */
  healthAddress?: string | undefined;
  /** Graceful: stop accepting, end long polls, let calls in flight finish (up to the grace), close Redis. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Maintenance pacing; tests shorten it. */
  maintenanceTickMs?: number;
  /** Every known queue is reaped once per this interval, spread over it, due or not (default 5 minutes). */
  maintenanceMaxIntervalMs?: number;
  /** How long a flow's parent waits before maintenance checks that its children were stored (FLOW_CHILD_GRACE_MS). */
  flowChildGraceMs?: number;
  /** How often due schedules are looked for (default 200 ms). */
  scheduleTickMs?: number;
  /** How long a replica keeps hearing of new events after its last watcher left (default FOLLOW_LINGER_MS). */
  eventFollowLingerMs?: number;
  /** WatchTasks streams one principal may hold open (default WATCHES_PER_PRINCIPAL_MAX). */
  watchesPerPrincipalMax?: number;
  /** How often the tokens file and TLS files are checked for changes (default 1 s); tests shorten it. */
  reloadPollMs?: number;
  /** Where the dashboard's built client script is (default: next to the compiled dashboard); tests build their own. */
  dashboardAssetsDir?: string;
}

/** A start-up failure the user can fix: main prints its message as one line, without a stack. */
export class StartupError extends Error {}

/** Why a listener could not bind, in words, and which setting moves it. */
function listenError(what: string, address: string, setting: 'grpcAddress' | 'metricsAddress' | 'dashboardAddress' | 'healthAddress', error: unknown): StartupError {
  const message = error instanceof Error ? error.message : String(error);
  const reason = /EADDRINUSE/.test(message)
    ? 'the address is in use'
    : /EACCES/.test(message)
      ? 'permission denied'
      : /EADDRNOTAVAIL/.test(message)
        ? 'no such local address'
        : message;
  return new StartupError(`cannot listen for ${what} on ${address} (${reason}): choose another address with ${settingHint(setting)}`);
}

/** Where the client connects, without credentials. */
function redisTarget(config: RedisConfig): string {
  if (config.clusterNodes && config.clusterNodes.length > 0) return config.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',');
  try {
    const url = new URL(config.url ?? 'redis://127.0.0.1:6379');
    return url.host;
  } catch {
    return 'the configured URL';
  }
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

interface Security {
  principals: PrincipalsFile | undefined;
  credentials: ReloadingServerCredentials | undefined;
  stop(): void;
}

/** Loads the tokens file and TLS files (before Redis: a mistake in them should fail fast) and says how open Baton is. */
function loadSecurity(config: Config, log: Logger, pollMs: number): Security {
  let principals: PrincipalsFile | undefined;
  let credentials: ReloadingServerCredentials | undefined;
  try {
    principals = config.authTokensFile === undefined ? undefined : new PrincipalsFile(config.authTokensFile, log, pollMs);
    credentials = config.tls === undefined ? undefined : new ReloadingServerCredentials(config.tls, log, pollMs);
  } catch (error) {
    principals?.stop();
    const setting = principals === undefined && config.authTokensFile !== undefined ? 'authTokensFile' : 'tlsCert';
    throw new StartupError(`${error instanceof Error ? error.message : String(error)}: check ${settingHint(setting)}`);
  }
  if (isOpenAccess(config)) {
    log.warn('open access: no --auth-tokens-file or --tls-client-ca, so any client that reaches the gRPC port may do anything', {
      grpc: config.grpcAddress,
    });
  } else if (principals !== undefined && credentials === undefined) {
    log.warn('bearer tokens travel in plaintext: set --tls-cert and --tls-key, or terminate TLS in front of Baton');
  }
  return {
    principals,
    credentials,
    stop: () => {
      principals?.stop();
      credentials?.stop();
    },
  };
}

/** Wires store → domain → transport and starts serving. */
export async function startBaton(config: Config, redisConfig: RedisConfig, log: Logger, options: StartOptions = {}): Promise<Baton> {
  const security = loadSecurity(config, log, options.reloadPollMs ?? 1_000);
  const client = createRedisClient(redisConfig, 'baton');
  // Until Redis is first ready, an error is reported by the start-up failure, not logged.
  let warnOnError = false;
  let lastRedisError: string | undefined;
  client.on('error', (error: Error) => {
    lastRedisError = error.message;
    // ioredis retries on its own; log once per outage rather than once per attempt.
    if (warnOnError) log.warn('redis connection error', { error: error.message });
    warnOnError = false;
  });
  client.on('ready', () => {
    warnOnError = true;
  });
  for (const state of ['connect', 'ready', 'close', 'reconnecting', 'end'] as const) {
    client.on(state, () => {
      log.debug(`redis ${state}`, { redis: redisTarget(redisConfig) });
    });
  }
  await waitUntilReady(client, 10_000).catch(() => {
    client.disconnect();
    security.stop();
    const why = lastRedisError === undefined ? '' : ` (${lastRedisError})`;
    const setting = redisConfig.clusterNodes ? 'redisCluster' : 'redisUrl';
    throw new StartupError(`cannot reach Redis at ${redisTarget(redisConfig)}${why} within 10s: check ${settingHint(setting)}`);
  });

  // Metrics first: every Redis round trip of the stores is timed by them.
  const metrics = createMetrics({ maxQueues: config.metricsMaxQueues ?? DEFAULT_METRICS_MAX_QUEUES, redis: client, log });
  const redis = new RedisCalls(client, redisConfig.commandTimeoutMs, metrics.redis, {
    replicas: redisConfig.replicaAcks ?? 0,
    timeoutMs: redisConfig.replicaAckTimeoutMs ?? 1_000,
  }, new Keyspace(config.namespace));
  await redis.clock.measure();
  const queueRegistry = new QueueRegistry(redis, config.maxQueues);
  // Maintenance works on each partition of a queue as a queue of its own (partitionStore); everything else sees
  // each queue once, by name (queueStore, taskStore: see domain/partitions.ts).
  const partitionStore = new RedisQueueStore(redis, () => createBareClient(redisConfig, 'baton-subscriber'), queueRegistry);
  const partitions = new PartitionDirectory(partitionStore);
  const queueStore = new PartitionedQueueStore(partitionStore, partitions);
  const observer = observingQueues(metrics.observer);
  const logs = new TaskLogs(
    new PartitionedLogStore(new RedisLogStore(redis, () => createBareClient(redisConfig, 'baton-log-subscriber')), {
      onTask: (queue, id, call) => taskStore.onTask(queue, id, call),
    }),
  );
  const workerStore = new RedisWorkerStore(redis);
  metrics.gaugeQueues(queueStore, config.workerLostAfterMs);

  const pageTokens = new PageTokens(pageTokenKey({ ...config, redis: redisConfig }));
  /** Logs a failure of background work that is retried, or made up for, on its own. */
  const warnAndGoOn =
    (what: string) =>
    (error: unknown): void => {
      log.warn(what, { error: error instanceof Error ? error.message : String(error) });
    };
  const workers = new WorkerRegistry(workerStore, config.workerLostAfterMs, warnAndGoOn('worker registry update failed'), pageTokens);
  const queues = new QueueAdmin(queueStore, config.workerLostAfterMs, pageTokens);
  // Flows tell parents through their own store; their cancels and reads go through the reporting task store below.
  const flowStore = new RedisFlowStore(redis, queueRegistry);
  const flowTasks = {
    cancel: (queue: string, id: string): Promise<Task> => taskStore.cancel(queue, id),
    get: (queue: string, id: string): Promise<Task | undefined> => taskStore.get(queue, id),
    partitionCount: async (queue: string): Promise<number> => (await partitions.of(queue)).addresses.length,
  };
  const childGraceMs = options.flowChildGraceMs ?? FLOW_CHILD_GRACE_MS;
  const flows: Flows = new Flows(
    flowStore,
    flowTasks,
    {
      maxPayloadBytes: config.maxPayloadBytes,
      onError: warnAndGoOn('telling a parent of its child failed; maintenance retries'),
    },
  );
  const maintenance: Maintenance = new Maintenance(partitionStore, workerStore, {
    outbox: flows,
    flowRepair: new FlowRepair(flowStore, flowTasks, childGraceMs, flows),
    childGraceMs,
    retentionMs: config.retentionMs,
    workerRetentionMs: config.workerRetentionMs,
    tickMs: options.maintenanceTickMs ?? 100,
    // Due times are shared as they are made; the slow sweep catches those a replica died before sharing.
    maxIntervalMs: options.maintenanceMaxIntervalMs ?? 300_000,
    batchLimit: 500,
    observer,
    ...(log.enabled('debug')
      ? {
          onReaped: (queue: string, outcome: ReapOutcome) => {
            const { leasesExpired, leasesExhausted, leasesCancelled, tasksExpired, tasksPromoted, tasksDeleted } = outcome;
            if (leasesExpired + tasksExpired + tasksPromoted + tasksDeleted === 0) return;
            log.debug('reaped', { queue, leasesExpired, leasesExhausted, leasesCancelled, tasksExpired, tasksPromoted, tasksDeleted });
          },
        }
      : {}),
    onError: warnAndGoOn('maintenance pass failed'),
  });
  // Every change the lifecycle makes is reported at this one seam: to the metrics, and its due time to maintenance.
  const reporting = new ReportingTaskStore(new RedisTaskStore(redis, queueRegistry), { observer, dueTimes: maintenance, children: flows });
  const taskStore: PartitionedTaskStore = new PartitionedTaskStore(reporting, partitions);
  const lifecycle = new Lifecycle(taskStore, { maxPayloadBytes: config.maxPayloadBytes, workers, pageTokens });
  const scheduleStore = new RedisScheduleStore(redis);
  const schedules = new Schedules(scheduleStore, lifecycleTasks(lifecycle), config.maxPayloadBytes, pageTokens);
  const scheduleRunner = new ScheduleRunner(scheduleStore, lifecycleTasks(lifecycle), {
    tickMs: options.scheduleTickMs ?? 200,
    batchLimit: 100,
    observer: metrics.schedules,
    onError: (error, schedule) => {
      log.warn('firing a schedule failed; retrying', {
        ...(schedule ? { queue: schedule.queue, schedule: schedule.id } : {}),
        error: error instanceof Error ? error.message : String(error),
      });
    },
  });
  // One subscriber connection tells this replica of wake-ups, and of new events on every queue while it has watchers.
  const changes = await queueStore.subscribeToChanges({
    wake: (queue) => {
      lifecycle.wakeBoard.ring(queue);
    },
    // Notices reach the hub only once it follows them (below), so it exists by the time any arrives.
    eventsAdded: (queue) => {
      events.eventsAdded(queue);
    },
    resubscribed: () => {
      lifecycle.wakeBoard.sweep();
      events.pokeAll();
    },
  });
  const events = new EventHub(
    queueStore,
    warnAndGoOn('reading an event stream failed; retrying'),
    (following) => changes.followEvents(following),
    options.eventFollowLingerMs,
  );
  lifecycle.wakeBoard.startSweeping();
  maintenance.start();
  scheduleRunner.start();
  const updates = new Updates(queueStore, events, lifecycle, config.workerLostAfterMs, (queue, withinMs) =>
    workers.servesQueue(queue, withinMs),
  );
  const draining = new AbortController();
  // Every open WatchTasks stream listens for the drain.
  setMaxListeners(0, draining.signal);
  /** Undoes what started above, when a listener cannot start. */
  const abandon = async (): Promise<void> => {
    lifecycle.close();
    lifecycle.wakeBoard.stopSweeping();
    draining.abort();
    events.close();
    await scheduleRunner.stop();
    await maintenance.stop();
    await changes.close();
    await logs.close();
    client.disconnect();
    security.stop();
  };
  const { principals } = security;
  const server = await startGrpcServer(
    config.grpcAddress,
    { lifecycle, queues, workers, updates, logs, schedules, flows, shutdown: draining.signal, watchBufferMax: config.watchBufferMax },
    log,
    {
      ...(security.credentials ? { credentials: security.credentials } : {}),
      reflection: config.reflection ?? true,
      maxPayloadBytes: config.maxPayloadBytes,
      observers: [metrics.grpcInterceptor, tracingInterceptor()],
      interceptors: principals ? [accessInterceptor(() => principals.current, log, options.watchesPerPrincipalMax)] : [],
    },
  ).catch(async (error: unknown) => {
    await abandon();
    throw listenError('gRPC', config.grpcAddress, 'grpcAddress', error);
  });
  const { healthAddress } = config;
  const healthServer =
    healthAddress === undefined
      ? undefined
      : await startHealthServer(healthAddress, server.health).catch(async (error: unknown) => {
          await server.shutdown(0);
          await abandon();
          throw listenError('health checks', healthAddress, 'healthAddress', error);
        });
  const { metricsAddress } = config;
  const metricsServer =
    metricsAddress === undefined
      ? undefined
      : await startMetricsServer(metricsAddress, metrics.registry, log).catch(async (error: unknown) => {
          await server.shutdown(0);
          await healthServer?.shutdown(0);
          await abandon();
          throw listenError('metrics', metricsAddress, 'metricsAddress', error);
        });
  const { dashboardAddress } = config;
  const dashboard =
    dashboardAddress === undefined
      ? undefined
      : await startDashboardServer(
          dashboardAddress,
          { lifecycle, queues, workers, updates, logs, schedules, flows, history: new EventHistory(queueStore) },
          {
            principals: principals ? () => principals.current : undefined,
            ...(options.dashboardAssetsDir === undefined ? {} : { assetsDir: options.dashboardAssetsDir }),
          },
          log,
        ).catch(async (error: unknown) => {
          await server.shutdown(0);
          await healthServer?.shutdown(0);
          await metricsServer?.close();
          await abandon();
          throw listenError('the dashboard', dashboardAddress, 'dashboardAddress', error);
        });
  log.info('baton serving', { grpc: server.address, ...(healthServer ? { health: healthServer.address } : {}), metrics: metricsServer?.address ?? 'off', dashboard: dashboard?.address ?? 'off', ...(config.namespace === undefined ? {} : { namespace: config.namespace }) });

  return {
    grpcAddress: server.address,
    metricsAddress: metricsServer?.address,
    dashboardAddress: dashboard?.address,
    healthAddress: healthServer?.address,
    stop: async () => {
      await scheduleRunner.stop();
      lifecycle.close();
      lifecycle.wakeBoard.stopSweeping();
      draining.abort();
      // Its live pages hold watches: they end before the event readers stop.
      await dashboard?.close();
      await server.shutdown(config.shutdownGraceMs);
      // Probes hear NOT_SERVING here until the main server is gone.
      await healthServer?.shutdown(1_000);
      events.close();
      await maintenance.stop();
      await changes.close();
      await logs.close();
      await client.quit().catch(() => undefined);
      await metricsServer?.close();
      security.stop();
      log.info('baton stopped');
    },
  };
}

import type { LogLevel } from './log.js';
import type { RedisConfig } from './store/redis.js';

export interface Config {
  grpcAddress: string;
  metricsAddress: string;
  /** Queues with a `queue` metrics label of their own (default DEFAULT_METRICS_MAX_QUEUES). */
  metricsMaxQueues?: number;
  /** Undefined: no Redis configured, start a local redis-server for development. */
  redis: RedisConfig | undefined;
  retentionMs: number;
  maxPayloadBytes: number;
  logLevel: LogLevel;
  shutdownGraceMs: number;
  /** A worker not seen for this long is reported lost. */
  workerLostAfterMs: number;
  /** Events a WatchTasks stream may fall behind by before it is ended. */
  watchBufferMax: number;
  /** A worker not seen for this long is forgotten. */
  workerRetentionMs: number;
}

interface Setting {
  flag: string;
  env: string;
  help: string;
}

const SETTINGS = {
  grpcAddress: { flag: '--grpc-addr', env: 'BATON_GRPC_ADDR', help: 'gRPC listen address (default 0.0.0.0:50051)' },
  metricsAddress: {
    flag: '--metrics-addr',
    env: 'BATON_METRICS_ADDR',
    help: 'Prometheus /metrics listen address (default 0.0.0.0:9464)',
  },
  metricsMaxQueues: {
    flag: '--metrics-max-queues',
    env: 'BATON_METRICS_MAX_QUEUES',
    help: 'queues with their own metrics label; the rest count as queue="_other" (default 1000)',
  },
  redisUrl: { flag: '--redis-url', env: 'BATON_REDIS_URL', help: 'single Redis, e.g. redis://127.0.0.1:6379/0' },
  redisCluster: {
    flag: '--redis-cluster',
    env: 'BATON_REDIS_CLUSTER',
    help: 'Redis Cluster seed nodes, host:port,host:port',
  },
  redisUsername: { flag: '--redis-username', env: 'BATON_REDIS_USERNAME', help: 'Redis ACL user name' },
  redisPassword: { flag: '--redis-password', env: 'BATON_REDIS_PASSWORD', help: 'Redis password (prefer the env)' },
  redisTls: { flag: '--redis-tls', env: 'BATON_REDIS_TLS', help: 'true to connect to Redis over TLS' },
  redisCommandTimeout: {
    flag: '--redis-command-timeout',
    env: 'BATON_REDIS_COMMAND_TIMEOUT',
    help: 'a Redis command not answered in this time fails (default 5s)',
  },
  retention: { flag: '--retention', env: 'BATON_RETENTION', help: 'how long finished tasks are kept (default 24h)' },
  maxPayloadBytes: {
    flag: '--max-payload-bytes',
    env: 'BATON_MAX_PAYLOAD_BYTES',
    help: 'largest payload or result accepted (default 1048576)',
  },
  logLevel: { flag: '--log-level', env: 'BATON_LOG_LEVEL', help: 'debug, info, warn or error (default info)' },
  workerLostAfter: {
    flag: '--worker-lost-after',
    env: 'BATON_WORKER_LOST_AFTER',
    help: 'a worker not seen for this long is reported lost (default 30s)',
  },
  watchBufferMax: {
    flag: '--watch-buffer-max',
    env: 'BATON_WATCH_BUFFER_MAX',
    help: 'events a WatchTasks stream may fall behind by before it is ended (default 10000)',
  },
  workerRetention: {
    flag: '--worker-retention',
    env: 'BATON_WORKER_RETENTION',
    help: 'a worker not seen for this long is forgotten (default 24h)',
  },
  shutdownGrace: {
    flag: '--shutdown-grace',
    env: 'BATON_SHUTDOWN_GRACE',
    help: 'on SIGTERM, how long calls in flight may finish (default 25s)',
  },
} satisfies Record<string, Setting>;

export function usage(): string {
  const lines = Object.values(SETTINGS).map((s) => `  ${`${s.flag} <value>`.padEnd(34)} ${s.env.padEnd(28)} ${s.help}`);
  return [
    'Usage: baton-server [options]',
    '',
    'Each option can also be set by its environment variable; a flag wins over the variable.',
    'With neither --redis-url nor --redis-cluster, Baton starts its own redis-server in a temporary directory.',
    '',
    ...lines,
    `  ${'--help'.padEnd(34)} ${''.padEnd(28)} show this help`,
  ].join('\n');
}

export class ConfigError extends Error {}

export const DEFAULT_METRICS_MAX_QUEUES = 1000;

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: string, name: string): number {
  const match = DURATION.exec(value.trim());
  if (!match) throw new ConfigError(`${name}: "${value}" is not a duration like 500ms, 30s, 5m, 24h or 7d`);
  return Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1);
}

function parseClusterNodes(value: string): { host: string; port: number }[] {
  return value.split(',').map((entry) => {
    const at = entry.trim().lastIndexOf(':');
    const port = Number(entry.trim().slice(at + 1));
    if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new ConfigError(`BATON_REDIS_CLUSTER: "${entry}" is not host:port`);
    }
    return { host: entry.trim().slice(0, at), port };
  });
}

function parsePositiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name}: "${value}" is not a positive integer`);
  return n;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Reads the configuration from flags and environment. Throws ConfigError with a message naming the setting. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Config {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag = '', inline] = arg.split(/=(.*)/s, 2);
    if (!Object.values(SETTINGS).some((s) => s.flag === flag)) throw new ConfigError(`unknown option ${arg}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    flags.set(flag, value);
  }
  const get = (setting: Setting): string | undefined => flags.get(setting.flag) ?? env[setting.env];

  const url = get(SETTINGS.redisUrl);
  const cluster = get(SETTINGS.redisCluster);
  if (url && cluster) throw new ConfigError('set only one of BATON_REDIS_URL and BATON_REDIS_CLUSTER');
  const username = get(SETTINGS.redisUsername);
  const password = get(SETTINGS.redisPassword);
  const redis: RedisConfig | undefined =
    url || cluster
      ? {
          ...(url ? { url } : {}),
          ...(cluster ? { clusterNodes: parseClusterNodes(cluster) } : {}),
          ...(username ? { username } : {}),
          ...(password ? { password } : {}),
          tls: get(SETTINGS.redisTls) === 'true',
          commandTimeoutMs: parseDuration(get(SETTINGS.redisCommandTimeout) ?? '5s', 'BATON_REDIS_COMMAND_TIMEOUT'),
        }
      : undefined;

  const logLevel = (get(SETTINGS.logLevel) ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`BATON_LOG_LEVEL: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  const maxPayloadBytes = Number(get(SETTINGS.maxPayloadBytes) ?? 1_048_576);
  if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes < 1 || maxPayloadBytes > 32 * 1_048_576) {
    throw new ConfigError('BATON_MAX_PAYLOAD_BYTES: must be an integer from 1 to 33554432');
  }
  const metricsMaxQueues = Number(get(SETTINGS.metricsMaxQueues) ?? DEFAULT_METRICS_MAX_QUEUES);
  if (!Number.isInteger(metricsMaxQueues) || metricsMaxQueues < 0 || metricsMaxQueues > 100_000) {
    throw new ConfigError('BATON_METRICS_MAX_QUEUES: must be an integer from 0 to 100000');
  }
  return {
    grpcAddress: get(SETTINGS.grpcAddress) ?? '0.0.0.0:50051',
    metricsAddress: get(SETTINGS.metricsAddress) ?? '0.0.0.0:9464',
    metricsMaxQueues,
    redis,
    retentionMs: parseDuration(get(SETTINGS.retention) ?? '24h', 'BATON_RETENTION'),
    maxPayloadBytes,
    logLevel,
    shutdownGraceMs: parseDuration(get(SETTINGS.shutdownGrace) ?? '25s', 'BATON_SHUTDOWN_GRACE'),
    workerLostAfterMs: parseDuration(get(SETTINGS.workerLostAfter) ?? '30s', 'BATON_WORKER_LOST_AFTER'),
    workerRetentionMs: parseDuration(get(SETTINGS.workerRetention) ?? '24h', 'BATON_WORKER_RETENTION'),
    watchBufferMax: parsePositiveInt(get(SETTINGS.watchBufferMax) ?? '10000', 'BATON_WATCH_BUFFER_MAX'),
  };
}

import { createHash } from 'node:crypto';
import { parseDuration } from '../clients/typescript/src/duration.js';
import type { LogFormat, LogLevel } from './log.js';
import type { RedisConfig } from './store/redis.js';
import { namespaceProblem } from './store/keys.js';
import { DEFAULT_MAX_QUEUES } from './store/queueRegistry.js';
import type { TlsFiles } from './transport/grpc/tls.js';

export interface Config {
  grpcAddress: string;
  /** Undefined: metrics are off (`--metrics-addr off`), nothing listens for Prometheus. */
  metricsAddress: string | undefined;
  /** The web dashboard's listen address; undefined: no dashboard (`--dashboard-addr off`). */
  dashboardAddress?: string;
  /** Queues with a `queue` metrics label of their own (default DEFAULT_METRICS_MAX_QUEUES). */
  metricsMaxQueues?: number;
  /** A plaintext listener for grpc.health.v1 alone (probes when gRPC uses TLS); undefined: none. */
  healthAddress?: string;
  /** Undefined: no Redis configured, start a local redis-server for development. */
  redis: RedisConfig | undefined;
  /** Sets this install's keys apart from other installs on the same Redis; undefined: Baton's original key names. */
  namespace?: string;
  retentionMs: number;
  maxPayloadBytes: number;
  /** The most queues there may be; a submit or setting that would create one more is refused. */
  maxQueues: number;
  logLevel: LogLevel;
  /** Undefined: text on a terminal, JSON lines otherwise. */
  logFormat?: LogFormat;
  shutdownGraceMs: number;
  /** A worker not seen for this long is reported lost. */
  workerLostAfterMs: number;
  /** Events a WatchTasks stream may fall behind by before it is ended. */
  watchBufferMax: number;
  /** A worker not seen for this long is forgotten. */
  workerRetentionMs: number;
  /** The principals file (bearer tokens and grants); undefined: no token is checked. */
  authTokensFile?: string;
  /** Serve gRPC over TLS (mTLS with a client CA); undefined: plaintext. */
  tls?: TlsFiles;
  /** Serve gRPC server reflection (default true); with authentication on, to admins only. */
  reflection?: boolean;
  /** The key page tokens are signed with; undefined: derived from the Redis settings (see pageTokenKey). */
  pageTokenKey?: string;
}

/**
 * The key page tokens are signed with: the configured one, or else one derived from what every replica of a
 * deployment already shares, the Redis settings (the password makes it secret; without one it still detects
 * garbled and edited tokens).
 */
export function pageTokenKey(config: Pick<Config, 'pageTokenKey' | 'redis' | 'namespace'>): string {
  if (config.pageTokenKey !== undefined) return config.pageTokenKey;
  const { redis } = config;
  const where = redis?.url ?? redis?.clusterNodes?.map((n) => `${n.host}:${n.port}`).join(',') ?? 'local';
  // Installs sharing a Redis do not honour each other's tokens; without a namespace the key is as it always was.
  const install = config.namespace === undefined ? '' : `\0${config.namespace}`;
  return createHash('sha256').update(`baton page tokens\0${where}\0${redis?.username ?? ''}\0${redis?.password ?? ''}${install}`).digest('base64');
}

/**
 * Open access: nobody is authenticated (no tokens file, no client CA), so anyone who reaches the port may do
 * anything. Fine on a laptop; Baton then listens on loopback unless told otherwise, and says it is open.
 */
export function isOpenAccess(config: Pick<Config, 'authTokensFile' | 'tls'>): boolean {
  return config.authTokensFile === undefined && config.tls?.clientCaFile === undefined;
}

interface Setting {
  flag: string;
  env: string;
  help: string;
}

const SETTINGS = {
  grpcAddress: {
    flag: '--grpc-addr',
    env: 'BATON_GRPC_ADDR',
    help: 'gRPC listen address (default 0.0.0.0:50051; 127.0.0.1:50051 with open access)',
  },
  metricsAddress: {
    flag: '--metrics-addr',
    env: 'BATON_METRICS_ADDR',
    help: 'Prometheus /metrics listen address, or off (default 0.0.0.0:9464; 127.0.0.1:9464 with open access)',
  },
  dashboardAddress: {
    flag: '--dashboard-addr',
    env: 'BATON_DASHBOARD_ADDR',
    help: 'web dashboard listen address, or off (default 0.0.0.0:8080; 127.0.0.1:8080 with open access)',
  },
  healthAddress: {
    flag: '--health-addr',
    env: 'BATON_HEALTH_ADDR',
    help: 'plaintext gRPC health-check listen address for probes when gRPC uses TLS, or off (default off)',
  },
  authTokensFile: {
    flag: '--auth-tokens-file',
    env: 'BATON_AUTH_TOKENS_FILE',
    help: 'JSON file of principals: token SHA-256 hashes and grants (reloaded when it changes)',
  },
  tlsCert: { flag: '--tls-cert', env: 'BATON_TLS_CERT', help: 'PEM certificate chain for gRPC over TLS (with --tls-key)' },
  tlsKey: { flag: '--tls-key', env: 'BATON_TLS_KEY', help: 'PEM private key of --tls-cert' },
  tlsClientCa: {
    flag: '--tls-client-ca',
    env: 'BATON_TLS_CLIENT_CA',
    help: 'PEM CA bundle: clients must present a certificate it signed (mTLS)',
  },
  reflection: {
    flag: '--reflection',
    env: 'BATON_REFLECTION',
    help: 'on or off: serve gRPC server reflection, to admins only when auth is on (default on)',
  },
  pageTokenKey: {
    flag: '--page-token-key',
    env: 'BATON_PAGE_TOKEN_KEY',
    help: 'secret that signs page tokens, the same on every replica (default: derived from the Redis settings)',
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
  namespace: {
    flag: '--namespace',
    env: 'BATON_NAMESPACE',
    help: "keys of this install start baton:<namespace>: so installs can share a Redis (1-32 of A-Z a-z 0-9 _ -; default none)",
  },
  redisUsername: { flag: '--redis-username', env: 'BATON_REDIS_USERNAME', help: 'Redis ACL user name' },
  redisPassword: { flag: '--redis-password', env: 'BATON_REDIS_PASSWORD', help: 'Redis password (prefer the env)' },
  redisTls: { flag: '--redis-tls', env: 'BATON_REDIS_TLS', help: 'true to connect to Redis over TLS' },
  redisCommandTimeout: {
    flag: '--redis-command-timeout',
    env: 'BATON_REDIS_COMMAND_TIMEOUT',
    help: 'a Redis command not answered in this time fails (default 5s)',
  },
  redisReplicaAcks: {
    flag: '--redis-replica-acks',
    env: 'BATON_REDIS_REPLICA_ACKS',
    help: 'replicas that must have a write before Baton acknowledges it (WAIT); 0 for none (default 0)',
  },
  redisReplicaAckTimeout: {
    flag: '--redis-replica-ack-timeout',
    env: 'BATON_REDIS_REPLICA_ACK_TIMEOUT',
    help: 'how long a write waits for its replicas before it fails UNAVAILABLE (default 1s)',
  },
  retention: { flag: '--retention', env: 'BATON_RETENTION', help: 'how long finished tasks are kept (default 24h)' },
  maxPayloadBytes: {
    flag: '--max-payload-bytes',
    env: 'BATON_MAX_PAYLOAD_BYTES',
    help: 'largest payload or result accepted (default 1048576)',
  },
  maxQueues: {
    flag: '--max-queues',
    env: 'BATON_MAX_QUEUES',
    help: 'most queues there may be; creating one more fails RESOURCE_EXHAUSTED (default 10000)',
  },
  logLevel: { flag: '--log-level', env: 'BATON_LOG_LEVEL', help: 'debug, info, warn or error (default info)' },
  logFormat: {
    flag: '--log-format',
    env: 'BATON_LOG_FORMAT',
    help: 'text, json or auto: text on a terminal, JSON lines otherwise (default auto)',
  },
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
    'Durations are numbers with a unit of ms, s, m, h or d, e.g. 250ms, 90s, 1.5h, 1h30m or 2d.',
    'With neither --redis-url nor --redis-cluster, Baton starts its own redis-server in a temporary directory.',
    'With neither --auth-tokens-file nor --tls-client-ca, access is open: Baton listens on loopback by default.',
    '',
    ...lines,
    `  ${'--help'.padEnd(34)} ${''.padEnd(28)} show this help`,
    `  ${'--version, -V'.padEnd(34)} ${''.padEnd(28)} print the version`,
    `  ${'--hash-token'.padEnd(34)} ${''.padEnd(28)} print the SHA-256 of the token read from stdin, for the tokens file`,
  ].join('\n');
}

export class ConfigError extends Error {}

export const DEFAULT_METRICS_MAX_QUEUES = 1000;

type SettingName = keyof typeof SETTINGS;

/** How to change a setting, for messages that tell the user what to do: "--grpc-addr or BATON_GRPC_ADDR". */
export function settingHint(name: SettingName): string {
  return `${SETTINGS[name].flag} or ${SETTINGS[name].env}`;
}

function parseClusterNodes(value: string, source: string): { host: string; port: number }[] {
  return value.split(',').map((entry) => {
    const at = entry.trim().lastIndexOf(':');
    const port = Number(entry.trim().slice(at + 1));
    if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new ConfigError(`${source}: "${entry}" is not host:port`);
    }
    return { host: entry.trim().slice(0, at), port };
  });
}

function parseIntIn(value: string, source: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new ConfigError(`${source}: "${value}" is not an integer from ${min} to ${max}`);
  }
  return n;
}

function parseChoice<T extends string>(value: string, source: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new ConfigError(`${source}: "${value}" is not one of ${choices.join(', ')}`);
  return value as T;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const LOG_FORMATS = ['auto', 'text', 'json'] as const;

/**
 * Reads the configuration from flags and environment. Throws ConfigError with a message naming what the user set:
 * the flag when a flag was passed, the environment variable otherwise.
 */
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
  const get = (name: SettingName): string | undefined => flags.get(SETTINGS[name].flag) ?? env[SETTINGS[name].env];
  /** Where a setting's value came from, for error messages. */
  const source = (name: SettingName): string => (flags.has(SETTINGS[name].flag) ? SETTINGS[name].flag : SETTINGS[name].env);
  const duration = (name: SettingName, fallback: string): number => {
    const value = get(name);
    if (value === undefined) return parseDuration(fallback);
    try {
      return parseDuration(value);
    } catch (error) {
      throw new ConfigError(`${source(name)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const integer = (name: SettingName, fallback: number, min: number, max: number): number => {
    const value = get(name);
    return value === undefined ? fallback : parseIntIn(value, source(name), min, max);
  };

  const url = get('redisUrl');
  const cluster = get('redisCluster');
  if (url && cluster) throw new ConfigError(`set only one of ${source('redisUrl')} and ${source('redisCluster')}`);
  const username = get('redisUsername');
  const password = get('redisPassword');
  const redis: RedisConfig | undefined =
    url || cluster
      ? {
          ...(url ? { url } : {}),
          ...(cluster ? { clusterNodes: parseClusterNodes(cluster, source('redisCluster')) } : {}),
          ...(username ? { username } : {}),
          ...(password ? { password } : {}),
          tls: get('redisTls') === 'true',
          commandTimeoutMs: duration('redisCommandTimeout', '5s'),
          replicaAcks: integer('redisReplicaAcks', 0, 0, 16),
          replicaAckTimeoutMs: duration('redisReplicaAckTimeout', '1s'),
        }
      : undefined;

  if (redis?.replicaAcks && (redis.replicaAckTimeoutMs ?? 0) >= redis.commandTimeoutMs) {
    throw new ConfigError(
      `${source('redisReplicaAckTimeout')} must be shorter than the command timeout (${settingHint('redisCommandTimeout')})`,
    );
  }
  const namespace = get('namespace');
  const badNamespace = namespace === undefined ? undefined : namespaceProblem(namespace);
  if (badNamespace !== undefined) throw new ConfigError(`${source('namespace')}: ${badNamespace}`);
  const logLevel = parseChoice(get('logLevel') ?? 'info', source('logLevel'), LOG_LEVELS);
  const logFormat = parseChoice(get('logFormat') ?? 'auto', source('logFormat'), LOG_FORMATS);
  const tlsCert = get('tlsCert');
  const tlsKey = get('tlsKey');
  const tlsClientCa = get('tlsClientCa');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new ConfigError(`set both ${settingHint('tlsCert')} and ${settingHint('tlsKey')}, or neither`);
  }
  if (tlsClientCa !== undefined && tlsCert === undefined) {
    throw new ConfigError(`${source('tlsClientCa')} needs ${settingHint('tlsCert')} and ${settingHint('tlsKey')}: client certificates are a TLS feature`);
  }
  const tls: TlsFiles | undefined =
    tlsCert !== undefined && tlsKey !== undefined
      ? { certFile: tlsCert, keyFile: tlsKey, ...(tlsClientCa === undefined ? {} : { clientCaFile: tlsClientCa }) }
      : undefined;
  const authTokensFile = get('authTokensFile');
  const pageTokenKey = get('pageTokenKey');
  if (pageTokenKey === '') throw new ConfigError(`${source('pageTokenKey')} must not be empty`);
  const reflection = parseChoice(get('reflection') ?? 'on', source('reflection'), ['on', 'off'] as const) === 'on';
  // Open access listens where only this machine reaches it, unless an address is given.
  const listenHost = isOpenAccess({ authTokensFile, ...(tls ? { tls } : {}) }) ? '127.0.0.1' : '0.0.0.0';
  const metricsAddress = get('metricsAddress') ?? `${listenHost}:9464`;
  // A browser presents no client certificate to the dashboard: with mTLS and no tokens file it could check nobody.
  const certificatesOnly = authTokensFile === undefined && tls?.clientCaFile !== undefined;
  const dashboardSetting = get('dashboardAddress');
  if (certificatesOnly && dashboardSetting !== undefined && dashboardSetting !== 'off') {
    throw new ConfigError(`${source('dashboardAddress')} needs ${settingHint('authTokensFile')}: the dashboard authenticates by bearer token, not client certificate`);
  }
  const dashboardAddress = dashboardSetting ?? (certificatesOnly ? 'off' : `${listenHost}:8080`);
  const healthAddress = get('healthAddress');
  return {
    grpcAddress: get('grpcAddress') ?? `${listenHost}:50051`,
    ...(authTokensFile === undefined ? {} : { authTokensFile }),
    ...(tls ? { tls } : {}),
    reflection,
    ...(pageTokenKey === undefined ? {} : { pageTokenKey }),
    metricsAddress: metricsAddress === 'off' ? undefined : metricsAddress,
    ...(dashboardAddress === 'off' ? {} : { dashboardAddress }),
    ...(healthAddress === undefined || healthAddress === 'off' ? {} : { healthAddress }),
    metricsMaxQueues: integer('metricsMaxQueues', DEFAULT_METRICS_MAX_QUEUES, 0, 100_000),
    redis,
    ...(namespace === undefined ? {} : { namespace }),
    retentionMs: duration('retention', '24h'),
    maxPayloadBytes: integer('maxPayloadBytes', 1_048_576, 1, 32 * 1_048_576),
    maxQueues: integer('maxQueues', DEFAULT_MAX_QUEUES, 1, 10_000_000),
    logLevel,
    ...(logFormat === 'auto' ? {} : { logFormat }),
    shutdownGraceMs: duration('shutdownGrace', '25s'),
    workerLostAfterMs: duration('workerLostAfter', '30s'),
    workerRetentionMs: duration('workerRetention', '24h'),
    watchBufferMax: integer('watchBufferMax', 10_000, 1, Number.MAX_SAFE_INTEGER),
  };
}

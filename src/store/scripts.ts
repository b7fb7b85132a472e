import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientContext, Cluster, Redis, Result } from 'ioredis';
import { QUEUE_KEY_COUNT, REGISTRY_KEY_COUNT } from './keys.js';

/** Scripts on the worker registry's keys rather than a queue's keyset. */
const REGISTRY_SCRIPTS: ReadonlySet<string> = new Set(['registerWorker', 'reapWorkers']);

/** One Lua file per atomic operation, in ./lua. Each is registered as command `baton<Name>`. */
const SCRIPT_NAMES = [
  'getQueue',
  'activeTasks',
  'completedTasks',
  'workerStats',
  'purge',
  'retryMany',
  'updateQueue',
  'registerWorker',
  'reapWorkers',
  'submit',
  'claim',
  'start',
  'heartbeat',
  'complete',
  'fail',
  'release',
  'cancel',
  'retry',
  'reap',
  'get',
  'list',
  'eventBounds',
] as const;

type RedisArg = string | Buffer | number;
type ScriptCommand<Context extends ClientContext> = (...args: RedisArg[]) => Result<unknown, Context>;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    batonGetQueueBuffer: ScriptCommand<Context>;
    batonActiveTasksBuffer: ScriptCommand<Context>;
    batonCompletedTasksBuffer: ScriptCommand<Context>;
    batonWorkerStatsBuffer: ScriptCommand<Context>;
    batonPurgeBuffer: ScriptCommand<Context>;
    batonRetryManyBuffer: ScriptCommand<Context>;
    batonUpdateQueueBuffer: ScriptCommand<Context>;
    batonRegisterWorkerBuffer: ScriptCommand<Context>;
    batonReapWorkersBuffer: ScriptCommand<Context>;
    batonSubmitBuffer: ScriptCommand<Context>;
    batonClaimBuffer: ScriptCommand<Context>;
    batonStartBuffer: ScriptCommand<Context>;
    batonHeartbeatBuffer: ScriptCommand<Context>;
    batonCompleteBuffer: ScriptCommand<Context>;
    batonFailBuffer: ScriptCommand<Context>;
    batonReleaseBuffer: ScriptCommand<Context>;
    batonCancelBuffer: ScriptCommand<Context>;
    batonRetryBuffer: ScriptCommand<Context>;
    batonReapBuffer: ScriptCommand<Context>;
    batonGetBuffer: ScriptCommand<Context>;
    batonListBuffer: ScriptCommand<Context>;
    batonEventBoundsBuffer: ScriptCommand<Context>;
  }
}

const LUA_DIR = join(__dirname, 'lua');
const INCLUDE_LINE = /^--@include (\w+)$/gm;

/** Reads a script and inlines its `--@include name` lines from lua/includes (Redis Lua has no require). */
export function readScript(name: string): string {
  const source = readFileSync(join(LUA_DIR, `${name}.lua`), 'utf8');
  return source.replace(INCLUDE_LINE, (_line, include: string) =>
    readFileSync(join(LUA_DIR, 'includes', `${include}.lua`), 'utf8'),
  );
}

/**
 * Registers every script once per client. ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT, so scripts
 * keep working on a replica promoted by a failover, which never saw them loaded.
 */
export function defineScripts(client: Redis | Cluster): void {
  for (const name of SCRIPT_NAMES) {
    const command = `baton${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`;
    const numberOfKeys = REGISTRY_SCRIPTS.has(name) ? REGISTRY_KEY_COUNT : QUEUE_KEY_COUNT;
    client.defineCommand(command, { numberOfKeys, lua: readScript(name) });
  }
}

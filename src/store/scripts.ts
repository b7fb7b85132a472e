import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientContext, Cluster, Redis, Result } from 'ioredis';
import { QUEUE_KEY_COUNT } from './keys.js';

/** One Lua file per atomic operation, in ./lua. Each is registered as command `baton<Name>`. */
const SCRIPT_NAMES = [
  'submit',
  'claim',
  'start',
  'heartbeat',
  'complete',
  'fail',
  'cancel',
  'retry',
  'reap',
  'get',
  'list',
  'stats',
] as const;

type RedisArg = string | Buffer | number;
type ScriptCommand<Context extends ClientContext> = (...args: RedisArg[]) => Result<unknown, Context>;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    batonSubmitBuffer: ScriptCommand<Context>;
    batonClaimBuffer: ScriptCommand<Context>;
    batonStartBuffer: ScriptCommand<Context>;
    batonHeartbeatBuffer: ScriptCommand<Context>;
    batonCompleteBuffer: ScriptCommand<Context>;
    batonFailBuffer: ScriptCommand<Context>;
    batonCancelBuffer: ScriptCommand<Context>;
    batonRetryBuffer: ScriptCommand<Context>;
    batonReapBuffer: ScriptCommand<Context>;
    batonGetBuffer: ScriptCommand<Context>;
    batonListBuffer: ScriptCommand<Context>;
    batonStats: ScriptCommand<Context>;
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
    client.defineCommand(command, { numberOfKeys: QUEUE_KEY_COUNT, lua: readScript(name) });
  }
}

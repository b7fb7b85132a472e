import { join } from 'node:path';
import type { ClientContext, Cluster, Redis, Result } from 'ioredis';
import { QUEUE_KEY_COUNT, REGISTRY_KEY_COUNT, SCHEDULE_KEY_COUNT } from './keys.js';
import { assembleScript } from './scriptLoader.js';

/** Scripts on the worker registry's keys rather than a queue's keyset. */
const REGISTRY_SCRIPTS: ReadonlySet<string> = new Set(['registerWorker', 'reapWorkers']);
/** Scripts on the schedules' keys (keys.ts scheduleKeys). */
const SCHEDULE_SCRIPTS: ReadonlySet<string> = new Set([
  'createSchedule',
  'advanceSchedule',
  'pauseSchedule',
  'updateSchedule',
  'deleteSchedule',
]);
/** Scripts on the maintenance index of due queues and its claims (keys.ts Keyspace.due, dueClaims). */
const DUE_INDEX_SCRIPTS: ReadonlySet<string> = new Set(['claimDue', 'reschedule']);
/** Scripts on one key of their own: the set of known queues, the maintenance sweep's cursor. */
const ONE_KEY_SCRIPTS: ReadonlySet<string> = new Set(['registerQueue', 'claimSweep']);

/** One Lua file per atomic operation, in ./lua/commands. Each is registered as command `baton<Name>`. */
const SCRIPT_NAMES = [
  'getQueue',
  'activeTasks',
  'completedTasks',
  'workerStats',
  'purge',
  'retryMany',
  'updateQueue',
  'registerQueue',
  'deleteQueue',
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
  'appendLogs',
  'taskLogs',
  'createSchedule',
  'advanceSchedule',
  'pauseSchedule',
  'updateSchedule',
  'deleteSchedule',
  'reschedule',
  'claimDue',
  'claimSweep',
  'submitFlow',
  'childFinished',
  'ackNotices',
  'notices',
  'children',
  'staleParents',
  'parentsChecked',
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
    batonRegisterQueueBuffer: ScriptCommand<Context>;
    batonDeleteQueueBuffer: ScriptCommand<Context>;
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
    batonAppendLogsBuffer: ScriptCommand<Context>;
    batonTaskLogsBuffer: ScriptCommand<Context>;
    batonCreateScheduleBuffer: ScriptCommand<Context>;
    batonAdvanceScheduleBuffer: ScriptCommand<Context>;
    batonPauseScheduleBuffer: ScriptCommand<Context>;
    batonUpdateScheduleBuffer: ScriptCommand<Context>;
    batonDeleteScheduleBuffer: ScriptCommand<Context>;
    batonRescheduleBuffer: ScriptCommand<Context>;
    batonClaimDueBuffer: ScriptCommand<Context>;
    batonClaimSweepBuffer: ScriptCommand<Context>;
    batonSubmitFlowBuffer: ScriptCommand<Context>;
    batonChildFinishedBuffer: ScriptCommand<Context>;
    batonAckNoticesBuffer: ScriptCommand<Context>;
    batonNoticesBuffer: ScriptCommand<Context>;
    batonStaleParentsBuffer: ScriptCommand<Context>;
    batonParentsCheckedBuffer: ScriptCommand<Context>;
    batonChildrenBuffer: ScriptCommand<Context>;
  }
}

const LUA_ROOT = join(__dirname, 'lua');
const assembled = new Map<string, string>();

/** A command script with its includes inlined (see scriptLoader.ts), assembled once per process. */
export function readScript(name: string): string {
  let lua = assembled.get(name);
  if (lua === undefined) {
    lua = assembleScript(LUA_ROOT, `commands/${name}`);
    assembled.set(name, lua);
  }
  return lua;
}

/**
 * Registers every script once per client. ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT, so scripts
 * keep working on a replica promoted by a failover, which never saw them loaded.
 */
export function defineScripts(client: Redis | Cluster): void {
  for (const name of SCRIPT_NAMES) {
    const command = `baton${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`;
    const numberOfKeys = REGISTRY_SCRIPTS.has(name)
      ? REGISTRY_KEY_COUNT
      : SCHEDULE_SCRIPTS.has(name)
        ? SCHEDULE_KEY_COUNT
        : DUE_INDEX_SCRIPTS.has(name)
          ? 2
          : ONE_KEY_SCRIPTS.has(name)
            ? 1
            : QUEUE_KEY_COUNT;
    client.defineCommand(command, { numberOfKeys, lua: readScript(name) });
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { BatonError, UnavailableError } from '../domain/errors.js';
import { randomBytesPooled } from '../domain/ids.js';
import type { ClaimedTask } from '../domain/task.js';
import type { Expiries } from '../domain/store.js';
import { DEFAULT_KEYSPACE } from './keys.js';
import type { Keyspace } from './keys.js';
import { stampingDeadline } from './redis.js';
import type { RedisClient } from './redis.js';
import { RedisClock } from './redisClock.js';
import { translateRedisError } from './redisErrors.js';
import { asArray, asNumber, asString, decodeTaskRecord, mapTriples } from './taskCodec.js';
import type { Reply } from './taskCodec.js';

/** Told of every Redis round trip, by the script or command it runs (the metrics time them and count errors). */
export interface RoundTripObserver {
  time<T>(operation: string, call: () => Promise<T>): Promise<T>;
}

/** Replicated acknowledgements: how many replicas must have a write before it is acknowledged, and how long to wait. */
export interface ReplicaAcks {
  /** 0: acknowledge once the master ran the script. */
  replicas: number;
  timeoutMs: number;
}

/**
 * Calls a state-changing script on `target` with `keys`, its arguments, and `deadline` (Redis time, ms) last.
 */
export type WriteInvocation = (target: WriteTarget, keys: string[], deadline: number) => unknown;

/** What may run in a write's pipeline: a defined script, called on the client or on a pipeline to one node. */
export type WriteTarget = Pick<RedisClient, `baton${string}Buffer` & keyof RedisClient> & Pick<RedisClient, 'srem'>;

/**
 * A write Redis ran (or may have run) whose replicas did not confirm it in time: the caller is told UNAVAILABLE,
 * and the store can still see what the script replied (a claim gives back the leases it will not deliver).
 */
export class UnreplicatedWriteError extends UnavailableError {
  constructor(
    message: string,
    /** The script's reply, when it ran on the master. */
    readonly reply: Reply | undefined,
  ) {
    super('replica_ack_timeout', message);
  }
}

/**
 * The one way the stores reach Redis: every round trip bounded in time, its errors translated for the domain, and
 * shown to the observer under the name of its script or command. Writes wait for replicas when asked to.
 */
export class RedisCalls {
  /** Converts the round trips' deadlines for the scripts, which refuse to run past them. */
  readonly clock: RedisClock;

  constructor(
    readonly client: RedisClient,
    /**
     * Every round trip fails with UNAVAILABLE after this long. ioredis's own command timeout starts only once a
     * command is sent; with every cluster node down, commands wait in its offline queue and would never time out.
     * A command still unsent when this passes is never sent (see guardLateCommands in redis.ts).
     */
    private readonly timeoutMs: number,
    private readonly observer?: RoundTripObserver,
    readonly replicaAcks: ReplicaAcks = { replicas: 0, timeoutMs: 0 },
    /** The install's key and channel names (its namespace). */
    readonly keys: Keyspace = DEFAULT_KEYSPACE,
  ) {
    this.clock = new RedisClock(client);
  }

  /** One Redis round trip named `operation`, on `queue` (and task `id`, for error messages). */
  run<T>(operation: string, queue: string, id: string, call: (deadline: number) => Promise<T>): Promise<T> {
    if (!this.observer) return this.bounded(queue, id, call);
    return this.observer.time(operation, () => this.bounded(queue, id, call));
  }

  /** Runs a queue's read-only script with the queue's keyset: never waits for replicas. */
  async script(
    operation: string,
    queue: string,
    id: string,
    invoke: (keys: string[]) => Promise<unknown>,
  ): Promise<Reply> {
    return (await this.run(operation, queue, id, () => invoke(this.keys.queueKeys(queue)))) as Reply;
  }

  /**
   * Runs a script that changes state, with `keys` (a queue's keyset unless given). `invoke` passes the script the
   * deadline it is given, in Redis time, as its last argument: a script that reaches Redis only after the caller was
   * answered UNAVAILABLE (a frozen master resumed) changes nothing (lua/includes/deadline.lua). With replicated
   * acknowledgements on, the script and a `WAIT replicas timeout` go as one pipeline to the node of the script's
   * slot, on one connection, so the WAIT covers the script's write; the reply comes back only once enough replicas
   * have it. Otherwise UnreplicatedWriteError: the write may or may not be durable.
   */
  async write(
    operation: string,
    queue: string,
    id: string,
    invoke: WriteInvocation,
    keys: string[] = this.keys.queueKeys(queue),
  ): Promise<Reply> {
    const { replicas, timeoutMs } = this.replicaAcks;
    if (replicas === 0) {
      return (await this.run(operation, queue, id, (deadline) =>
        invoke(this.client, keys, this.clock.toRedisTime(deadline)) as Promise<unknown>,
      )) as Reply;
    }
    return this.run(operation, queue, id, async (deadline) => {
      // ioredis follows a MOVED or ASK (and retries a TRYAGAIN or CLUSTERDOWN) in a cluster pipeline only when every
      // other command in it is read-only; the WAIT is not, so it would neither redirect the script nor learn the
      // slot's new owner, and every later write to that slot would fail the same way. They are followed here as
      // ioredis does for a lone command: the script did not run.
      let redirect: Redirection | undefined;
      for (let redirections = 0; ; redirections++) {
        const scriptDeadline = this.clock.toRedisTime(deadline);
        const [scripted, waited] = await stampingDeadline(deadline, () =>
          this.writePipeline((target) => invoke(target, keys, scriptDeadline), redirect),
        );
        const [scriptError, reply] = scripted ?? [new Error('the pipeline lost its script')];
        if (scriptError) {
          const cluster = this.client instanceof Cluster ? this.client : undefined;
          if (!cluster || redirections >= MAX_REDIRECTIONS) throw scriptError;
          if (/^(TRYAGAIN|CLUSTERDOWN)\b/.test(scriptError.message)) {
            // A slot being moved (keys on both nodes) or without a master for a moment: the same node, a bit later.
            await sleep(scriptError.message.startsWith('TRYAGAIN') ? cluster.options.retryDelayOnTryAgain : cluster.options.retryDelayOnClusterDown);
            continue;
          }
          redirect = redirectionOf(scriptError);
          if (!redirect) throw scriptError;
          if (!redirect.ask) cluster.refreshSlotsCache();
          continue;
        }
        const [waitError, acked] = waited ?? [new Error('the pipeline lost its WAIT')];
        if (waitError || typeof acked !== 'number' || acked < replicas) {
          const why = waitError
            ? `waiting for replicas failed (${waitError.message})`
            : `${String(acked)} of ${replicas} replica(s) confirmed it within ${timeoutMs}ms`;
          throw new UnreplicatedWriteError(
            `Redis ran the write but ${why}: it may or may not be durable; an idempotent retry is safe`,
            reply as Reply,
          );
        }
        return reply as Reply;
      }
    });
  }

  /** The script and its WAIT as one pipeline, to the node `redirect` names if any (after ASKING for an ASK). */
  private async writePipeline(
    invoke: (target: WriteTarget) => unknown,
    redirect: Redirection | undefined,
  ): Promise<[Error | null, unknown][]> {
    const pipeline = this.client.pipeline();
    if (redirect) {
      // ioredis's own redirections set this too: the pipeline goes to that node rather than the slot's cached owner.
      (pipeline as unknown as { preferKey?: string }).preferKey = redirect.node;
      if (redirect.ask) pipeline.asking();
    }
    invoke(pipeline as unknown as WriteTarget);
    pipeline.wait(this.replicaAcks.replicas, this.replicaAcks.timeoutMs);
    const results = (await pipeline.exec()) ?? [];
    return redirect?.ask ? results.slice(1) : results;
  }

  private async bounded<T>(queue: string, id: string, call: (deadline: number) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = Date.now() + this.timeoutMs;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new UnavailableError('timeout', `Redis did not answer within ${this.timeoutMs}ms`));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([stampingDeadline(deadline, () => call(deadline)), timeout]);
    } catch (error) {
      throw error instanceof BatonError ? error : translateRedisError(error, queue, id);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Redirections a write follows before it fails (as ioredis's maxRedirections, for its pipelines). */
const MAX_REDIRECTIONS = 16;

/** Where a MOVED or ASK error sends a command: the node as `host:port`, and whether it is a one-off ASK. */
interface Redirection {
  node: string;
  ask: boolean;
}

function redirectionOf(error: Error): Redirection | undefined {
  const match = /^(MOVED|ASK) \d+ (\S+)$/.exec(error.message);
  return match ? { node: match[2] ?? '', ask: match[1] === 'ASK' } : undefined;
}

/** The length of one lease token: claimPending.lua cuts the tokens of a claim from one string by it. */
export const LEASE_TOKEN_LENGTH = 23;

/**
 * Lease tokens are unguessable and independent: 128 random bits each, so holding one token of a claim tells
 * nothing about its siblings. `count` tokens come back concatenated, one argument for the script.
 */
export function newTokenNonce(count = 1): string {
  let tokens = '';
  // A letter first: base64url may start with '-', which a command line would read as an option.
  for (let i = 0; i < count; i++) tokens += `t${randomBytesPooled(16).toString('base64url')}`;
  return tokens;
}

/** Leased tasks as claim.lua and submit.lua reply them: token, task id, record, for each. */
export function decodeClaimed(queue: string, reply: Reply): ClaimedTask[] {
  return mapTriples(reply, (token, id, record) => ({
    leaseToken: asString(token),
    task: decodeTaskRecord(queue, id, record),
  }));
}

/** An expiry tally (see expiryTally in lua/includes/expiryTally.lua). */
export function decodeExpiries(reply: Reply): Expiries {
  const [leasesExpired = 0, leasesExhausted = 0, leasesCancelled = 0, tasksExpired = 0] = asArray(reply).map(asNumber);
  return { leasesExpired, leasesExhausted, leasesCancelled, tasksExpired };
}

/** A due time as the scripts reply it (see lua/includes/dueTime.lua): `{ due }`, or nothing when none. */
export function decodeDue(reply: Reply | undefined): { due?: number } {
  if (reply === undefined) return {};
  const due = asNumber(reply);
  return due < 0 ? {} : { due };
}

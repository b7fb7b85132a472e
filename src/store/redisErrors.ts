import { queueOfAddress } from '../domain/partitions.js';
import { ReplyError } from 'ioredis';
import { BatonError, LeaseExpiredError, UnavailableError, taskNotFound } from '../domain/errors.js';

// ioredis declares ReplyError as `any`; it is the class of every error reply Redis sends.
const RedisReplyError = ReplyError as typeof Error;

/**
 * Reply errors that mean the cluster is between states (failover, resharding, loading, too few replicas), not a
 * bug, each with what the caller is told. MOVED and ASK reach us when ioredis gives up redirecting (its
 * maxRedirections while slots move during a failover). UNBLOCKED: a WAIT ended because its master was demoted.
 */
const TRANSIENT_REPLIES: Record<string, string> = {
  NOREPLICAS: 'the Redis master has too few replicas connected to accept writes (min-replicas-to-write)',
  MASTERDOWN: 'the Redis replica lost its master',
  READONLY: 'the Redis node is a replica now (failover in progress)',
  LOADING: 'the Redis node is loading its data',
  CLUSTERDOWN: 'the Redis cluster is down (some slots have no master)',
  TRYAGAIN: 'the Redis slot is being moved',
  BUSY: 'the Redis node is busy running a script',
  MOVED: 'the Redis slot moved (failover or resharding in progress)',
  ASK: 'the Redis slot is being moved',
  UNBLOCKED: 'the Redis master was demoted while waiting for its replicas; the write may or may not be durable',
};

/** Reply errors Redis may wrap (a script's redis.call failing): found anywhere in the message. */
const WRAPPED = /\b(NOREPLICAS|MASTERDOWN|READONLY|LOADING|CLUSTERDOWN|UNBLOCKED)\b/;

/** A Redis error that is not a reply: the connection, a timeout, or ioredis giving up. */
function connectionReason(message: string): string {
  if (/timed out|timeout/i.test(message)) return 'timeout';
  if (/Too many Cluster redirections/.test(message)) {
    const wrapped = WRAPPED.exec(message);
    return wrapped?.[1]?.toLowerCase() ?? 'clusterdown';
  }
  return 'connection';
}

/**
 * The queue's slot says it is not in the set of known queues (deleted since this replica registered it): the store
 * registers it again and repeats the write. Callers never see it.
 */
export class UnregisteredQueueError extends BatonError {
  constructor(queue: string) {
    super('FAILED_PRECONDITION', `queue "${queue}" is not registered`);
  }
}

/** A script's error code with its arguments ('LOCKED worker-1 1700000000000'), as a domain error for people. */
export function scriptError(codeAndArgs: string, queue: string, id: string): BatonError {
  const [code = '', ...args] = codeAndArgs.split(' ');
  return describeScriptError(code, args, queue, id);
}

function describeScriptError(code: string, args: string[], address: string, id: string): BatonError {
  // Errors name the queue, whichever partition they came from.
  const queue = queueOfAddress(address);
  switch (code) {
    case 'NOT_FOUND':
      return taskNotFound(queue, id);
    case 'LATE':
      // The caller was (or is about to be) answered this already, when the command timeout passed.
      return new UnavailableError(
        'timeout',
        `Redis reached the command ${args[0] ?? '?'}ms after its deadline (a node that stalled); it changed nothing`,
      );
    case 'TOKEN_MISMATCH':
      return new BatonError(
        'ABORTED',
        `lease_token does not hold the current lease of task "${id}" (the task is ${args[0] ?? 'in another state'})`,
      );
    case 'LEASE_EXPIRED':
      return new LeaseExpiredError(
        `the lease on task "${id}" expired; the task is now ${args[0] ?? 'released'}`,
        args[0] ?? 'PENDING',
      );
    case 'LOCKED': {
      const until = new Date(Number(args[1])).toISOString();
      return new BatonError('ABORTED', `task "${id}" is held by worker "${args[0] ?? '?'}" until ${until}`);
    }
    case 'NOT_RESTARTABLE':
      return new BatonError(
        'FAILED_PRECONDITION',
        `task "${id}" is ${args[0] ?? 'finished'}; set force=true to start it again`,
      );
    case 'TERMINAL':
      return new BatonError('FAILED_PRECONDITION', `task "${id}" is already ${args[0] ?? 'finished'}`);
    case 'NOT_RETRYABLE':
      return new BatonError(
        'FAILED_PRECONDITION',
        `task "${id}" is ${args[0] ?? '?'}; only FAILED, EXHAUSTED, CANCELLED or EXPIRED tasks can be retried`,
      );
    case 'QUEUE_LIMIT':
      return new BatonError(
        'RESOURCE_EXHAUSTED',
        `queue "${queue}" would exceed the limit of ${args[0] ?? '?'} queues (--max-queues); delete unused queues (DeleteQueue) or raise the limit`,
      );
    case 'LEASED':
      return new BatonError(
        'FAILED_PRECONDITION',
        `queue "${queue}" has ${args[0] ?? 'some'} leased task(s); set force=true to delete it anyway`,
      );
    case 'QUOTA':
      return new BatonError(
        'RESOURCE_EXHAUSTED',
        `queue "${queue}" is full: its ${args[0] ?? 'quota'} is ${args[1] ?? '?'} (settings.${args[0] ?? '?'}); ` +
          (args[2] === 'debounce' ? `task "${id}" was not debounced (it keeps its payload)` : `task "${id}" was not stored`),
      );
    case 'UNIQUE': {
      const until = new Date(Number(args[1])).toISOString();
      return new BatonError(
        'ALREADY_EXISTS',
        `unique_key is held by task "${args[0] ?? id}" of queue "${queue}" until ${until} (its window), though that task was deleted since; nothing was stored`,
      );
    }
    case 'UNREGISTERED':
      return new UnregisteredQueueError(queue);
    default:
      return new BatonError('FAILED_PRECONDITION', `task "${id}": ${code} ${args.join(' ')}`);
  }
}

/**
 * Turns what a Redis call threw into what the caller should see: a script's `BATON <CODE>` into a domain error,
 * an unreachable or failing-over Redis into UNAVAILABLE. Anything else (a bug) is rethrown as is.
 */
export function translateRedisError(error: unknown, queue: string, id = ''): unknown {
  if (error instanceof RedisReplyError) {
    const [word = '', code = '', ...args] = error.message.split(' ');
    if (word === 'BATON') return describeScriptError(code, args, queue, id);
    const known = word in TRANSIENT_REPLIES ? word : WRAPPED.exec(error.message)?.[1];
    if (known !== undefined) {
      return new UnavailableError(known.toLowerCase(), `Redis is not ready: ${TRANSIENT_REPLIES[known] ?? known} (${error.message})`);
    }
    return error;
  }
  if (error instanceof Error) {
    const reason = connectionReason(error.message);
    return new UnavailableError(reason, `Redis is unavailable (${reason}): ${error.message}`);
  }
  return error;
}

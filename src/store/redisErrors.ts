import { ReplyError } from 'ioredis';
import { BatonError, LeaseExpiredError, taskNotFound } from '../domain/errors.js';

// ioredis declares ReplyError as `any`; it is the class of every error reply Redis sends.
const RedisReplyError = ReplyError as typeof Error;

/**
 * Reply errors that mean the cluster is between states (failover, resharding, loading), not a bug. MOVED and ASK
 * reach us when ioredis gives up redirecting (its maxRedirections while slots move during a failover).
 */
const TRANSIENT_REPLIES = ['CLUSTERDOWN', 'TRYAGAIN', 'LOADING', 'MASTERDOWN', 'READONLY', 'BUSY', 'MOVED', 'ASK'];

/** A script's error code with its arguments ('LOCKED worker-1 1700000000000'), as a domain error for people. */
export function scriptError(codeAndArgs: string, queue: string, id: string): BatonError {
  const [code = '', ...args] = codeAndArgs.split(' ');
  return describeScriptError(code, args, queue, id);
}

function describeScriptError(code: string, args: string[], queue: string, id: string): BatonError {
  switch (code) {
    case 'NOT_FOUND':
      return taskNotFound(queue, id);
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
    if (TRANSIENT_REPLIES.includes(word)) return new BatonError('UNAVAILABLE', `Redis is not ready: ${error.message}`);
    return error;
  }
  if (error instanceof Error) return new BatonError('UNAVAILABLE', `Redis is unavailable: ${error.message}`);
  return error;
}

import * as grpc from '@grpc/grpc-js';

/**
 * Throw this from a worker handler when retrying cannot help (bad input, a missing record): the task becomes FAILED
 * at once instead of being retried. Any other thrown error is retried with the task's backoff.
 */
export class PermanentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * Throw this from a worker handler to have the task retried after `retryDelay` ms instead of its backoff (as for a
 * rate limit that says when to come back). The attempt still counts against the task's max attempts.
 */
export class RetryError extends Error {
  readonly retryDelay: number;
  constructor(message: string, options: ErrorOptions & { retryDelay: number }) {
    super(message, options);
    this.name = 'RetryError';
    this.retryDelay = options.retryDelay;
  }
}

/** The reason a handler's `ctx.signal` fires when an operator cancelled the task (learnt from a heartbeat). */
export class TaskCancelledError extends Error {
  constructor(message = 'the task was cancelled') {
    super(message);
    this.name = 'TaskCancelledError';
  }
}

/**
 * The reason a handler's `ctx.signal` fires when the worker no longer holds the task's lease: the server refused a
 * heartbeat (the task was requeued or finished elsewhere), or no heartbeat got through before the lease ran out.
 * Whatever the handler returns afterwards is discarded; another worker may already be running the task.
 */
export class LeaseLostError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LeaseLostError';
  }
}

/** The reason a handler's `ctx.signal` fires when the worker shut down before the handler finished. */
export class WorkerClosingError extends Error {
  constructor(message = 'the worker shut down before the handler finished; the task was given back') {
    super(message);
    this.name = 'WorkerClosingError';
  }
}

/** True when `error` is a gRPC error with the given status code, e.g. `isStatus(error, status.NOT_FOUND)`. */
export function isStatus(error: unknown, code: grpc.status): error is grpc.ServiceError {
  return statusOf(error) === code;
}

const STATUS_CODES = new Map<unknown, grpc.status>(
  Object.values(grpc.status)
    .filter((value): value is grpc.status => typeof value === 'number')
    .map((code) => [code, code]),
);

/** The gRPC status code of an error from a Baton call, or undefined for anything else. */
export function statusOf(error: unknown): grpc.status | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error) || !('metadata' in error)) return undefined;
  return STATUS_CODES.get((error as { code: unknown }).code);
}

/**
 * A gRPC error as grpc-js raises it for a failed call (code, details, metadata; message "14 UNAVAILABLE: ..."). The
 * SDK builds every status error of its own with it, so `statusOf`/`isStatus` and its retry decisions see each one as
 * they see a failed call's.
 */
export function statusError(code: number, details: string): grpc.ServiceError {
  // A code this grpc-js does not know becomes UNKNOWN, as grpc-js does with such a code from the wire.
  const known = STATUS_CODES.get(code) ?? grpc.status.UNKNOWN;
  return Object.assign(new Error(`${known} ${grpc.status[known]}: ${details}`), {
    code: known,
    details,
    metadata: new grpc.Metadata(),
  });
}

/** The status name of a gRPC status code, e.g. "NOT_FOUND". */
export function statusName(code: grpc.status): string {
  return grpc.status[code];
}

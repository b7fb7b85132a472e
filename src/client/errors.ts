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

/** The status name of a gRPC status code, e.g. "NOT_FOUND". */
export function statusName(code: grpc.status): string {
  return grpc.status[code];
}

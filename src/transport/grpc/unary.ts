import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../log.js';
import { toStatus } from './status.js';

/** Given to handlers that do not take a signal: never aborts, costs nothing per call. */
const NEVER: AbortSignal = new AbortController().signal;

/**
 * Adapts an async handler to grpc-js: errors become statuses in one place, and a handler that declares a second
 * parameter gets an AbortSignal that fires when the client cancels or disconnects before it has answered.
 *
 * Only handlers that take the signal pay for it (an AbortController and a listener per call); grpc-js also emits
 * 'cancelled' after a normal end, which must not abort anything (an abort builds a DOMException with a stack).
 */
export function unary<Request, Response>(
  method: string,
  log: Logger,
  handler: (request: Request, signal: AbortSignal) => Promise<Response>,
): grpc.handleUnaryCall<Request, Response> {
  const fail = (callback: grpc.sendUnaryData<Response>, error: unknown): void => {
    callback(toStatus(error, method, log));
  };
  if (handler.length < 2) {
    return (call, callback) => {
      handler(call.request, NEVER).then(
        (response) => {
          callback(null, response);
        },
        (error: unknown) => {
          fail(callback, error);
        },
      );
    };
  }
  return (call, callback) => {
    const cancelled = new AbortController();
    let answered = false;
    call.once('cancelled', () => {
      if (!answered) cancelled.abort();
    });
    handler(call.request, cancelled.signal).then(
      (response) => {
        answered = true;
        callback(null, response);
      },
      (error: unknown) => {
        answered = true;
        fail(callback, error);
      },
    );
  };
}

import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../log.js';
import { toStatus } from './status.js';

/**
 * Adapts an async handler to grpc-js: errors become statuses in one place, and the handler gets an AbortSignal that
 * fires when the client cancels or disconnects.
 */
export function unary<Request, Response>(
  method: string,
  log: Logger,
  handler: (request: Request, signal: AbortSignal) => Promise<Response>,
): grpc.handleUnaryCall<Request, Response> {
  return (call, callback) => {
    const cancelled = new AbortController();
    call.on('cancelled', () => {
      cancelled.abort();
    });
    handler(call.request, cancelled.signal).then(
      (response) => {
        callback(null, response);
      },
      (error: unknown) => {
        callback(toStatus(error, method, log));
      },
    );
  };
}

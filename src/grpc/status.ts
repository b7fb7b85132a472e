import * as grpc from '@grpc/grpc-js';
import { BatonError } from '../domain/errors.js';
import type { Logger } from '../log.js';

const STATUS_BY_CODE: Record<BatonError['code'], grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ABORTED: grpc.status.ABORTED,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  OUT_OF_RANGE: grpc.status.OUT_OF_RANGE,
  CANCELLED: grpc.status.CANCELLED,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
};

/** The one place errors become gRPC statuses. Anything unexpected is INTERNAL; its stack goes to the log only. */
export function toStatus(error: unknown, method: string, log: Logger): Partial<grpc.StatusObject> {
  if (error instanceof BatonError) {
    if (error.code === 'UNAVAILABLE') log.warn('dependency unavailable', { method, error: error.message });
    return { code: STATUS_BY_CODE[error.code], details: error.message };
  }
  log.error('unexpected error', { method, error: error instanceof Error ? error.stack : String(error) });
  return { code: grpc.status.INTERNAL, details: 'internal error' };
}

/** The status of one refused item of a batch, in the batch response instead of failing the whole call. */
export function itemError(error: unknown, method: string, log: Logger): { code: number; message: string } {
  const status = toStatus(error, method, log);
  return { code: status.code ?? grpc.status.INTERNAL, message: status.details ?? '' };
}

import * as grpc from '@grpc/grpc-js';
import { BatonError, UnavailableError } from '../../domain/errors.js';
import type { Logger } from '../../log.js';

const STATUS_BY_CODE: Record<BatonError['code'], grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  ABORTED: grpc.status.ABORTED,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  OUT_OF_RANGE: grpc.status.OUT_OF_RANGE,
  CANCELLED: grpc.status.CANCELLED,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
};

/** A cause of UNAVAILABLE not seen for this long is a new episode, worth a warning again. */
const EPISODE_GAP_MS = 10_000;

/** When each logger last saw each cause of UNAVAILABLE. */
const lastSeenByLog = new WeakMap<Logger, Map<string, number>>();

/**
 * UNAVAILABLE is logged at warn level once when its cause starts (or comes back after a quiet spell), and at
 * debug level for every call: an outage of Redis must not print a line per call.
 */
function logUnavailable(error: BatonError, method: string, log: Logger): void {
  const reason = error instanceof UnavailableError ? error.reason : 'unavailable';
  let lastSeen = lastSeenByLog.get(log);
  if (!lastSeen) {
    lastSeen = new Map();
    lastSeenByLog.set(log, lastSeen);
  }
  const now = Date.now();
  const previous = lastSeen.get(reason);
  lastSeen.set(reason, now);
  if (previous === undefined || now - previous >= EPISODE_GAP_MS) {
    log.warn('dependency unavailable (further calls failing for this cause are logged at debug level)', {
      method,
      reason,
      error: error.message,
    });
  } else if (log.enabled('debug')) {
    log.debug('dependency unavailable', { method, reason, error: error.message });
  }
}

/** The one place errors become gRPC statuses. Anything unexpected is INTERNAL; its stack goes to the log only. */
export function toStatus(error: unknown, method: string, log: Logger): Partial<grpc.StatusObject> {
  if (error instanceof BatonError) {
    if (error.code === 'UNAVAILABLE') logUnavailable(error, method, log);
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

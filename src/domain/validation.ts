import { invalidArgument } from './errors.js';
import * as limits from './limits.js';
import type { TraceContext } from './task.js';

/** Checks shared by every operation; each throws INVALID_ARGUMENT naming the field and the limit. */

export function checkQueue(queue: string, field = 'queue'): string {
  if (!limits.QUEUE_NAME_PATTERN.test(queue)) {
    throw invalidArgument(field, `"${queue.slice(0, 140)}" must match ${String(limits.QUEUE_NAME_PATTERN)}`);
  }
  return queue;
}

export function checkTaskId(id: string, field = 'task_id'): string {
  if (!limits.TASK_ID_PATTERN.test(id)) {
    throw invalidArgument(field, 'must be 1-128 printable ASCII characters without spaces or braces');
  }
  return id;
}

export function checkTaskType(type: string, field = 'type'): string {
  if (!limits.TASK_TYPE_PATTERN.test(type)) {
    throw invalidArgument(field, 'must be 0-128 printable ASCII characters without spaces');
  }
  return type;
}

/** A concurrency key: its bytes mark the ends of a key's range in the store, so no spaces or control characters. */
export function checkConcurrencyKey(key: string): string {
  if (!limits.CONCURRENCY_KEY_PATTERN.test(key)) {
    throw invalidArgument('concurrency_key', 'must be 1-128 printable ASCII characters without spaces');
  }
  return key;
}

/** A trace context as given, or undefined when both of its fields are empty (none sent). */
export function checkTraceContext(context: TraceContext | undefined): TraceContext | undefined {
  if (context === undefined || (context.traceparent === '' && context.tracestate === '')) return undefined;
  if (!limits.TRACEPARENT_PATTERN.test(context.traceparent)) {
    throw invalidArgument(
      'trace_context.traceparent',
      'must be a W3C traceparent: "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>", lowercase, ids not all zeros',
    );
  }
  if (context.tracestate.length > limits.TRACESTATE_MAX_LENGTH || !limits.TRACESTATE_PATTERN.test(context.tracestate)) {
    throw invalidArgument('trace_context.tracestate', `must be at most ${limits.TRACESTATE_MAX_LENGTH} printable ASCII characters`);
  }
  return { traceparent: context.traceparent, tracestate: context.tracestate };
}

export function checkWorkerId(workerId: string): string {
  if (!limits.WORKER_ID_PATTERN.test(workerId)) {
    throw invalidArgument('worker_id', 'must be 1-128 printable ASCII characters without spaces');
  }
  return workerId;
}

export function checkLeaseToken(token: string): string {
  if (token.length === 0 || token.length > limits.LEASE_TOKEN_MAX_LENGTH) {
    throw invalidArgument('lease_token', `is required and at most ${limits.LEASE_TOKEN_MAX_LENGTH} characters`);
  }
  return token;
}

export function checkIntRange(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(field, `must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function describeMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % limits.DAY_MS === 0 && ms > limits.DAY_MS) return `${ms / limits.DAY_MS}d`;
  if (ms % limits.HOUR_MS === 0) return `${ms / limits.HOUR_MS}h`;
  if (ms % limits.SECOND_MS === 0) return `${ms / limits.SECOND_MS}s`;
  return `${ms}ms`;
}

export function checkDuration(ms: number, field: string, minMs: number, maxMs: number): number {
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    throw invalidArgument(field, `must be from ${describeMs(minMs)} to ${describeMs(maxMs)}, got ${ms}ms`);
  }
  return ms;
}

export function checkBytes(bytes: Buffer, field: string, maxBytes: number): Buffer {
  if (bytes.length > maxBytes) {
    throw invalidArgument(field, `is ${bytes.length} bytes; the limit is ${maxBytes} bytes`);
  }
  return bytes;
}

export function checkMetadata(metadata: Record<string, string>, field = 'metadata'): Record<string, string> {
  const entries = Object.entries(metadata);
  if (entries.length > limits.METADATA_MAX_ENTRIES) {
    throw invalidArgument(field, `has ${entries.length} entries; the limit is ${limits.METADATA_MAX_ENTRIES}`);
  }
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > limits.METADATA_KEY_MAX_LENGTH) {
      throw invalidArgument(field, `keys must be 1-${limits.METADATA_KEY_MAX_LENGTH} characters`);
    }
    if (value.length > limits.METADATA_VALUE_MAX_LENGTH) {
      throw invalidArgument(
        `${field}["${key}"]`,
        `is ${value.length} characters; the limit is ${limits.METADATA_VALUE_MAX_LENGTH}`,
      );
    }
  }
  return metadata;
}

export function checkMaxLength(text: string, field: string, max: number): string {
  if (text.length > max) throw invalidArgument(field, `is ${text.length} characters; the limit is ${max}`);
  return text;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Epoch ms within 1970..9999: earlier makes no sense for scheduling, later is outside google.protobuf.Timestamp. */
export function checkTimestamp(ms: number, field: string): number {
  if (!Number.isFinite(ms) || ms < 0 || ms > 253_402_300_799_999) {
    throw invalidArgument(field, 'must be a time from 1970 to 9999');
  }
  return ms;
}

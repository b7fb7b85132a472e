import type { Input } from './client.js';
import type { RunTaskRequest, SubmitTaskRequest, SubmitTasksRequest, Task } from './contract.js';
import { PermanentError } from './errors.js';
import { activeTraceContext } from './tracing.js';

/** Bytes as the SDK takes them for a payload or a result: a string is its UTF-8, a Buffer or Uint8Array is sent as is. */
export type Bytes = Buffer | Uint8Array | string;

/**
 * A task to submit: SubmitTaskRequest, with its payload given as bytes, as a string (stored as its UTF-8 bytes), or
 * as a JSON value:
 *
 * ```ts
 * await client.submitTask({ queue: 'emails', json: { to: 'ada@example.com' } });
 * // in the worker's handler: const { to } = ctx.json<{ to: string }>();
 * ```
 */
export interface SubmitTaskInput extends Omit<Input<typeof SubmitTaskRequest>, 'payload'> {
  /** The payload: a string is stored as its UTF-8 bytes, a Buffer or Uint8Array byte for byte. */
  payload?: Bytes;
  /**
   * The payload as JSON: stored as the UTF-8 of `JSON.stringify(json)`, read back in a handler with `ctx.json()`.
   * Give `payload` or `json`, not both; submitting a value with no JSON form (a function, a symbol) throws a TypeError.
   */
  json?: unknown;
}

/** SubmitTasksRequest whose items are SubmitTaskInputs. */
export interface SubmitTasksInput extends Omit<Input<typeof SubmitTasksRequest>, 'requests'> {
  requests?: SubmitTaskInput[];
}

/** RunTaskRequest whose task is a SubmitTaskInput. */
export interface RunTaskInput extends Omit<Input<typeof RunTaskRequest>, 'task'> {
  task?: SubmitTaskInput;
}

/**
 * A string as its UTF-8 bytes; bytes as they are. (Given a string for a bytes field, the protobuf layer would decode
 * it as base64.)
 */
export function toBytes(value: Bytes): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * The SubmitTaskRequest for `input`: its payload as bytes, and, unless it names one, the trace context of the span
 * active now (see tracing.ts).
 */
export function toSubmitRequest(input: SubmitTaskInput): Input<typeof SubmitTaskRequest> {
  const { payload, json } = input;
  const traceContext = input.trace_context ?? activeTraceContext();
  const traced = traceContext === undefined ? {} : { trace_context: traceContext };
  if (json === undefined) return { ...input, ...traced, payload: payload === undefined ? undefined : toBytes(payload) };
  if (payload !== undefined) throw new TypeError("give a task's payload or its json, not both");
  // Typed as string, but undefined for a function, a symbol or undefined itself.
  const text = JSON.stringify(json) as string | undefined;
  if (text === undefined) throw new TypeError(`json: a ${typeof json} has no JSON form`);
  const request = { ...input, ...traced, payload: Buffer.from(text, 'utf8') };
  delete request.json;
  return request;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The task's payload parsed as UTF-8 JSON; a PermanentError naming the task when it is not. */
export function payloadJson(task: Task): unknown {
  try {
    return JSON.parse(UTF8.decode(task.payload));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PermanentError(`task ${task.id} (queue ${task.queue}): the payload is not JSON: ${reason}`, { cause: error });
  }
}

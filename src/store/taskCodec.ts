import { queueOfAddress } from '../domain/partitions.js';
import {
  DEFAULT_BACKOFF_MULTIPLIER,
  DEFAULT_INITIAL_BACKOFF_MS,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_BACKOFF_MS,
} from '../domain/limits.js';
import { CHILD_FAILURE_POLICIES, TASK_EVENT_TYPES, TASK_STATES } from '../domain/task.js';
import type { NewTask, Task, TaskErrorRecord, TaskEvent, TaskState } from '../domain/task.js';
import { MsgpackReader } from './msgpack.js';

/** A script reply: bulk strings arrive as Buffers (binary-safe), integers as numbers. */
export type Reply = Buffer | number | null | Reply[];

/** Number of a state in the Lua scripts (and in the proto enum). */
export function stateNumber(state: TaskState): number {
  return TASK_STATES.indexOf(state) + 1;
}

/** A task's state when its record leaves it out (see lua/includes/record.lua). */
const DEFAULT_STATE = stateNumber('PENDING');

export function stateOf(value: number): TaskState {
  const state = TASK_STATES[value - 1];
  if (state === undefined) throw new Error(`unknown task state number ${value}`);
  return state;
}

export function asArray(reply: Reply): Reply[] {
  if (!Array.isArray(reply)) throw new Error('malformed script reply: expected an array');
  return reply;
}

export function asNumber(reply: Reply | undefined): number {
  if (typeof reply === 'number') return reply;
  if (Buffer.isBuffer(reply)) return Number(reply.toString());
  throw new Error('malformed script reply: expected a number');
}

export function asString(reply: Reply | undefined): string {
  if (Buffer.isBuffer(reply)) return reply.toString();
  if (typeof reply === 'number') return String(reply);
  throw new Error('malformed script reply: expected a string');
}

interface StoredError {
  ty: string;
  me: string;
  de: string;
  a: number;
  t: number;
}

function decodeErrors(json: string): TaskErrorRecord[] {
  // cjson encodes an empty list as {}.
  const stored = JSON.parse(json) as StoredError[] | Record<string, never>;
  if (!Array.isArray(stored)) return [];
  return stored.map((e) => ({ type: e.ty, message: e.me, details: e.de, attempt: e.a, time: e.t }));
}

/** A field name of one or two ASCII bytes as a number (first byte + 256 × second), read without a string. */
function code(name: string): number {
  return name.charCodeAt(0) + (name.length > 1 ? name.charCodeAt(1) * 256 : 0);
}

/** The record's field names (see lua/includes/record.lua) as key codes (see MsgpackReader.keyCode). */
const F = {
  s: code('s'),
  p: code('p'),
  r: code('r'),
  m: code('m'),
  e: code('e'),
  w: code('w'),
  pr: code('pr'),
  a: code('a'),
  ma: code('ma'),
  ct: code('ct'),
  ut: code('ut'),
  sc: code('sc'),
  st: code('st'),
  et: code('et'),
  xt: code('xt'),
  lx: code('lx'),
  cr: code('cr'),
  ld: code('ld'),
  bi: code('bi'),
  bx: code('bx'),
  bm: code('bm'),
  bj: code('bj'),
  pc: code('pc'),
  pt: code('pt'),
  pm: code('pm'),
  ty: code('ty'),
  tp: code('tp'),
  tt: code('tt'),
  uk: code('uk'),
  pq: code('pq'),
  pi: code('pi'),
  rq: code('rq'),
  ri: code('ri'),
  fp: code('fp'),
  nc: code('nc'),
  ck: code('ck'),
} as const;

/**
 * Decodes a task reply: `{ id, record }`, the record being the msgpack map the scripts store (see
 * lua/includes/record.lua), or part of it.
 *
 * On the hot path of every claim and completion: one pass over the map, a switch on the field name, no
 * intermediate object and no string per field name.
 */
export function decodeTask(queue: string, reply: Reply): Task {
  const [id, record] = asArray(reply);
  return decodeTaskRecord(queue, id, record);
}

/** Decodes a task from its id and record, as batch replies list them (flat, several values per task). */
export function decodeTaskRecord(queue: string, id: Reply | undefined, record: Reply | undefined): Task {
  if (!Buffer.isBuffer(record)) throw new Error('malformed script reply: expected a task record');
  return decodeRecord(queue, asString(id ?? null), record);
}

/** Maps every three values of a flat batch reply (three per task), in order. */
export function mapTriples<T>(
  reply: Reply,
  map: (first: Reply | undefined, second: Reply | undefined, third: Reply | undefined, index: number) => T,
): T[] {
  const flat = asArray(reply);
  if (flat.length % 3 !== 0) throw new Error(`malformed script reply: ${flat.length} values, not groups of 3`);
  const mapped: T[] = [];
  for (let at = 0; at < flat.length; at += 3) mapped.push(map(flat[at], flat[at + 1], flat[at + 2], at / 3));
  return mapped;
}

function decodeRecord(address: string, id: string, record: Buffer): Task {
  // A task of any partition is its queue's task.
  const queue = queueOfAddress(address);
  const reader = new MsgpackReader(record);
  // Not stored either when at their defaults: the state PENDING, and update and schedule times equal to the create
  // time (as on a task just submitted).
  let state = DEFAULT_STATE;
  let payload: Buffer | undefined;
  let result: Buffer | undefined;
  let metadata: string | undefined;
  let errors: string | undefined;
  let workerId: string | undefined;
  let priority = 0;
  let attempt = 0;
  let maxAttempts = DEFAULT_MAX_ATTEMPTS;
  let createTime = 0;
  let updateTime: number | undefined;
  let scheduleTime: number | undefined;
  let startTime: number | undefined;
  let endTime: number | undefined;
  let expireTime: number | undefined;
  let leaseExpiry: number | undefined;
  let cancelRequested = 0;
  // Fields at their defaults are not stored (see lua/includes/record.lua).
  let leaseDurationMs = DEFAULT_LEASE_MS;
  let initialBackoffMs = DEFAULT_INITIAL_BACKOFF_MS;
  let maxBackoffMs: number | undefined;
  let multiplier = DEFAULT_BACKOFF_MULTIPLIER * 1000;
  let jitter = 0;
  let progressCurrent: number | undefined;
  let progressTotal = 0;
  let progressMessage = '';
  let type = '';
  let traceparent: string | undefined;
  let tracestate = '';
  let uniqueKey: string | undefined;
  let parentQueue = '';
  let parentId: string | undefined;
  let rootQueue = '';
  let rootId: string | undefined;
  let failurePolicy = 1;
  let childCount: number | undefined;
  let concurrencyKey: string | undefined;
  for (let fields = reader.mapLength(); fields > 0; fields--) {
    switch (reader.keyCode()) {
      case F.s: state = reader.number(); break;
      case F.p: payload = reader.bytes(); break;
      case F.r: result = reader.bytes(); break;
      case F.m: metadata = reader.text(); break;
      case F.e: errors = reader.text(); break;
      case F.w: workerId = reader.text(); break;
      case F.pr: priority = reader.number(); break;
      case F.a: attempt = reader.number(); break;
      case F.ma: maxAttempts = reader.number(); break;
      case F.ct: createTime = reader.number(); break;
      case F.ut: updateTime = reader.number(); break;
      case F.sc: scheduleTime = reader.number(); break;
      case F.st: startTime = reader.number(); break;
      case F.et: endTime = reader.number(); break;
      case F.xt: expireTime = reader.number(); break;
      case F.lx: leaseExpiry = reader.number(); break;
      case F.cr: cancelRequested = reader.number(); break;
      case F.ld: leaseDurationMs = reader.number(); break;
      case F.bi: initialBackoffMs = reader.number(); break;
      case F.bx: maxBackoffMs = reader.number(); break;
      case F.bm: multiplier = reader.number(); break;
      case F.bj: jitter = reader.number(); break;
      case F.pc: progressCurrent = reader.number(); break;
      case F.pt: progressTotal = reader.number(); break;
      case F.pm: progressMessage = reader.text(); break;
      case F.ty: type = reader.text(); break;
      case F.tp: traceparent = reader.text(); break;
      case F.tt: tracestate = reader.text(); break;
      case F.uk: uniqueKey = reader.text(); break;
      case F.pq: parentQueue = reader.text(); break;
      case F.pi: parentId = reader.text(); break;
      case F.rq: rootQueue = reader.text(); break;
      case F.ri: rootId = reader.text(); break;
      case F.fp: failurePolicy = reader.number(); break;
      case F.nc: childCount = reader.number(); break;
      case F.ck: concurrencyKey = reader.text(); break;
      default: reader.skip(); break; // the lease token, or a field a newer replica wrote
    }
  }
  const stateName = stateOf(state);
  const task: Task = {
    queue,
    id,
    state: stateName,
    metadata: metadata === undefined ? {} : (JSON.parse(metadata) as Record<string, string>),
    priority,
    attempt,
    maxAttempts,
    createTime,
    updateTime: updateTime ?? createTime,
    scheduleTime: scheduleTime ?? createTime,
    errors: errors === undefined ? [] : decodeErrors(errors),
    cancelRequested: cancelRequested === 1,
    leaseDurationMs,
    retryPolicy: {
      initialBackoffMs,
      maxBackoffMs: maxBackoffMs ?? defaultMaxBackoff(initialBackoffMs),
      multiplier: multiplier / 1000,
      jitter: jitter / 1000,
    },
    type,
  };
  if (payload !== undefined) task.payload = payload;
  if (result !== undefined) task.result = result;
  if (startTime !== undefined) task.startTime = startTime;
  if (endTime !== undefined) task.endTime = endTime;
  if (expireTime !== undefined) task.expireTime = expireTime;
  if (stateName === 'ACTIVE' && workerId !== undefined && leaseExpiry !== undefined) {
    task.lease = { workerId, expireTime: leaseExpiry };
  }
  if (traceparent !== undefined) task.traceContext = { traceparent, tracestate };
  if (uniqueKey !== undefined) task.uniqueKey = uniqueKey;
  if (parentId !== undefined) {
    task.parent = { queue: parentQueue, id: parentId, failurePolicy: CHILD_FAILURE_POLICIES[failurePolicy - 1] ?? 'FAIL_PARENT' };
  }
  if (rootId !== undefined) task.root = { queue: rootQueue, id: rootId };
  if (childCount !== undefined) task.childCount = childCount;
  if (concurrencyKey !== undefined) task.concurrencyKey = concurrencyKey;
  if (progressCurrent !== undefined) {
    task.progress = { current: progressCurrent, total: progressTotal, message: progressMessage };
  }
  return task;
}

function defaultMaxBackoff(initialBackoffMs: number): number {
  return Math.max(DEFAULT_MAX_BACKOFF_MS, initialBackoffMs);
}

/** Empty for a retry policy field at its default, which the script then leaves out of the record. */
function unlessDefault(value: number, fallback: number): number | '' {
  return value === fallback ? '' : value;
}

/** The TASK_FIELDS ARGV group of one new task, in the order newTask in lua/includes/newTask.lua reads. */
export function encodeNewTask(task: NewTask): (string | Buffer | number)[] {
  const { initialBackoffMs, maxBackoffMs, multiplier, jitter } = task.retryPolicy;
  return [
    task.id,
    task.payload,
    Object.keys(task.metadata).length === 0 ? '' : JSON.stringify(task.metadata),
    task.priority,
    task.delayMs,
    task.scheduleTime ?? 0,
    task.maxAttempts,
    task.leaseDurationMs,
    task.expireTime ?? 0,
    unlessDefault(initialBackoffMs, DEFAULT_INITIAL_BACKOFF_MS),
    unlessDefault(maxBackoffMs, defaultMaxBackoff(initialBackoffMs)),
    unlessDefault(Math.round(multiplier * 1000), DEFAULT_BACKOFF_MULTIPLIER * 1000),
    unlessDefault(Math.round(jitter * 1000), 0),
    task.type,
    task.traceContext?.traceparent ?? '',
    task.traceContext?.tracestate ?? '',
  ];
}

/** submit.lua's mode letters (see lua/includes/uniqueKeys.lua). */
const UNIQUE_MODE_LETTERS = { window: 'w', until_finished: 'f', debounce: 'd' } as const;

/** submit.lua's unique items after the task groups: their count, then per item its number (from 1), key, mode, ms. */
export function encodeUniques(tasks: readonly NewTask[]): (string | number)[] {
  const items: (string | number)[] = [0];
  tasks.forEach((task, index) => {
    if (task.unique === undefined) return;
    items.push(index + 1, task.unique.key, UNIQUE_MODE_LETTERS[task.unique.mode], task.unique.ms);
  });
  items[0] = (items.length - 1) / 4;
  return items;
}

/** The fail script's fallbacks for retry policy fields a task leaves out. */
export const RETRY_DEFAULTS_ARGV = [
  DEFAULT_INITIAL_BACKOFF_MS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_BACKOFF_MULTIPLIER * 1000,
] as const;

/** Decodes one stream entry written by emit/emitQueueEvent (lua/includes/emit.lua, emitQueueEvent.lua). */
export function decodeEvent(address: string, position: string, fields: Reply[]): TaskEvent {
  const queue = queueOfAddress(address);
  let type = '';
  let workerId: string | undefined;
  let count: number | undefined;
  let id: string | undefined;
  let snapshot: Buffer | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = asString(fields[i]);
    const value = fields[i + 1] ?? null;
    if (name === 'ev') type = asString(value);
    else if (name === 'ew') workerId = asString(value);
    else if (name === 'n') count = asNumber(value);
    else if (name === 'id') id = asString(value);
    else if (name === 't' && Buffer.isBuffer(value)) snapshot = value;
  }
  const eventType = TASK_EVENT_TYPES.find((t) => t === type);
  if (eventType === undefined) throw new Error(`unknown event type "${type}"`);
  const event: TaskEvent = { position, type: eventType, time: Number(position.split('-')[0]), queue };
  if (id !== undefined && snapshot !== undefined) event.task = decodeRecord(queue, id, snapshot);
  if (workerId !== undefined) event.workerId = workerId;
  if (count !== undefined) event.count = count;
  return event;
}

/** The arguments after submit.lua's task groups: how many tasks have a concurrency key, then each one's place and key. */
export function encodeConcurrencyKeys(tasks: readonly NewTask[]): (string | number)[] {
  const keyed: (string | number)[] = [0];
  tasks.forEach((task, at) => {
    if (task.concurrencyKey !== undefined) keyed.push(at + 1, task.concurrencyKey);
  });
  keyed[0] = (keyed.length - 1) / 2;
  return keyed;
}

import { TASK_STATES } from '../domain/task.js';
import type { NewTask, Task, TaskErrorRecord, TaskState } from '../domain/task.js';

/** A script reply: bulk strings arrive as Buffers (binary-safe), integers as numbers. */
export type Reply = Buffer | number | null | Reply[];

/** Number of a state in the Lua scripts (and in the proto enum). */
export function stateNumber(state: TaskState): number {
  return TASK_STATES.indexOf(state) + 1;
}

function stateOf(value: number): TaskState {
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

/** Decodes a task reply: `id`, then field/value pairs of the stored record (see lua/includes/queue.lua). */
export function decodeTask(queue: string, reply: Reply): Task {
  const flat = asArray(reply);
  const fields = new Map<string, Reply>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(asString(flat[i]), flat[i + 1] ?? null);
  const number = (name: string): number | undefined => {
    const value = fields.get(name);
    return value === undefined || value === null ? undefined : asNumber(value);
  };
  const text = (name: string): string | undefined => {
    const value = fields.get(name);
    return value === undefined || value === null ? undefined : asString(value);
  };
  const bytes = (name: string): Buffer | undefined => {
    const value = fields.get(name);
    return Buffer.isBuffer(value) ? value : undefined;
  };

  const state = stateOf(number('s') ?? 0);
  const metadata = text('m');
  const errors = text('e');
  const workerId = text('w');
  const leaseExpiry = number('lx');
  const progressCurrent = number('pc');
  const task: Task = {
    queue,
    id: text('id') ?? '',
    state,
    metadata: metadata === undefined ? {} : (JSON.parse(metadata) as Record<string, string>),
    priority: number('pr') ?? 0,
    attempt: number('a') ?? 0,
    maxAttempts: number('ma') ?? 0,
    createTime: number('ct') ?? 0,
    updateTime: number('ut') ?? 0,
    scheduleTime: number('sc') ?? 0,
    errors: errors === undefined ? [] : decodeErrors(errors),
    cancelRequested: (number('cr') ?? 0) === 1,
    leaseDurationMs: number('ld') ?? 0,
    retryPolicy: {
      initialBackoffMs: number('bi') ?? 0,
      maxBackoffMs: number('bx') ?? 0,
      multiplier: (number('bm') ?? 0) / 1000,
      jitter: (number('bj') ?? 0) / 1000,
    },
  };
  const payload = bytes('p');
  if (payload !== undefined) task.payload = payload;
  const result = bytes('r');
  if (result !== undefined) task.result = result;
  const startTime = number('st');
  if (startTime !== undefined) task.startTime = startTime;
  const endTime = number('et');
  if (endTime !== undefined) task.endTime = endTime;
  const expireTime = number('xt');
  if (expireTime !== undefined) task.expireTime = expireTime;
  if (state === 'ACTIVE' && workerId !== undefined && leaseExpiry !== undefined) {
    task.lease = { workerId, expireTime: leaseExpiry };
  }
  if (progressCurrent !== undefined) {
    task.progress = { current: progressCurrent, total: number('pt') ?? 0, message: text('pm') ?? '' };
  }
  return task;
}

/** The TASK_FIELDS ARGV group of one new task, in the order newTask in lua/includes/queue.lua reads. */
export function encodeNewTask(task: NewTask): (string | Buffer | number)[] {
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
    task.retryPolicy.initialBackoffMs,
    task.retryPolicy.maxBackoffMs,
    Math.round(task.retryPolicy.multiplier * 1000),
    Math.round(task.retryPolicy.jitter * 1000),
  ];
}

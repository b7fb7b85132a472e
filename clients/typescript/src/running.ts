import type { ChildTask, Progress } from './contract.js';
import type { Task, TaskContext } from './handler.js';
import { Lease } from './heartbeats.js';
import { payloadJson } from './payloads.js';
import type { TaskLog } from './taskLog.js';

/** One claimed task while this worker holds it. */
export interface Running {
  task: Task;
  token: string;
  /** Made when the handler first reads ctx.signal: most handlers never do, and an AbortController is not free. */
  controller: AbortController | undefined;
  /** Why the handler was told to stop, once it was. */
  abortReason: unknown;
  /** Kept alive by heartbeats (see LeaseKeeper); says whether it was lost or the task cancelled. */
  lease: Lease;
  /** Shutdown gave the task back while the handler still ran. */
  released: boolean;
  /**
   * waiting: received, its handler not started yet; running: the handler runs; reporting: its outcome is being
   * sent; over: nothing more to do for it.
   */
  phase: 'waiting' | 'running' | 'reporting' | 'over';
  /** Its handler was started: it holds a handler slot until the handler returns. */
  started: boolean;
  /** It no longer counts against the worker's window (see letGo). */
  letGo: boolean;
  /** Who waits for the task to be over for this worker (shutdown); made when someone first does. */
  overWaiters: (() => void)[] | undefined;
  /** Its log lines (ctx.log), made at the first. */
  log: TaskLog | undefined;
}

/** The result of a handler that returns nothing: shared, since no one can change an empty buffer. */
export const NO_RESULT = Buffer.alloc(0);

export function toResultBytes(value: unknown): Buffer {
  if (value === undefined) return NO_RESULT;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`a handler must return a Buffer, Uint8Array, string or nothing, not ${typeof value}`);
}

export function signalOf(entry: Running): AbortSignal {
  if (!entry.controller) {
    entry.controller = new AbortController();
    if (entry.abortReason !== undefined) entry.controller.abort(entry.abortReason);
  }
  return entry.controller.signal;
}

export function abortHandler(entry: Running, reason: unknown): void {
  if (entry.abortReason !== undefined) return;
  entry.abortReason = reason;
  entry.controller?.abort(reason);
}

/** A task just received, before its handler starts. */
export function newRunning(task: Task, token: string): Running {
  return {
    task,
    token,
    controller: undefined,
    abortReason: undefined,
    lease: new Lease(),
    released: false,
    phase: 'waiting',
    started: false,
    letGo: false,
    overWaiters: undefined,
    log: undefined,
  };
}

/** What a task's ctx reaches in its worker. */
export interface ContextParts {
  workerId: string;
  reportProgress(entry: Running, progress: Progress): Promise<void>;
  newLog(entry: Running): TaskLog;
  childResults(entry: Running): Promise<ChildTask[]>;
}

/** The handler's window onto `entry`. */
export function taskContext(entry: Running, parts: ContextParts): TaskContext {
  return new HandlerContext(entry, parts);
}

/**
 * A handler's ctx. Its functions are made when first read, as most handlers use few of them or none, and each is
 * bound to its task, so that `const { log } = ctx` works.
 */
class HandlerContext implements TaskContext {
  readonly #entry: Running;
  readonly #parts: ContextParts;

  constructor(entry: Running, parts: ContextParts) {
    this.#entry = entry;
    this.#parts = parts;
  }

  get signal(): AbortSignal {
    return signalOf(this.#entry);
  }

  get workerId(): string {
    return this.#parts.workerId;
  }

  get progress(): TaskContext['progress'] {
    const [entry, parts] = [this.#entry, this.#parts];
    return (current, total = 0, message = '') => parts.reportProgress(entry, { current, total, message });
  }

  get log(): TaskContext['log'] {
    const [entry, parts] = [this.#entry, this.#parts];
    return (...args) => {
      (entry.log ??= parts.newLog(entry)).log(args);
    };
  }

  get json(): TaskContext['json'] {
    const task = this.#entry.task;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- as TaskContext.json
    return <T>() => payloadJson(task) as T;
  }

  get childResults(): TaskContext['childResults'] {
    const [entry, parts] = [this.#entry, this.#parts];
    return () => (entry.task.child_count > 0 ? parts.childResults(entry) : Promise.resolve([]));
  }
}

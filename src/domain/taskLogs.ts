import { invalidArgument, taskNotFound } from './errors.js';
import * as limits from './limits.js';
import * as check from './validation.js';
import { TERMINAL_STATES } from './task.js';
import type { TaskState } from './task.js';

/** One stored line of a task's log. */
export interface TaskLogLine {
  /** 1 for the task's first line, one more for each next (dropped lines leave their positions unused). */
  position: number;
  timeMs: number;
  attempt: number;
  text: string;
  /** The worker's line was longer than TASK_LOG_LINE_MAX_BYTES and was cut. */
  truncated: boolean;
}

/** A line as a worker logs it. */
export interface LogEntryInput {
  text: string;
  /** Unset: the server's clock when it is stored. */
  timeMs?: number;
  /** The client cut it already. */
  truncated?: boolean;
}

export interface AppendLogsInput {
  queue: string;
  taskId: string;
  leaseToken: string;
  lines: readonly LogEntryInput[];
}

/** A line ready to store: its text within the line limit, and whether it had to be cut. */
export interface StoredLogEntry {
  text: string;
  /** -1: now. */
  timeMs: number;
  truncated: boolean;
}

/** Where a task's log stands: positions of its oldest and newest lines kept (0 and 0 when it has none). */
export interface LogSpan {
  firstPosition: number;
  lastPosition: number;
}

export interface TaskLogPage extends LogSpan {
  lines: TaskLogLine[];
  state: TaskState;
}

/** What task logs need from storage: each method one atomic operation on the task's queue slot. */
export interface LogStore {
  /** Appends under the caller's lease, then drops the oldest lines past the bounds. */
  append(queue: string, id: string, leaseToken: string, lines: readonly StoredLogEntry[], bounds: LogBounds): Promise<LogSpan>;
  /** The task's state and up to `limit` lines after `after`; undefined when the task does not exist. */
  read(queue: string, id: string, after: number, limit: number): Promise<TaskLogPage | undefined>;
  /** Calls `onAppend` whenever lines were appended to a task, on any replica. */
  subscribeToAppends(onAppend: (queue: string, id: string) => void): Promise<() => Promise<void>>;
}

export interface LogBounds {
  lines: number;
  bytes: number;
}

const BOUNDS: LogBounds = { lines: limits.TASK_LOG_LINES_MAX, bytes: limits.TASK_LOG_BYTES_MAX };

/** `text` cut to at most `maxBytes` of UTF-8, never inside a character. */
export function cutToBytes(text: string, maxBytes: number): { text: string; truncated: boolean } {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return { text, truncated: false };
  const bytes = Buffer.from(text);
  let end = maxBytes;
  // Back off continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: bytes.toString('utf8', 0, end), truncated: true };
}

/**
 * Task logs: workers append lines to the tasks they hold; anyone allowed to read the task reads them, by page or by
 * following them as they come (woken by the store when lines are appended, and rereading now and then to see the
 * task finish).
 */
export class TaskLogs {
  private readonly waiting = new Map<string, Set<() => void>>();
  private subscription: Promise<() => Promise<void>> | undefined;

  constructor(
    private readonly store: LogStore,
    private readonly pollMs = limits.TASK_LOG_FOLLOW_POLL_MS,
  ) {}

  async append(input: AppendLogsInput): Promise<LogSpan> {
    check.checkQueue(input.queue);
    check.checkTaskId(input.taskId);
    check.checkLeaseToken(input.leaseToken);
    const count = input.lines.length;
    if (count === 0 || count > limits.TASK_LOG_APPEND_MAX_LINES) {
      throw invalidArgument('lines', `must hold 1 to ${limits.TASK_LOG_APPEND_MAX_LINES} lines, got ${count}`);
    }
    const lines = input.lines.map((line, i): StoredLogEntry => {
      const timeMs = line.timeMs === undefined ? -1 : check.checkTimestamp(line.timeMs, `lines[${i}].time`);
      const { text, truncated } = cutToBytes(line.text, limits.TASK_LOG_LINE_MAX_BYTES);
      return { text, truncated: truncated || line.truncated === true, timeMs };
    });
    return this.store.append(input.queue, input.taskId, input.leaseToken, lines, BOUNDS);
  }

  /** Up to `pageSize` lines after position `after` (0: from the oldest kept), oldest first. */
  async read(queue: string, taskId: string, after: number, pageSize: number): Promise<TaskLogPage> {
    check.checkQueue(queue);
    check.checkTaskId(taskId);
    check.checkIntRange(after, 'after_position', 0, Number.MAX_SAFE_INTEGER);
    const limit = pageSize === 0 ? limits.PAGE_SIZE_DEFAULT : check.checkIntRange(pageSize, 'page_size', 1, limits.PAGE_SIZE_MAX);
    const page = await this.store.read(queue, taskId, after, limit);
    if (!page) throw taskNotFound(queue, taskId);
    return page;
  }

  /**
   * Hands every line after `after` to `deliver` as it is appended, in order, each once; waits for `deliver` before
   * reading on, so a slow reader slows only itself. Returns once the task is finished and its lines delivered, when
   * the task is deleted, or when `signal` aborts. NOT_FOUND when the task does not exist at the start.
   */
  async follow(
    queue: string,
    taskId: string,
    after: number,
    deliver: (lines: TaskLogLine[]) => Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    check.checkQueue(queue);
    check.checkTaskId(taskId);
    check.checkIntRange(after, 'after_position', 0, Number.MAX_SAFE_INTEGER);
    await this.subscribe();
    let position = after;
    for (let first = true; !signal.aborted; first = false) {
      // Waiting starts before the read, so lines appended while it runs still wake this follower.
      const appended = this.nextAppend(queue, taskId, signal);
      const page = await this.store.read(queue, taskId, position, limits.TASK_LOG_LINES_MAX).catch((error: unknown) => {
        appended.cancel();
        throw error;
      });
      if (!page) {
        appended.cancel();
        if (first) throw taskNotFound(queue, taskId);
        return;
      }
      if (page.lines.length > 0) {
        await deliver(page.lines);
        position = page.lines[page.lines.length - 1]?.position ?? position;
      }
      // A finished task's lease is gone, so nothing can append to it any more: that read had every line.
      if (TERMINAL_STATES.has(page.state)) {
        appended.cancel();
        return;
      }
      await appended.done;
    }
  }

  async close(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    const unsubscribe = await subscription?.catch(() => undefined);
    await unsubscribe?.();
  }

  private subscribe(): Promise<unknown> {
    if (!this.subscription) {
      const subscription = this.store.subscribeToAppends((queue, id) => {
        const wakers = this.waiting.get(waitKey(queue, id));
        if (wakers) for (const wake of wakers) wake();
      });
      subscription.catch(() => {
        if (this.subscription === subscription) this.subscription = undefined;
      });
      this.subscription = subscription;
    }
    return this.subscription;
  }

  /** Resolves when lines are appended to the task, after pollMs, or on abort; `cancel` stops waiting at once. */
  private nextAppend(queue: string, id: string, signal: AbortSignal): { done: Promise<void>; cancel(): void } {
    const key = waitKey(queue, id);
    let wake = (): void => undefined;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake();
      }, this.pollMs);
      wake = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', wake);
        const wakers = this.waiting.get(key);
        wakers?.delete(wake);
        if (wakers?.size === 0) this.waiting.delete(key);
        resolve();
      };
      signal.addEventListener('abort', wake, { once: true });
      let wakers = this.waiting.get(key);
      if (!wakers) {
        wakers = new Set();
        this.waiting.set(key, wakers);
      }
      wakers.add(wake);
    });
    return { done, cancel: () => { wake(); } };
  }
}

function waitKey(queue: string, id: string): string {
  return `${queue} ${id}`;
}

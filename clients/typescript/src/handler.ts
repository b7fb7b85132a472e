import type { ChildTask, Task as TaskMessage } from './contract.js';

/** A task as the handler receives it (payload included). */
export type Task = TaskMessage;

/** What a handler may return: the bytes stored as the task's result (a string is stored as UTF-8). */
export type TaskResult = Buffer | Uint8Array | string | undefined;

/** The handler's window onto its running task. */
export interface TaskContext {
  /**
   * Fires when the handler should stop: the task was cancelled (reason: TaskCancelledError), the lease was lost
   * (LeaseLostError), or the worker shut down before the handler finished (WorkerClosingError). Pass it to fetch(),
   * timers and child processes, or check `signal.throwIfAborted()` between steps.
   */
  readonly signal: AbortSignal;
  /** The id this worker claims under. */
  readonly workerId: string;
  /**
   * Reports progress with the next heartbeat, sent at once. Resolves when the server has it (or the task is over);
   * never rejects, so it need not be awaited.
   */
  progress(current: number, total?: number, message?: string): Promise<void>;
  /**
   * Appends to the task's log (read with `baton logs`, GetTaskLogs or the dashboard), formatted as console.log
   * does; each line of the text is one log line, cut to 4 KiB. Lines are batched and stored before the task's
   * outcome. Never throws: a failed append goes to the worker's 'error' event.
   */
  log(...args: unknown[]): void;
  /**
   * The task's payload parsed as UTF-8 JSON (as `submitTask({ queue, json })` stores it), typed as the caller says;
   * nothing checks the shape. Throws a PermanentError naming the task when the payload is not JSON, so a handler
   * that lets it propagate fails the task at once instead of retrying input that will not change.
   */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the type it expects
  json<T = unknown>(): T;
  /**
   * A parent's children (SubmitFlow, chain, group) with their results, in submit order: the state each finished in,
   * its result bytes (SUCCEEDED) or last error. Empty for a task without children.
   */
  childResults(): Promise<ChildTask[]>;
}

/** Runs one task. Return its result (or nothing); throw to fail it. */
export type Handler = (
  task: Task,
  ctx: TaskContext,
  // A handler with nothing to return is typed as returning void; accepting it is the point.
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
) => Promise<TaskResult | void> | TaskResult | void;

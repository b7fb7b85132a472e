import { BatonError } from './errors.js';
import type { EventHub, EventSink, WatchFilter, WatchStart } from './events.js';
import { watchEvents } from './events.js';
import type { SubmitInput } from './inputs.js';
import type { Lifecycle } from './lifecycle.js';
import * as limits from './limits.js';
import type { TaskStore } from './store.js';
import { TERMINAL_STATES } from './task.js';
import type { Task } from './task.js';
import * as check from './validation.js';

export interface WaitOutcome {
  task: Task;
  /** The task reached a terminal state (otherwise the wait timed out and `task` is its current snapshot). */
  finished: boolean;
}

/** Following tasks as they change: streams of a queue's events, waiting for one task, submit-and-wait. */
export class Updates {
  constructor(
    private readonly store: TaskStore,
    private readonly hub: EventHub,
    private readonly lifecycle: Lifecycle,
    /** RunTask with require_worker: a queue counts as served when a worker claimed from it this recently. */
    private readonly servedWithinMs: number,
  ) {}

  async watch(
    queue: string,
    start: WatchStart,
    filter: WatchFilter,
    sink: EventSink,
    signal: AbortSignal,
  ): Promise<void> {
    check.checkQueue(queue);
    if (filter.taskId !== undefined) check.checkTaskId(filter.taskId);
    await watchEvents(this.store, this.hub, queue, start, filter, sink, signal);
  }

  /** Returns as soon as the task is terminal, or its current snapshot when `timeoutMs` passes. */
  async wait(queue: string, taskId: string, timeoutMs: number, signal: AbortSignal): Promise<WaitOutcome> {
    check.checkQueue(queue);
    check.checkTaskId(taskId);
    check.checkDuration(timeoutMs, 'timeout', 0, limits.CLAIM_WAIT_MAX_MS);
    return this.waitFor(queue, taskId, timeoutMs, signal, async () => this.lifecycle.get(queue, taskId));
  }

  /** Submits a task and waits for its outcome, like `wait`. */
  async run(
    input: SubmitInput,
    timeoutMs: number,
    requireWorker: boolean,
    signal: AbortSignal,
  ): Promise<WaitOutcome & { created: boolean }> {
    check.checkQueue(input.queue);
    check.checkDuration(timeoutMs, 'timeout', 0, limits.CLAIM_WAIT_MAX_MS);
    if (requireWorker) await this.checkServed(input.queue);
    let created = false;
    let taskId = input.taskId;
    const outcome = await this.waitFor(input.queue, () => taskId, timeoutMs, signal, async () => {
      const submitted = await this.lifecycle.submit(input);
      created = submitted.created;
      taskId = submitted.task.id;
      return submitted.task;
    });
    return { ...outcome, created };
  }

  private async checkServed(queue: string): Promise<void> {
    const seconds = Math.round(this.servedWithinMs / 1000);
    const lastClaim = (await this.store.getQueue(queue, this.servedWithinMs)).lastClaimTime ?? 0;
    const served = lastClaim > Date.now() - this.servedWithinMs;
    if (!served) {
      throw new BatonError('FAILED_PRECONDITION', `no worker has claimed from queue "${queue}" in the last ${seconds} s`);
    }
  }

  /**
   * Listens first, then reads (or submits) the task, so a change between the two is not missed; then waits for
   * a terminal event of the task, the timeout or the caller going away.
   */
  private async waitFor(
    queue: string,
    taskId: string | (() => string),
    timeoutMs: number,
    signal: AbortSignal,
    read: () => Promise<Task>,
  ): Promise<WaitOutcome> {
    const idNow = (): string => (typeof taskId === 'string' ? taskId : taskId());
    let finish: (() => void) | undefined;
    const terminal = new Promise<void>((resolve) => (finish = resolve));
    const subscription = this.hub.subscribe(queue, (events) => {
      if (events.some((e) => e.task?.id === idNow() && TERMINAL_STATES.has(e.task.state))) finish?.();
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await subscription.ready;
      const first = await read();
      if (TERMINAL_STATES.has(first.state) || timeoutMs === 0) return { task: first, finished: TERMINAL_STATES.has(first.state) };
      const stop = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
      });
      await Promise.race([terminal, stop]);
      if (signal.aborted) throw new BatonError('CANCELLED', 'the call was cancelled');
      const task = await this.lifecycle.get(queue, first.id);
      return { task, finished: TERMINAL_STATES.has(task.state) };
    } finally {
      clearTimeout(timer);
      subscription.unsubscribe();
    }
  }
}

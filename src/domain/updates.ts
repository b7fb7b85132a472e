import { BatonError } from './errors.js';
import type { EventHub, EventSink, WatchFilter, WatchStart } from './events.js';
import { watchEvents } from './events.js';
import { newTaskId } from './ids.js';
import type { SubmitInput } from './inputs.js';
import type { Lifecycle } from './lifecycle.js';
import * as limits from './limits.js';
import type { QueueStore } from './store.js';
import { TERMINAL_STATES } from './task.js';
import type { Task } from './task.js';
import * as check from './validation.js';

export interface WaitOutcome {
  task: Task;
  /** The task reached a terminal state (otherwise the wait timed out and `task` is its current snapshot). */
  finished: boolean;
}

/**
 * The WaitTask and RunTask calls waiting on one queue, by task id, served by one subscription to its events: each
 * event is looked up once, however many calls wait (a service answering requests with RunTask may have thousands).
 */
interface QueueWaiters {
  byTask: Map<string, Set<() => void>>;
  subscription: { ready: Promise<string>; unsubscribe: () => void };
}

/** Following tasks as they change: streams of a queue's events, waiting for one task, submit-and-wait. */
export class Updates {
  private readonly waiters = new Map<string, QueueWaiters>();

  constructor(
    private readonly store: QueueStore,
    private readonly hub: EventHub,
    private readonly lifecycle: Lifecycle,
    /** RunTask with require_worker: a queue counts as served when a worker claimed from it this recently. */
    private readonly servedWithinMs: number,
    /** Whether the worker registry saw a worker claim from the queue within the time given. */
    private readonly servedByWorker: (queue: string, withinMs: number) => Promise<boolean> = () => Promise.resolve(false),
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
    // Named here rather than by the submit, so that the wait is registered under it before the task exists.
    const taskId = input.taskId === '' ? newTaskId() : check.checkTaskId(input.taskId);
    if (input.uniqueKey !== undefined && input.uniqueKey !== '') {
      // A held key answers with another task: wait on whichever task the submit answers with. Waiting subscribes
      // before it reads the task, so an end between the submit and the wait is still seen.
      const submitted = await this.lifecycle.submit({ ...input, taskId });
      const { id } = submitted.task;
      const outcome = await this.waitFor(input.queue, id, timeoutMs, signal, () => this.lifecycle.get(input.queue, id));
      return { ...outcome, created: submitted.created };
    }
    let created = false;
    const outcome = await this.waitFor(input.queue, taskId, timeoutMs, signal, async () => {
      const submitted = await this.lifecycle.submit({ ...input, taskId });
      created = submitted.created;
      return submitted.task;
    });
    return { ...outcome, created };
  }

  private async checkServed(queue: string): Promise<void> {
    const seconds = Math.round(this.servedWithinMs / 1000);
    const lastClaim = (await this.store.getQueue(queue, this.servedWithinMs)).lastClaimTime ?? 0;
    // A queue with no task yet keeps no claim time (claims write nothing there): the worker registry tells.
    const served =
      lastClaim > Date.now() - this.servedWithinMs || (await this.servedByWorker(queue, this.servedWithinMs));
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
    taskId: string,
    timeoutMs: number,
    signal: AbortSignal,
    read: () => Promise<Task>,
  ): Promise<WaitOutcome> {
    let finish: (() => void) | undefined;
    const terminal = new Promise<void>((resolve) => (finish = resolve));
    const subscription = this.onFinished(queue, taskId, () => finish?.());
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

  /** Calls `onEnd` when the task reaches a terminal state, for events after `ready`. */
  private onFinished(queue: string, taskId: string, onEnd: () => void): QueueWaiters['subscription'] {
    let waiters = this.waiters.get(queue);
    if (!waiters) {
      const byTask = new Map<string, Set<() => void>>();
      const subscription = this.hub.subscribe(queue, (events) => {
        for (const { task } of events) {
          if (!task || !TERMINAL_STATES.has(task.state)) continue;
          for (const wake of byTask.get(task.id) ?? []) wake();
        }
      });
      waiters = { byTask, subscription };
      this.waiters.set(queue, waiters);
    }
    const current = waiters;
    const callbacks = current.byTask.get(taskId) ?? new Set<() => void>();
    current.byTask.set(taskId, callbacks);
    callbacks.add(onEnd);
    return {
      ready: current.subscription.ready,
      unsubscribe: () => {
        callbacks.delete(onEnd);
        if (callbacks.size === 0 && current.byTask.get(taskId) === callbacks) current.byTask.delete(taskId);
        if (current.byTask.size === 0 && this.waiters.get(queue) === current) {
          this.waiters.delete(queue);
          current.subscription.unsubscribe();
        }
      },
    };
  }
}

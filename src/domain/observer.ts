import type { Expiries } from './store.js';
import type { Task } from './task.js';

/**
 * Told what the lifecycle (through ReportingTaskStore) and maintenance did, after storage did it (metrics implement
 * it; the domain knows no metrics library). Calls are synchronous and must be cheap and must not throw. Tasks are as
 * storage returned them, so their times are Redis server times.
 *
 * Reported per call of this replica; a repeated CompleteTask or CancelTask that storage answers idempotently is
 * reported again, because storage does not say whether the call changed anything.
 */
export interface LifecycleObserver {
  /** Queues that exist cluster-wide, as maintenance lists them. */
  queuesKnown(queues: readonly string[]): void;
  /** Tasks this call created; a submit of an id that exists already is not reported. */
  tasksCreated(queue: string, tasks: readonly Task[]): void;
  /**
   * Submits that found their unique key held and created nothing: `existing` returned the holder as it was,
   * `debounced` pushed it back with their payload.
   */
  submitsDeduplicated(queue: string, existing: number, debounced: number): void;
  /** New leases: granted by ClaimTasks (`claim`) or StartTask (`start`); the tasks are ACTIVE. */
  tasksLeased(queue: string, tasks: readonly Task[], via: 'claim' | 'start'): void;
  /** CompleteTask (or a batch of completions) succeeded for these tasks of the queue; they are SUCCEEDED. */
  tasksCompleted(queue: string, tasks: readonly Task[]): void;
  /**
   * FailTask succeeded. The task is SCHEDULED or PENDING when it will run again, else FAILED (permanent),
   * EXHAUSTED (no attempts left) or CANCELLED (a cancel was requested); its last error is this failure.
   */
  taskFailed(task: Task): void;
  /** CancelTask succeeded: the task is CANCELLED, or still ACTIVE with cancelRequested set. */
  taskCancelled(task: Task): void;
  /** Leases and deadlines found run out and handled: by maintenance, a claim, StartTask or a call on an expired lease. */
  expiriesHandled(queue: string, expiries: Expiries): void;
}

import { LeaseExpiredError } from './errors.js';
import type { FinishedChildren } from './flows.js';
import { FINISHED_REAP_DELAY_MS } from './maintenance.js';
import type { DueTimes } from './maintenance.js';
import type { LifecycleObserver } from './observer.js';
import type {
  ClaimOutcome,
  ClaimQuery,
  CompleteClaimOutcome,
  Completion,
  FailOutcome,
  HandoffOutcome,
  HeartbeatOutcome,
  HeartbeatUpdate,
  ItemOutcome,
  ListQuery,
  StartOutcome,
  StartQuery,
  SubmitOutcome,
  SubmittedItem,
  TaskStore,
  TaskView,
} from './store.js';
import { TERMINAL_STATES } from './task.js';
import type { FailureReport, ListTasksPage, NewTask, Task } from './task.js';

/**
 * Who hears of the changes: the observer (metrics), maintenance, told when what a change made falls due, and flows,
 * told of finished tasks (a child's parent is told at once).
 */
export interface ChangeListeners {
  observer?: LifecycleObserver;
  dueTimes?: DueTimes;
  children?: FinishedChildren;
}

/**
 * The task store as the lifecycle uses it: every change storage makes is reported here, once it is made, to the
 * observer and to maintenance (with the due time the script computed). This is the one place where that happens, so
 * the lifecycle's rules mention neither metrics nor due times, and a new operation cannot forget them.
 */
export class ReportingTaskStore implements TaskStore {
  constructor(
    private readonly store: TaskStore,
    private readonly listeners: ChangeListeners,
  ) {}

  async submit(queue: string, tasks: NewTask[], returnTasks: boolean): Promise<SubmitOutcome> {
    const outcome = await this.store.submit(queue, tasks, returnTasks);
    this.created(queue, outcome.results);
    this.due(queue, outcome.due);
    return outcome;
  }

  async submitAndHandOff(queue: string, tasks: NewTask[], returnTasks: boolean, to: ClaimQuery): Promise<HandoffOutcome> {
    const outcome = await this.store.submitAndHandOff(queue, tasks, returnTasks, to);
    this.listeners.observer?.expiriesHandled(queue, outcome.expiries);
    this.leased(queue, outcome.handedOff.map((claimed) => claimed.task), 'claim');
    this.created(queue, outcome.results);
    this.due(queue, outcome.due);
    return outcome;
  }

  get(queue: string, id: string): Promise<Task | undefined> {
    return this.store.get(queue, id);
  }

  list(queue: string, query: ListQuery): Promise<ListTasksPage> {
    return this.store.list(queue, query);
  }

  async claim(queue: string, request: ClaimQuery): Promise<ClaimOutcome> {
    const outcome = await this.store.claim(queue, request);
    this.listeners.observer?.expiriesHandled(queue, outcome.expiries);
    this.leased(queue, outcome.claimed.map((claimed) => claimed.task), 'claim');
    this.due(queue, outcome.due);
    return outcome;
  }

  async start(task: NewTask, request: StartQuery): Promise<StartOutcome> {
    const outcome = await this.store.start(task, request);
    // Counted even when the start was refused: a lease found run out was expired all the same.
    this.listeners.observer?.expiriesHandled(task.queue, outcome.expiries);
    if ('refused' in outcome) return outcome;
    const { started } = outcome;
    if (started.created) this.listeners.observer?.tasksCreated(task.queue, [started.task]);
    // The caller's own token back means its lease was extended, not a new lease granted.
    if (started.leaseToken !== request.leaseToken) this.leased(task.queue, [started.task], 'start');
    this.due(task.queue, outcome.due);
    return outcome;
  }

  async heartbeat(queue: string, id: string, leaseToken: string, update: HeartbeatUpdate): Promise<HeartbeatOutcome> {
    const outcome = await this.noticingExpiry(queue, this.store.heartbeat(queue, id, leaseToken, update));
    // A heartbeat may shorten the lease as well as extend it.
    this.due(queue, outcome.due);
    return outcome;
  }

  async complete(queue: string, items: readonly Completion[], view: TaskView): Promise<ItemOutcome[]> {
    const outcomes = await this.store.complete(queue, items, view);
    this.completed(queue, outcomes);
    return outcomes;
  }

  private completed(queue: string, outcomes: readonly ItemOutcome[]): void {
    const completed: Task[] = [];
    for (const outcome of outcomes) {
      if ('task' in outcome) completed.push(outcome.task);
      else this.expiryFound(queue, outcome.error);
    }
    if (completed.length > 0) {
      this.listeners.observer?.tasksCompleted(queue, completed);
      this.finished(queue, completed);
    }
  }

  async completeAndClaim(queue: string, items: readonly Completion[], view: TaskView, to: ClaimQuery): Promise<CompleteClaimOutcome> {
    const outcome = await this.store.completeAndClaim(queue, items, view, to);
    this.completed(queue, outcome.outcomes);
    this.listeners.observer?.expiriesHandled(queue, outcome.expiries);
    this.leased(queue, outcome.claimed.map((claimed) => claimed.task), 'claim');
    this.due(queue, outcome.due);
    return outcome;
  }

  async fail(queue: string, id: string, leaseToken: string, failure: FailureReport): Promise<FailOutcome> {
    const outcome = await this.noticingExpiry(queue, this.store.fail(queue, id, leaseToken, failure));
    this.listeners.observer?.taskFailed(outcome.task);
    this.due(queue, outcome.due);
    if (TERMINAL_STATES.has(outcome.task.state)) this.finished(queue, [outcome.task]);
    return outcome;
  }

  release(queue: string, id: string, leaseToken: string): Promise<Task> {
    return this.noticingExpiry(queue, this.store.release(queue, id, leaseToken));
  }

  async cancel(queue: string, id: string): Promise<Task> {
    const task = await this.store.cancel(queue, id);
    this.listeners.observer?.taskCancelled(task);
    this.finished(queue, [task]);
    return task;
  }

  retry(queue: string, id: string): Promise<Task> {
    return this.store.retry(queue, id);
  }

  private created(queue: string, results: readonly SubmittedItem[]): void {
    if (!this.listeners.observer) return;
    const created = results.flatMap((result) => ('task' in result && result.created ? [result.task] : []));
    if (created.length > 0) this.listeners.observer.tasksCreated(queue, created);
    let existing = 0;
    let debounced = 0;
    for (const result of results) {
      if (!('task' in result) || result.deduplicated !== true) continue;
      if (result.debounced === true) debounced++;
      else existing++;
    }
    if (existing + debounced > 0) this.listeners.observer.submitsDeduplicated(queue, existing, debounced);
  }

  private leased(queue: string, tasks: readonly Task[], via: 'claim' | 'start'): void {
    if (tasks.length > 0) this.listeners.observer?.tasksLeased(queue, tasks, via);
  }

  /** Tasks finished in the queue: their retention makes it due (see FINISHED_REAP_DELAY_MS); parents are told. */
  private finished(queue: string, tasks: readonly Task[]): void {
    this.listeners.dueTimes?.noteDue(queue, Date.now() + FINISHED_REAP_DELAY_MS);
    this.listeners.children?.childrenFinished(queue, tasks);
  }

  private due(queue: string, due: number | undefined): void {
    if (due !== undefined) this.listeners.dueTimes?.noteDue(queue, due);
  }

  /** A call that found its lease run out released the task: that expiry is reported like maintenance's. */
  private expiryFound(queue: string, error: unknown): void {
    if (!(error instanceof LeaseExpiredError)) return;
    this.listeners.observer?.expiriesHandled(queue, {
      leasesExpired: 1,
      leasesExhausted: error.taskState === 'EXHAUSTED' ? 1 : 0,
      leasesCancelled: error.taskState === 'CANCELLED' ? 1 : 0,
      tasksExpired: 0,
    });
  }

  private async noticingExpiry<T>(queue: string, call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      this.expiryFound(queue, error);
      throw error;
    }
  }
}

import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { LifecycleObserver } from '../domain/observer.js';
import type { Expiries } from '../domain/store.js';
import type { Task } from '../domain/task.js';
import { TASK_SECONDS_BUCKETS } from './buckets.js';
import { QueueLabels } from './queueLabels.js';

const QUEUE = ['queue'] as const;
const QUEUE_RETRY = ['queue', 'retry'] as const;

/** When a task last became claimable: its schedule time, or later its submission or the error that requeued it. */
export function claimableSince(task: Task): number {
  return Math.max(task.createTime, task.scheduleTime, task.errors.at(-1)?.time ?? 0);
}

/**
 * Task counters and histograms, per queue, counted by the replica that handled the call or the reap (sum them
 * over replicas). Times come from the Redis server clock, as stored with the task.
 */
export class TaskMetrics implements LifecycleObserver {
  readonly queues: QueueLabels;
  private readonly submitted: Counter<'queue'>;
  private readonly deduplicated: Counter<'queue' | 'outcome'>;
  private readonly claimed: Counter<'queue'>;
  private readonly succeeded: Counter<'queue'>;
  private readonly failed: Counter<'queue' | 'retry'>;
  private readonly exhausted: Counter<'queue'>;
  private readonly cancelled: Counter<'queue'>;
  private readonly expired: Counter<'queue'>;
  private readonly leaseExpirations: Counter<'queue'>;
  private readonly waitSeconds: Histogram<'queue'>;
  private readonly runSeconds: Histogram<'queue'>;

  constructor(registry: Registry, maxQueues: number, onOverflow: (queue: string) => void) {
    const counter = (name: string, help: string): Counter<'queue'> =>
      new Counter({ name, help, labelNames: QUEUE, registers: [registry] });
    this.submitted = counter('baton_tasks_submitted_total', 'Tasks created by SubmitTask, SubmitTasks or StartTask.');
    this.deduplicated = new Counter({
      name: 'baton_tasks_deduplicated_total',
      help: 'Submits that found their unique_key held and created nothing; outcome="existing" returned the task holding it, "debounced" pushed that task back with the new payload.',
      labelNames: ['queue', 'outcome'],
      registers: [registry],
    });
    this.claimed = counter('baton_tasks_claimed_total', 'Leases granted to workers by ClaimTasks or StartTask.');
    this.succeeded = counter('baton_tasks_succeeded_total', 'CompleteTask calls that stored a result.');
    this.failed = new Counter({
      name: 'baton_tasks_failed_total',
      help: 'FailTask calls; retry="true" when the task will run again, "false" when it ended (failed, exhausted or cancelled).',
      labelNames: QUEUE_RETRY,
      registers: [registry],
    });
    this.exhausted = counter(
      'baton_tasks_exhausted_total',
      'Tasks that ended EXHAUSTED: their last attempt failed (FailTask) or its lease ran out.',
    );
    this.cancelled = counter(
      'baton_tasks_cancelled_total',
      'Tasks that ended CANCELLED: by CancelTask, or by FailTask or lease expiry after a cancel was requested.',
    );
    this.expired = counter('baton_tasks_expired_total', 'Tasks that ended EXPIRED past their expire_time (found by maintenance or by a claim).');
    this.leaseExpirations = counter(
      'baton_lease_expirations_total',
      'Leases that ran out without a heartbeat, found by maintenance, a claim, StartTask or a call on the lease (the task is requeued, exhausted or cancelled).',
    );
    this.waitSeconds = new Histogram({
      name: 'baton_task_wait_seconds',
      help: 'Time from when a task became claimable (submit, schedule time or requeue) until ClaimTasks leased it.',
      labelNames: QUEUE,
      buckets: TASK_SECONDS_BUCKETS,
      registers: [registry],
    });
    this.runSeconds = new Histogram({
      name: 'baton_task_run_seconds',
      help: 'Time from a lease being granted until CompleteTask or FailTask ended that attempt.',
      labelNames: QUEUE,
      buckets: TASK_SECONDS_BUCKETS,
      registers: [registry],
    });
    this.queues = new QueueLabels(maxQueues, (label) => {
      this.startAtZero(label);
    }, onOverflow);
  }

  queuesKnown(queues: readonly string[]): void {
    this.queues.admitAll(queues);
  }

  tasksCreated(queue: string, tasks: readonly Task[]): void {
    this.submitted.inc({ queue: this.queues.label(queue) }, tasks.length);
  }

  submitsDeduplicated(queue: string, existing: number, debounced: number): void {
    const label = this.queues.label(queue);
    if (existing > 0) this.deduplicated.inc({ queue: label, outcome: 'existing' }, existing);
    if (debounced > 0) this.deduplicated.inc({ queue: label, outcome: 'debounced' }, debounced);
  }

  tasksLeased(queue: string, tasks: readonly Task[], via: 'claim' | 'start'): void {
    const labels = { queue: this.queues.label(queue) };
    this.claimed.inc(labels, tasks.length);
    // StartTask leases a task its caller names, usually one it creates then: no wait in a queue to measure.
    if (via !== 'claim') return;
    // One child per batch: prom-client hashes the labels on every observe() given them.
    const waits = this.waitSeconds.labels(labels);
    for (const task of tasks) {
      if (task.startTime !== undefined) waits.observe(Math.max(0, task.startTime - claimableSince(task)) / 1000);
    }
  }

  tasksCompleted(queue: string, tasks: readonly Task[]): void {
    const labels = { queue: this.queues.label(queue) };
    this.succeeded.inc(labels, tasks.length);
    const runs = this.runSeconds.labels(labels);
    for (const task of tasks) this.observeRun(runs, task, task.endTime);
  }

  taskFailed(task: Task): void {
    const queue = this.queues.label(task.queue);
    const retry = task.state === 'SCHEDULED' || task.state === 'PENDING';
    this.failed.inc({ queue, retry: retry ? 'true' : 'false' });
    if (task.state === 'EXHAUSTED') this.exhausted.inc({ queue });
    if (task.state === 'CANCELLED') this.cancelled.inc({ queue });
    this.observeRun(this.runSeconds.labels({ queue }), task, task.errors.at(-1)?.time);
  }

  taskCancelled(task: Task): void {
    if (task.state === 'CANCELLED') this.cancelled.inc({ queue: this.queues.label(task.queue) });
  }

  expiriesHandled(queue: string, expiries: Expiries): void {
    if (expiries.leasesExpired === 0 && expiries.tasksExpired === 0) return;
    const labels = { queue: this.queues.label(queue) };
    this.leaseExpirations.inc(labels, expiries.leasesExpired);
    this.exhausted.inc(labels, expiries.leasesExhausted);
    this.cancelled.inc(labels, expiries.leasesCancelled);
    this.expired.inc(labels, expiries.tasksExpired);
  }

  private observeRun(runs: { observe(seconds: number): void }, task: Task, endTime: number | undefined): void {
    if (task.startTime === undefined || endTime === undefined) return;
    runs.observe(Math.max(0, endTime - task.startTime) / 1000);
  }

  /**
   * A series that first appears at 1 is missed by increase() and rate(): every counter and histogram of a queue
   * starts at 0 as soon as the queue is known, before its first event.
   */
  private startAtZero(queue: string): void {
    this.waitSeconds.zero({ queue });
    this.runSeconds.zero({ queue });
    for (const counter of [
      this.submitted,
      this.claimed,
      this.succeeded,
      this.exhausted,
      this.cancelled,
      this.expired,
      this.leaseExpirations,
    ]) {
      counter.inc({ queue }, 0);
    }
    this.failed.inc({ queue, retry: 'true' }, 0);
    this.failed.inc({ queue, retry: 'false' }, 0);
    this.deduplicated.inc({ queue, outcome: 'existing' }, 0);
    this.deduplicated.inc({ queue, outcome: 'debounced' }, 0);
  }
}

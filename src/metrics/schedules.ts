import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { ScheduleObserver } from '../domain/scheduleRunner.js';
import { SCHEDULE_DELAY_SECONDS_BUCKETS } from './buckets.js';
import type { QueueLabels } from './queueLabels.js';

/**
 * Schedule ticks, per queue, each counted once however many replicas fired it: a submitted tick by the replica whose
 * submit created its task, a skipped one by the replica that moved the schedule past it (sum over replicas).
 */
export class ScheduleMetrics implements ScheduleObserver {
  private readonly ticks: Counter<'queue' | 'outcome'>;
  private readonly delay: Histogram<'queue'>;

  constructor(
    registry: Registry,
    private readonly queues: QueueLabels,
  ) {
    this.ticks = new Counter({
      name: 'baton_schedule_ticks_total',
      help: 'Schedule ticks: outcome="submitted" created the tick\'s task, "skipped" submitted nothing (overlap policy SKIP with the previous run unfinished), "failed" was a pass that failed and is retried.',
      labelNames: ['queue', 'outcome'],
      registers: [registry],
    });
    this.delay = new Histogram({
      name: 'baton_schedule_tick_delay_seconds',
      help: "From a tick's time to the submit of its task: the runner's pace, or how late catch-up ran after downtime.",
      labelNames: ['queue'],
      buckets: SCHEDULE_DELAY_SECONDS_BUCKETS,
      registers: [registry],
    });
  }

  tickSubmitted(queue: string, delayMs: number): void {
    const label = this.queues.label(queue);
    this.ticks.inc({ queue: label, outcome: 'submitted' });
    this.delay.observe({ queue: label }, Math.max(0, delayMs) / 1000);
  }

  ticksSkipped(queue: string, count: number): void {
    this.ticks.inc({ queue: this.queues.label(queue), outcome: 'skipped' }, count);
  }

  passFailed(queue: string): void {
    this.ticks.inc({ queue: this.queues.label(queue), outcome: 'failed' });
  }
}

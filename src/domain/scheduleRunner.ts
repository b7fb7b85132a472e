import { BatonError } from './errors.js';
import type { Schedule, ScheduleRef, ScheduleStore } from './scheduleStore.js';
import { tickTaskId } from './schedules.js';
import type { ScheduleTasks } from './schedules.js';
import { planTicks } from './scheduleTimes.js';
import { TERMINAL_STATES } from './task.js';

/** Told what the ticks came to (metrics): each tick once, however many replicas fired it. */
export interface ScheduleObserver {
  /** This replica's submit created the tick's task, `delayMs` after the tick's time. */
  tickSubmitted(queue: string, delayMs: number): void;
  /** Ticks that submitted nothing (overlap policy SKIP, the previous run not finished). */
  ticksSkipped(queue: string, count: number): void;
  /** A pass over the schedule failed; it is retried with backoff. */
  passFailed(queue: string): void;
}

export interface ScheduleRunnerOptions {
  /** How often the due schedules are looked for. */
  tickMs: number;
  /** Schedules handled per pass. */
  batchLimit: number;
  onError: (error: unknown, schedule?: ScheduleRef) => void;
  observer?: ScheduleObserver;
}

/**
 * Fires the ticks of due schedules. Every replica runs this loop and may fire the same tick at the same time; each
 * tick still submits exactly one task:
 *
 * 1. A tick's task id is derived from the schedule and the tick (tickTaskId), and submitting an existing task id
 *    changes nothing, so however many replicas submit a tick, one task exists.
 * 2. The schedule moves past its ticks only after they were submitted, by a compare-and-set on the next tick it
 *    read (advanceSchedule.lua): of the replicas that fired the same ticks one moves it, and none fires them again.
 *    A replica that dies between submitting and moving leaves the schedule due; the next pass re-fires the same
 *    ticks, finds their tasks (harmless), and moves it. A tick is neither lost nor doubled.
 * 3. An update (UpdateSchedule) replaces the spec and its next tick and bumps the spec's revision, which the advance
 *    also compares: a pass that fired the old spec's ticks records them as the last run and leaves the new next tick
 *    alone. Should the new spec's next tick be one the old spec already fired, rule 1 finds its task: no second run.
 *
 * The task lands in its queue's slot and the schedule lives in the schedules' slot, so the two cannot be one
 * script; the idempotent id is what joins them.
 */
/** A schedule whose pass failed waits this long before the next try, doubling per failure up to the max. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;

const nameOf = (ref: ScheduleRef): string => `${ref.queue}/${ref.id}`;

export class ScheduleRunner {
  /** Schedules whose last pass failed on this replica: not tried again before `until`. */
  private readonly failing = new Map<string, { failures: number; until: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: ScheduleStore,
    private readonly tasks: ScheduleTasks,
    private readonly options: ScheduleRunnerOptions,
  ) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Fires what is due at `now`. Public so tests can drive it. */
  async runOnce(now = Date.now()): Promise<void> {
    // Those waiting out a failure stay due: read past them, so they never hold up the rest.
    const due = await this.store.due(now, this.options.batchLimit + this.failing.size);
    // Deleted, paused or moved on by another replica meanwhile: forgotten.
    const dueNames = new Set(due.map(nameOf));
    for (const name of this.failing.keys()) if (!dueNames.has(name)) this.failing.delete(name);
    const ready = due.filter((ref) => (this.failing.get(nameOf(ref))?.until ?? 0) <= now).slice(0, this.options.batchLimit);
    await Promise.all(
      ready.map(async (ref) => {
        const name = nameOf(ref);
        const failing = this.failing.get(name);
        try {
          await this.fire(ref, now);
          this.failing.delete(name);
        } catch (error) {
          // A schedule that keeps failing (its template refused, its queue's slot down) is retried with backoff,
          // so it neither floods the log nor holds up the others.
          const failures = (failing?.failures ?? 0) + 1;
          this.failing.set(name, { failures, until: now + Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (failures - 1)) });
          this.options.observer?.passFailed(ref.queue);
          this.options.onError(error, ref);
        }
      }),
    );
  }

  private async fire(ref: ScheduleRef, now: number): Promise<void> {
    const schedule = await this.store.get(ref.queue, ref.id);
    if (!schedule || schedule.state.paused || schedule.state.nextRunTime > now) return;
    const { spec, state } = schedule;
    const plan = planTicks(spec.cadence, state.nextRunTime, now, spec.catchUp);
    let last = state.lastRunTime;
    let skipped = 0;
    for (const tick of plan.fire) {
      if (await this.fireTick(schedule, tick, last)) last = tick;
      else skipped += 1;
    }
    const moved = await this.store.advance(ref, state.nextRunTime, plan.next, last === state.lastRunTime ? undefined : last, state.revision ?? 0);
    // Of the replicas that passed over the same ticks, the one that moved the schedule on counts those skipped.
    if (moved && skipped > 0) this.options.observer?.ticksSkipped(spec.queue, skipped);
  }

  /** Submits one tick's task unless the overlap policy skips it; true when the tick's task exists afterwards. */
  private async fireTick({ spec }: Schedule, tick: number, previous: number | undefined): Promise<boolean> {
    const { queue } = spec;
    const taskId = tickTaskId(spec.id, tick);
    // Submitted by a replica that did not get to move the schedule: the tick fired, whatever overlap says now.
    if (await this.tasks.find(queue, taskId)) return true;
    if (previous !== undefined && spec.overlap !== 'ALLOW') {
      const previousId = tickTaskId(spec.id, previous);
      const running = await this.tasks.find(queue, previousId);
      if (running && !TERMINAL_STATES.has(running.state)) {
        if (spec.overlap === 'SKIP') return false;
        await this.tasks.cancel(queue, previousId).catch((error: unknown) => {
          // Finished meanwhile, or deleted: nothing left to cancel.
          if (!(error instanceof BatonError && (error.code === 'FAILED_PRECONDITION' || error.code === 'NOT_FOUND'))) throw error;
        });
      }
    }
    const { created } = await this.tasks.submit({ ...spec.task, taskId });
    // Another replica firing the same tick at once created it: counted there.
    if (created) this.options.observer?.tickSubmitted(queue, Date.now() - tick);
    return true;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((error: unknown) => {
          this.options.onError(error);
        })
        .finally(() => {
          this.running = undefined;
          this.schedule(this.options.tickMs);
        });
    }, delayMs);
  }
}

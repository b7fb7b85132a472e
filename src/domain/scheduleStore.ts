import type { SubmitInput } from './inputs.js';
import type { Cadence, CatchUp } from './scheduleTimes.js';

export type OverlapPolicy = 'SKIP' | 'ALLOW' | 'CANCEL_PREVIOUS';

/** What a schedule is: created, then replaced only as a whole by an update (queue, id and create time kept). */
export interface ScheduleSpec {
  queue: string;
  id: string;
  cadence: Cadence;
  /** The task each tick submits (validated, task id empty: each tick derives its own). */
  task: SubmitInput;
  overlap: OverlapPolicy;
  catchUp: CatchUp;
  createTime: number;
}

/** Where a schedule is: changed by one script at a time. */
export interface ScheduleState {
  paused: boolean;
  /** The next tick (kept while paused, replaced on resume). */
  nextRunTime: number;
  /** The last tick that submitted a task. */
  lastRunTime?: number;
  /** How many times the spec was updated (0 or unset: never): the runner's advance checks it is still the one it read. */
  revision?: number;
}

export interface Schedule {
  spec: ScheduleSpec;
  state: ScheduleState;
}

export interface ScheduleRef {
  queue: string;
  id: string;
}

/** Schedules in storage: every change one atomic step on the schedules' keys. */
export interface ScheduleStore {
  /** False when the queue already has a schedule with that id (nothing changed). */
  create(spec: ScheduleSpec, state: ScheduleState): Promise<boolean>;
  get(queue: string, id: string): Promise<Schedule | undefined>;
  /** By queue, then id, after `after` ("<queue>/<id>", '' from the start); only `queue`'s when not ''. */
  list(queue: string, after: string, limit: number): Promise<{ schedules: Schedule[]; more: boolean }>;
  /** Schedules not paused whose next tick is at or before `nowMs`, earliest first. */
  due(nowMs: number, limit: number): Promise<ScheduleRef[]>;
  /**
   * Moves the schedule to `next` if its next tick is still `expectedNext` and its spec still `expectedRevision` (0
   * when unset) (compare-and-set), recording `lastRunTime` when given. False when it had moved, or is gone. When the
   * spec was updated meanwhile the ticks fired were the old spec's: `lastRunTime` is still recorded (if later than
   * the recorded one) so the overlap policy sees their task, and the next tick stays the new spec's.
   */
  advance(
    ref: ScheduleRef,
    expectedNext: number,
    next: number,
    lastRunTime: number | undefined,
    expectedRevision?: number,
  ): Promise<boolean>;
  /**
   * Replaces the spec (same queue, id and create time) and the next tick, keeping the rest of the state, in one
   * step. 'missing' when there is no such schedule, 'replaced' when it has another create time (deleted and created
   * again since it was read); nothing changed then.
   */
  update(spec: ScheduleSpec, next: number): Promise<'updated' | 'missing' | 'replaced'>;
  /** Pauses, or resumes from `next`. False when there is no such schedule. */
  setPaused(ref: ScheduleRef, paused: boolean, next: number): Promise<boolean>;
  /** False when there was no such schedule. */
  delete(ref: ScheduleRef): Promise<boolean>;
}

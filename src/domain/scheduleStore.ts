import type { SubmitInput } from './inputs.js';
import type { Cadence, CatchUp } from './scheduleTimes.js';

export type OverlapPolicy = 'SKIP' | 'ALLOW' | 'CANCEL_PREVIOUS';

/** What a schedule is, as created: never changed afterwards. */
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
   * Moves the schedule to `next` if its next tick is still `expectedNext` (compare-and-set), recording
   * `lastRunTime` when given. False when it had moved, or is gone.
   */
  advance(ref: ScheduleRef, expectedNext: number, next: number, lastRunTime: number | undefined): Promise<boolean>;
  /** Pauses, or resumes from `next`. False when there is no such schedule. */
  setPaused(ref: ScheduleRef, paused: boolean, next: number): Promise<boolean>;
  /** False when there was no such schedule. */
  delete(ref: ScheduleRef): Promise<boolean>;
}

import { isDeepStrictEqual } from 'node:util';
import { BatonError, invalidArgument } from './errors.js';
import type { SubmitInput } from './inputs.js';
import type { Lifecycle } from './lifecycle.js';
import * as limits from './limits.js';
import { toNewTask } from './newTask.js';
import { PageTokens } from './pageToken.js';
import type { OverlapPolicy, Schedule, ScheduleRef, ScheduleSpec, ScheduleStore } from './scheduleStore.js';
import { checkCron, checkTimeZone, isCron, nextTick, ticksAfter } from './scheduleTimes.js';
import type { Cadence, CatchUpPolicy } from './scheduleTimes.js';
import type { SubmitResult, Task } from './task.js';
import * as check from './validation.js';

export const SCHEDULE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const INTERVAL_MIN_MS = limits.SECOND_MS;
export const INTERVAL_MAX_MS = limits.DELAY_MAX_MS;
export const MISFIRE_DEFAULT_MS = 10 * limits.SECOND_MS;
export const MISFIRE_MAX_MS = limits.HOUR_MS;
export const CATCH_UP_LIMIT_DEFAULT = 100;
export const CATCH_UP_LIMIT_MAX = 1000;
export const NEXT_RUNS_DEFAULT = 5;
export const NEXT_RUNS_MAX = 100;

/** The task a tick submits: its id says which schedule and which tick, so a second submit of it changes nothing. */
export function tickTaskId(scheduleId: string, tickMs: number): string {
  return `${scheduleId}@${new Date(tickMs).toISOString()}`;
}

/** The task TriggerSchedule submits, apart from every tick's. */
export function manualTaskId(scheduleId: string, nowMs: number): string {
  return `${scheduleId}@manual-${new Date(nowMs).toISOString()}`;
}

/** What CreateSchedule asks for, before validation. */
export interface CreateScheduleInput {
  id: string;
  /** Empty: an interval schedule. */
  cron: string;
  /** Empty: UTC. */
  timeZone: string;
  intervalMs?: number;
  task?: SubmitInput;
  /** Unset: SKIP. */
  overlap?: OverlapPolicy;
  /** Unset: LAST. */
  catchUp?: CatchUpPolicy;
  /** 0: the default. */
  catchUpLimit: number;
  misfireThresholdMs?: number;
  paused: boolean;
}

/** What UpdateSchedule asks for, before validation: a whole new definition for an existing schedule. */
export type UpdateScheduleInput = Omit<CreateScheduleInput, 'paused'>;

/** A schedule's definition: everything UpdateSchedule replaces. */
type Definition = Pick<ScheduleSpec, 'cadence' | 'task' | 'overlap' | 'catchUp'>;

/** What the schedule runner does with tasks: the lifecycle's submit, get and cancel. */
export interface ScheduleTasks {
  submit(input: SubmitInput): Promise<SubmitResult>;
  /** Undefined when there is no such task (never submitted, or deleted by retention). */
  find(queue: string, taskId: string): Promise<Task | undefined>;
  cancel(queue: string, taskId: string): Promise<Task>;
}

function checkScheduleId(id: string): string {
  if (!SCHEDULE_ID_PATTERN.test(id)) {
    throw invalidArgument('schedule_id', `"${id.slice(0, 80)}" must match ${String(SCHEDULE_ID_PATTERN)}`);
  }
  return id;
}

/** The task template, checked as SubmitTask checks a task; its errors name the field under `task.`. */
function checkTemplate(task: SubmitInput | undefined, maxPayloadBytes: number): SubmitInput {
  if (!task) throw invalidArgument('task', 'is required');
  if (task.taskId !== '') throw invalidArgument('task.task_id', 'must be empty: each tick derives its task id from the schedule and the tick');
  if (task.scheduleTime !== undefined) throw invalidArgument('task.schedule_time', 'must be unset: the tick decides when (a delay is allowed)');
  if (task.expireTime !== undefined) throw invalidArgument('task.expire_time', 'must be unset: an absolute deadline would pass for every later tick');
  try {
    toNewTask(task, maxPayloadBytes);
  } catch (error) {
    if (error instanceof BatonError && error.code === 'INVALID_ARGUMENT') throw new BatonError('INVALID_ARGUMENT', `task.${error.message}`);
    throw error;
  }
  return task;
}

function cadenceOf(input: UpdateScheduleInput, nowMs: number): Cadence {
  if ((input.cron === '') === (input.intervalMs === undefined)) throw invalidArgument('cron', 'set exactly one of cron and interval');
  if (input.intervalMs !== undefined) {
    if (input.timeZone !== '') throw invalidArgument('time_zone', 'applies to cron only: an interval schedule has no zone');
    return { intervalMs: check.checkDuration(input.intervalMs, 'interval', INTERVAL_MIN_MS, INTERVAL_MAX_MS), anchorMs: nowMs };
  }
  return checkCron(input.cron, checkTimeZone(input.timeZone === '' ? 'UTC' : input.timeZone), nowMs);
}

/** Equal as stored: JSON drops unset fields, and object key order does not count. */
function sameSpec(a: ScheduleSpec, b: ScheduleSpec): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

/** Schedules as their RPCs see them: validation, defaults, and the store's atomic steps. */
export class Schedules {
  constructor(
    private readonly store: ScheduleStore,
    private readonly tasks: ScheduleTasks,
    private readonly maxPayloadBytes: number,
    /** Signs ListSchedules page tokens; replicas of one deployment must share its key. */
    private readonly pageTokens: PageTokens = PageTokens.ephemeral(),
  ) {}

  async create(input: CreateScheduleInput, nowMs = Date.now()): Promise<Schedule> {
    const id = checkScheduleId(input.id);
    const definition = this.definitionOf(input, nowMs);
    const spec: ScheduleSpec = { queue: definition.task.queue, id, ...definition, createTime: nowMs };
    const state = { paused: input.paused, nextRunTime: nextTick(spec.cadence, nowMs) };
    if (!(await this.store.create(spec, state))) {
      throw new BatonError('ALREADY_EXISTS', `schedule "${id}" already exists in queue "${spec.queue}"`);
    }
    return { spec, state };
  }

  /**
   * Replaces the definition as a whole, keeping the schedule's identity and state (create time, paused, last run),
   * from the first tick of the new definition after now; an interval keeps counting from the create time.
   */
  async update(queue: string, input: UpdateScheduleInput, nowMs = Date.now()): Promise<Schedule> {
    check.checkQueue(queue);
    const id = checkScheduleId(input.id);
    // Checked before the schedule is read, so bad input is refused alike whether or not it exists.
    const checked = this.definitionOf(input, nowMs);
    if (checked.task.queue !== queue) {
      throw invalidArgument('task.queue', `"${checked.task.queue}" must be the schedule's queue "${queue}"`);
    }
    const schedule = await this.get(queue, id);
    const current = schedule.spec;
    const { cadence } = checked;
    const definition = { ...checked, cadence: isCron(cadence) ? cadence : { ...cadence, anchorMs: current.createTime } };
    const spec: ScheduleSpec = { queue, id, ...definition, createTime: current.createTime };
    // The definition it has: nothing to do. A config sync updating every schedule on each deploy then never moves a
    // due tick that a pass has yet to fire.
    if (sameSpec(spec, current)) return schedule;
    const outcome = await this.store.update(spec, nextTick(spec.cadence, nowMs));
    if (outcome === 'missing') throw new BatonError('NOT_FOUND', `schedule "${id}" not found in queue "${queue}"`);
    if (outcome === 'replaced') {
      throw new BatonError('ABORTED', `schedule "${id}" in queue "${queue}" was deleted and created again meanwhile; retry`);
    }
    return this.get(queue, id);
  }

  /** The definition CreateSchedule and UpdateSchedule take, validated alike; an interval counts from now. */
  private definitionOf(input: UpdateScheduleInput, nowMs: number): Definition {
    const cadence = cadenceOf(input, nowMs);
    const task = checkTemplate(input.task, this.maxPayloadBytes);
    const catchUpLimit =
      input.catchUpLimit === 0 ? CATCH_UP_LIMIT_DEFAULT : check.checkIntRange(input.catchUpLimit, 'catch_up_limit', 1, CATCH_UP_LIMIT_MAX);
    const misfireMs =
      input.misfireThresholdMs === undefined
        ? MISFIRE_DEFAULT_MS
        : check.checkDuration(input.misfireThresholdMs, 'misfire_threshold', limits.SECOND_MS, MISFIRE_MAX_MS);
    return { cadence, task, overlap: input.overlap ?? 'SKIP', catchUp: { policy: input.catchUp ?? 'LAST', limit: catchUpLimit, misfireMs } };
  }

  async get(queue: string, id: string): Promise<Schedule> {
    check.checkQueue(queue);
    checkScheduleId(id);
    const schedule = await this.store.get(queue, id);
    if (!schedule) throw new BatonError('NOT_FOUND', `schedule "${id}" not found in queue "${queue}"`);
    return schedule;
  }

  /** The coming ticks from the next one on (none while paused). */
  nextRuns(schedule: Schedule, count: number): number[] {
    const wanted = count === 0 ? NEXT_RUNS_DEFAULT : check.checkIntRange(count, 'next_run_count', 0, NEXT_RUNS_MAX);
    if (schedule.state.paused) return [];
    const { nextRunTime } = schedule.state;
    return [nextRunTime, ...ticksAfter(schedule.spec.cadence, nextRunTime, wanted - 1)];
  }

  /** By queue, then id; the page token is the last name of the previous page, bound to the queue filter. */
  async list(queue: string, pageSize: number, pageToken: string): Promise<{ schedules: Schedule[]; nextPageToken: string }> {
    if (queue !== '') check.checkQueue(queue);
    const size =
      pageSize === 0 ? limits.PAGE_SIZE_DEFAULT : check.checkIntRange(pageSize, 'page_size', 1, limits.PAGE_SIZE_MAX);
    let after = '';
    if (pageToken !== '') {
      const body = this.pageTokens.open(pageToken);
      const prefix = `s:${queue}|`;
      if (!body.startsWith('s:')) throw invalidArgument('page_token', 'is not a token returned by this method');
      if (!body.startsWith(prefix)) throw invalidArgument('page_token', 'belongs to a different queue filter');
      after = body.slice(prefix.length);
    }
    const page = await this.store.list(queue, after, size);
    const last = page.schedules.at(-1);
    return {
      schedules: page.schedules,
      nextPageToken: page.more && last ? this.pageTokens.seal(`s:${queue}|${last.spec.queue}/${last.spec.id}`) : '',
    };
  }

  async pause(queue: string, id: string): Promise<Schedule> {
    const { spec } = await this.get(queue, id);
    await this.changed(this.store.setPaused(spec, true, 0), spec);
    return this.get(queue, id);
  }

  /** Ticks again from the first tick after now; those passed while paused are skipped. */
  async resume(queue: string, id: string, nowMs = Date.now()): Promise<Schedule> {
    const { spec } = await this.get(queue, id);
    await this.changed(this.store.setPaused(spec, false, nextTick(spec.cadence, nowMs)), spec);
    return this.get(queue, id);
  }

  /** Submits the schedule's task now, apart from the ticks (whatever the overlap policy, paused or not). */
  async trigger(queue: string, id: string, nowMs = Date.now()): Promise<Task> {
    const { spec } = await this.get(queue, id);
    return (await this.tasks.submit({ ...spec.task, taskId: manualTaskId(spec.id, nowMs) })).task;
  }

  async delete(queue: string, id: string): Promise<void> {
    check.checkQueue(queue);
    const ref: ScheduleRef = { queue, id: checkScheduleId(id) };
    await this.changed(this.store.delete(ref), ref);
  }

  private async changed(step: Promise<boolean>, ref: ScheduleRef): Promise<void> {
    if (!(await step)) throw new BatonError('NOT_FOUND', `schedule "${ref.id}" not found in queue "${ref.queue}"`);
  }
}

/** The lifecycle as the schedules use it: a task that is not there is undefined rather than NOT_FOUND. */
export function lifecycleTasks(lifecycle: Pick<Lifecycle, 'submit' | 'get' | 'cancel'>): ScheduleTasks {
  return {
    submit: (input) => lifecycle.submit(input),
    find: (queue, taskId) =>
      lifecycle.get(queue, taskId).catch((error: unknown) => {
        if (error instanceof BatonError && error.code === 'NOT_FOUND') return undefined;
        throw error;
      }),
    cancel: (queue, taskId) => lifecycle.cancel(queue, taskId),
  };
}

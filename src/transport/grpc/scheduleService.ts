import { invalidArgument } from '../../domain/errors.js';
import type { SubmitInput } from '../../domain/inputs.js';
import type { OverlapPolicy, Schedule } from '../../domain/scheduleStore.js';
import { tickTaskId } from '../../domain/schedules.js';
import type { Schedules, UpdateScheduleInput } from '../../domain/schedules.js';
import { isCron } from '../../domain/scheduleTimes.js';
import type { CatchUpPolicy } from '../../domain/scheduleTimes.js';
import type { Logger } from '../../log.js';
import { durationToMs, msToDuration, msToTimestamp, submitInputFromProto, taskToProto } from './convert.js';
import type {
  CatchUpPolicy as ProtoCatchUpPolicy,
  CreateScheduleRequest,
  OverlapPolicy as ProtoOverlapPolicy,
  Schedule as ProtoSchedule,
  ScheduleServiceServer,
  SubmitTaskRequest,
  UpdateScheduleRequest,
} from './contract.js';
import { unary } from './unary.js';

const SERVICE = 'baton.v1.ScheduleService';

const OVERLAP: Record<OverlapPolicy, ProtoOverlapPolicy> = {
  SKIP: 'OVERLAP_POLICY_SKIP',
  ALLOW: 'OVERLAP_POLICY_ALLOW',
  CANCEL_PREVIOUS: 'OVERLAP_POLICY_CANCEL_PREVIOUS',
};
const CATCH_UP: Record<CatchUpPolicy, ProtoCatchUpPolicy> = {
  NONE: 'CATCH_UP_POLICY_NONE',
  LAST: 'CATCH_UP_POLICY_LAST',
  ALL: 'CATCH_UP_POLICY_ALL',
};

/** Unset for UNSPECIFIED (the default applies); INVALID_ARGUMENT naming `field` for a number no policy has. */
function fromProto<Policy extends string, Proto extends string>(
  table: Record<Policy, Proto>,
  value: Proto | number,
  field: string,
): Policy | undefined {
  const entry = Object.entries(table).find(([, proto]) => proto === value);
  if (entry) return entry[0] as Policy;
  if (value === 0 || String(value).endsWith('_UNSPECIFIED')) return undefined;
  throw invalidArgument(field, `unknown policy ${String(value)}`);
}

function templateToProto(task: SubmitInput): SubmitTaskRequest {
  const policy = task.retryPolicy;
  return {
    queue: task.queue,
    task_id: '',
    payload: task.payload,
    metadata: task.metadata,
    priority: task.priority,
    delay: task.delayMs === undefined ? undefined : msToDuration(task.delayMs),
    schedule_time: undefined,
    max_attempts: task.maxAttempts,
    lease_duration: task.leaseDurationMs === undefined ? undefined : msToDuration(task.leaseDurationMs),
    concurrency_key: task.concurrencyKey ?? '',
    partition_key: task.partitionKey ?? '',
    expire_time: undefined,
    retry_policy:
      policy === undefined
        ? undefined
        : {
            initial_backoff: policy.initialBackoffMs === undefined ? undefined : msToDuration(policy.initialBackoffMs),
            max_backoff: policy.maxBackoffMs === undefined ? undefined : msToDuration(policy.maxBackoffMs),
            backoff_multiplier: policy.multiplier,
            jitter: policy.jitter,
          },
    type: task.type,
    unique_key: task.uniqueKey ?? '',
    unique_for: task.uniqueForMs === undefined ? undefined : msToDuration(task.uniqueForMs),
    unique_until_finished: task.uniqueUntilFinished === true,
    debounce: task.debounceMs === undefined ? undefined : msToDuration(task.debounceMs),
  };
}

export function scheduleToProto({ spec, state }: Schedule): ProtoSchedule {
  const { cadence } = spec;
  return {
    queue: spec.queue,
    schedule_id: spec.id,
    cron: isCron(cadence) ? cadence.cron : '',
    time_zone: isCron(cadence) ? cadence.timeZone : 'UTC',
    interval: isCron(cadence) ? undefined : msToDuration(cadence.intervalMs),
    task: templateToProto(spec.task),
    overlap_policy: OVERLAP[spec.overlap],
    catch_up_policy: CATCH_UP[spec.catchUp.policy],
    catch_up_limit: spec.catchUp.limit,
    misfire_threshold: msToDuration(spec.catchUp.misfireMs),
    paused: state.paused,
    create_time: msToTimestamp(spec.createTime),
    next_run_time: state.paused ? undefined : msToTimestamp(state.nextRunTime),
    last_run_time: state.lastRunTime === undefined ? undefined : msToTimestamp(state.lastRunTime),
    last_task_id: state.lastRunTime === undefined ? '' : tickTaskId(spec.id, state.lastRunTime),
  };
}

/** The definition fields CreateSchedule and UpdateSchedule share, as the domain takes them. */
function definitionFromProto(request: CreateScheduleRequest | UpdateScheduleRequest): Omit<UpdateScheduleInput, 'id'> {
  const intervalMs = durationToMs(request.interval);
  const misfireThresholdMs = durationToMs(request.misfire_threshold);
  const overlap = fromProto(OVERLAP, request.overlap_policy, 'overlap_policy');
  const catchUp = fromProto(CATCH_UP, request.catch_up_policy, 'catch_up_policy');
  return {
    cron: request.cron,
    timeZone: request.time_zone,
    catchUpLimit: request.catch_up_limit,
    ...(request.task === undefined ? {} : { task: submitInputFromProto(request.task) }),
    ...(intervalMs === undefined ? {} : { intervalMs }),
    ...(misfireThresholdMs === undefined ? {} : { misfireThresholdMs }),
    ...(overlap === undefined ? {} : { overlap }),
    ...(catchUp === undefined ? {} : { catchUp }),
  };
}

export function scheduleServiceHandlers(schedules: Schedules, log: Logger): ScheduleServiceServer {
  return {
    createSchedule: unary(`${SERVICE}/CreateSchedule`, log, async (request) => {
      const schedule = await schedules.create({ ...definitionFromProto(request), id: request.schedule_id, paused: request.paused });
      return { schedule: scheduleToProto(schedule) };
    }),

    updateSchedule: unary(`${SERVICE}/UpdateSchedule`, log, async (request) => {
      const schedule = await schedules.update(request.queue, { ...definitionFromProto(request), id: request.schedule_id });
      return { schedule: scheduleToProto(schedule) };
    }),

    getSchedule: unary(`${SERVICE}/GetSchedule`, log, async (request) => {
      const schedule = await schedules.get(request.queue, request.schedule_id);
      return {
        schedule: scheduleToProto(schedule),
        next_run_times: schedules.nextRuns(schedule, request.next_run_count).map(msToTimestamp),
      };
    }),

    listSchedules: unary(`${SERVICE}/ListSchedules`, log, async (request) => {
      const page = await schedules.list(request.queue, request.page_size, request.page_token);
      return { schedules: page.schedules.map(scheduleToProto), next_page_token: page.nextPageToken };
    }),

    pauseSchedule: unary(`${SERVICE}/PauseSchedule`, log, async (request) => ({
      schedule: scheduleToProto(await schedules.pause(request.queue, request.schedule_id)),
    })),

    resumeSchedule: unary(`${SERVICE}/ResumeSchedule`, log, async (request) => ({
      schedule: scheduleToProto(await schedules.resume(request.queue, request.schedule_id)),
    })),

    triggerSchedule: unary(`${SERVICE}/TriggerSchedule`, log, async (request) => ({
      task: taskToProto(await schedules.trigger(request.queue, request.schedule_id)),
    })),

    deleteSchedule: unary(`${SERVICE}/DeleteSchedule`, log, async (request) => {
      await schedules.delete(request.queue, request.schedule_id);
      return {};
    }),
  };
}

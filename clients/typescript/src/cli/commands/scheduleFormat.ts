import type { Schedule } from '../../contract.js';
import { durationMs, fieldLines, spanText } from '../format.js';

const at = (time: { seconds: number; nanos: number } | undefined): string | undefined =>
  time ? new Date(time.seconds * 1000 + Math.floor(time.nanos / 1e6)).toISOString() : undefined;

/** A policy enum without its prefix, in lower case: OVERLAP_POLICY_CANCEL_PREVIOUS -> cancel-previous. */
export function policyText(policy: string): string {
  return policy.replace(/^(OVERLAP|CATCH_UP)_POLICY_/, '').toLowerCase().replace(/_/g, '-');
}

/** When it ticks: the cron expression and zone, or "every 30s". */
export function cadenceText(schedule: Schedule): string {
  const interval = durationMs(schedule.interval);
  return interval === undefined ? `${schedule.cron} (${schedule.time_zone})` : `every ${spanText(interval)}`;
}

/** One schedule in detail, with its coming run times when given. */
export function scheduleText(schedule: Schedule, nextRuns: readonly { seconds: number; nanos: number }[] = []): string {
  const misfire = durationMs(schedule.misfire_threshold);
  return fieldLines([
    ['schedule', `${schedule.queue}/${schedule.schedule_id}`],
    ['when', cadenceText(schedule)],
    ['task type', schedule.task?.type === '' ? undefined : schedule.task?.type],
    ['paused', schedule.paused ? 'yes' : 'no'],
    ['overlap', policyText(schedule.overlap_policy)],
    ['catch up', schedule.catch_up_policy === 'CATCH_UP_POLICY_ALL' ? `all (up to ${schedule.catch_up_limit})` : policyText(schedule.catch_up_policy)],
    ['misfire after', misfire === undefined ? undefined : spanText(misfire)],
    ['created', at(schedule.create_time)],
    ['last run', at(schedule.last_run_time)],
    ['last task', schedule.last_task_id === '' ? undefined : schedule.last_task_id],
    ['next runs', nextRuns.length > 0 ? nextRuns.map((time) => at(time)).join('\n           ') : at(schedule.next_run_time)],
  ]);
}

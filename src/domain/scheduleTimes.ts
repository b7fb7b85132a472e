import { CronExpressionParser } from 'cron-parser';
import type { CronExpression } from 'cron-parser';
import { invalidArgument } from './errors.js';

/**
 * When a schedule ticks: pure functions of the cadence and the clock, so every replica computes the same ticks.
 * Cron expressions are parsed and stepped by cron-parser in the schedule's IANA time zone (it handles daylight
 * saving: a time a change skips runs once, shifted by the gap; a time it repeats runs once, at its first occurrence).
 */
export type Cadence = { cron: string; timeZone: string } | { intervalMs: number; anchorMs: number };

export type CatchUpPolicy = 'NONE' | 'LAST' | 'ALL';

export interface CatchUp {
  policy: CatchUpPolicy;
  /** ALL: the most missed ticks that fire. */
  limit: number;
  /** A tick first reached later than this after its time is missed. */
  misfireMs: number;
}

/** The most ticks one pass fires; older due ticks beyond it count as missed and are dropped. */
export const FIRE_MAX = 1000;

/** Standard cron: 5 fields, or 6 with seconds first. */
const FIELD_COUNTS = new Set([5, 6]);

export function isCron(cadence: Cadence): cadence is { cron: string; timeZone: string } {
  return 'cron' in cadence;
}

/** An IANA zone name the runtime knows (Intl throws a RangeError for any other). */
export function checkTimeZone(zone: string, field = 'time_zone'): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw invalidArgument(field, `"${zone.slice(0, 64)}" is not a known IANA time zone (e.g. Europe/Berlin, UTC)`);
  }
}

function cronAfter(cadence: { cron: string; timeZone: string }, afterMs: number): CronExpression {
  // The hash seed makes H fields the same on every replica.
  return CronExpressionParser.parse(cadence.cron, { currentDate: new Date(afterMs), tz: cadence.timeZone, hashSeed: cadence.cron });
}

/** Checks a cron expression in its zone; INVALID_ARGUMENT naming `cron` when it is malformed or never fires. */
export function checkCron(expression: string, timeZone: string, nowMs: number): { cron: string; timeZone: string } {
  const fields = expression.trim().split(/\s+/);
  if (expression.length > 256 || !FIELD_COUNTS.has(fields.length)) {
    throw invalidArgument('cron', `"${expression.slice(0, 64)}" must have 5 fields (minute hour day month weekday) or 6 (seconds first)`);
  }
  const cadence = { cron: fields.join(' '), timeZone };
  try {
    cronAfter(cadence, nowMs).next();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw invalidArgument('cron', `"${cadence.cron}" is not a cron expression that fires: ${why}`);
  }
  return cadence;
}

/** The first tick strictly after `afterMs`. */
export function nextTick(cadence: Cadence, afterMs: number): number {
  if (!isCron(cadence)) {
    const { intervalMs, anchorMs } = cadence;
    if (afterMs < anchorMs) return anchorMs + intervalMs;
    return anchorMs + (Math.floor((afterMs - anchorMs) / intervalMs) + 1) * intervalMs;
  }
  return cronAfter(cadence, afterMs).next().getTime();
}

/** The next `count` ticks strictly after `afterMs`, in order. */
export function ticksAfter(cadence: Cadence, afterMs: number, count: number): number[] {
  const ticks: number[] = [];
  if (count <= 0) return ticks;
  if (!isCron(cadence)) {
    for (let tick = nextTick(cadence, afterMs); ticks.length < count; tick += cadence.intervalMs) ticks.push(tick);
    return ticks;
  }
  const expression = cronAfter(cadence, afterMs);
  while (ticks.length < count) ticks.push(expression.next().getTime());
  return ticks;
}

/** The ticks t with fromMs < t <= toMs, in order; only the last `keep` when there are more. */
function ticksBetween(cadence: Cadence, fromMs: number, toMs: number, keep: number): number[] {
  const ticks: number[] = [];
  const expression = isCron(cadence) ? cronAfter(cadence, fromMs) : undefined;
  let tick = expression ? expression.next().getTime() : nextTick(cadence, fromMs);
  while (tick <= toMs) {
    ticks.push(tick);
    if (ticks.length > keep) ticks.shift();
    tick = expression ? expression.next().getTime() : tick + (cadence as { intervalMs: number }).intervalMs;
  }
  return ticks;
}

export interface TickPlan {
  /** The ticks to fire now, oldest first. */
  fire: number[];
  /** The first tick after now: where the schedule goes next. */
  next: number;
}

/**
 * What a schedule whose next tick `dueMs` has come (dueMs <= nowMs) does at `nowMs`: the ticks reached within the
 * misfire threshold fire; earlier ones were missed and fire as the catch-up policy says. The ticks are looked for
 * in a window back from now that grows until it holds what the policy needs, so a long outage of a dense schedule
 * costs about as many steps as ticks fire, not as many as were missed.
 */
export function planTicks(cadence: Cadence, dueMs: number, nowMs: number, catchUp: CatchUp): TickPlan {
  const onTimeFrom = nowMs - catchUp.misfireMs;
  const wantMissed = catchUp.policy === 'NONE' ? 0 : catchUp.policy === 'LAST' ? 1 : catchUp.limit;
  let window = Math.max(catchUp.misfireMs, 1);
  let ticks: number[];
  for (;;) {
    const from = Math.max(dueMs - 1, nowMs - window);
    ticks = ticksBetween(cadence, from, nowMs, FIRE_MAX);
    const missed = ticks.filter((tick) => tick < onTimeFrom).length;
    if (from === dueMs - 1 || missed >= wantMissed || ticks.length >= FIRE_MAX) break;
    window *= 4;
  }
  const onTime = ticks.filter((tick) => tick >= onTimeFrom);
  const missed = ticks.filter((tick) => tick < onTimeFrom);
  const caughtUp = wantMissed === 0 ? [] : missed.slice(-wantMissed);
  return { fire: [...caughtUp, ...onTime].slice(-FIRE_MAX), next: nextTick(cadence, nowMs) };
}

import { durationFromMs } from '../../time.js';
import type { Input } from '../../client.js';
import type { CatchUpPolicy, CreateScheduleRequest, OverlapPolicy } from '../../contract.js';
import type { Command, CommandContext, OptionSpec } from '../command.js';
import { UsageError, durationOption, intOption, println, stringOption } from '../command.js';
import { toJson } from '../format.js';
import { SUBMIT_OPTIONS, submitRequestOf } from './submit.js';
import { scheduleText } from './scheduleFormat.js';

// Each tick derives the task id, and an absolute deadline would pass for every later tick.
const TEMPLATE_OPTIONS = Object.fromEntries(Object.entries(SUBMIT_OPTIONS).filter(([name]) => name !== 'id' && name !== 'expire-in'));

const OVERLAP: Record<string, OverlapPolicy> = {
  skip: 'OVERLAP_POLICY_SKIP',
  allow: 'OVERLAP_POLICY_ALLOW',
  'cancel-previous': 'OVERLAP_POLICY_CANCEL_PREVIOUS',
};
const CATCH_UP: Record<string, CatchUpPolicy> = {
  none: 'CATCH_UP_POLICY_NONE',
  last: 'CATCH_UP_POLICY_LAST',
  all: 'CATCH_UP_POLICY_ALL',
};

function choice<Value>(table: Record<string, Value>, raw: string | undefined, option: string): Value | undefined {
  if (raw === undefined) return undefined;
  const value = table[raw];
  if (value === undefined) throw new UsageError(`--${option} takes ${Object.keys(table).join(', ')}; got "${raw}"`);
  return value;
}

const SCHEDULE_OPTIONS: Record<string, OptionSpec> = {
  cron: { type: 'string', value: '<expression>', help: "5 fields, or 6 with seconds first, e.g. '0 30 2 * * *'" },
  tz: { type: 'string', value: '<zone>', help: 'IANA time zone the cron fields are read in (default UTC)' },
  every: { type: 'string', value: '<duration>', help: 'a fixed interval instead of cron, e.g. 30s (1s..365d)' },
  overlap: { type: 'string', value: '<policy>', help: 'skip (default), allow or cancel-previous while the previous run is unfinished' },
  'catch-up': { type: 'string', value: '<policy>', help: 'after downtime: none, last (default) or all' },
  'catch-up-limit': { type: 'string', value: '<n>', help: 'with --catch-up all: at most this many missed ticks (default 100)' },
  misfire: { type: 'string', value: '<duration>', help: 'a tick reached later than this is missed (default 10s)' },
};

/** The definition fields create and update share; UpdateScheduleRequest has the same ones as CreateScheduleRequest. */
type Definition = Omit<Input<typeof CreateScheduleRequest>, 'schedule_id' | 'paused'>;

/** The schedule's definition from the flags and `<queue> [payload]`: what create takes, and update replaces. */
async function definitionOf(ctx: CommandContext, queue: string, payload: string[]): Promise<Definition> {
  const request: Definition = { task: await submitRequestOf({ ...ctx, args: [queue, ...payload] }) };
  const cron = stringOption(ctx, 'cron');
  if (cron !== undefined) request.cron = cron;
  const zone = stringOption(ctx, 'tz');
  if (zone !== undefined) request.time_zone = zone;
  const every = durationOption(ctx, 'every');
  if (every !== undefined) request.interval = durationFromMs(every);
  if ((cron === undefined) === (every === undefined)) throw new UsageError('give exactly one of --cron and --every');
  const overlap = choice(OVERLAP, stringOption(ctx, 'overlap'), 'overlap');
  if (overlap !== undefined) request.overlap_policy = overlap;
  const catchUp = choice(CATCH_UP, stringOption(ctx, 'catch-up'), 'catch-up');
  if (catchUp !== undefined) request.catch_up_policy = catchUp;
  const limit = intOption(ctx, 'catch-up-limit', 1, 1000);
  if (limit !== undefined) request.catch_up_limit = limit;
  const misfire = durationOption(ctx, 'misfire');
  if (misfire !== undefined) request.misfire_threshold = durationFromMs(misfire);
  return request;
}

export const scheduleCreate: Command = {
  name: 'schedule-create',
  summary: 'create a schedule: a task submitted once per cron tick or interval',
  positionals: ['<queue>', '<schedule-id>', '[payload]'],
  details: [
    'Give --cron (with --tz) or --every. Each tick submits one task, id "<schedule-id>@<tick time>", however',
    'many Baton replicas run. The task options describe the task each tick submits.',
  ].join('\n'),
  options: { ...SCHEDULE_OPTIONS, paused: { type: 'boolean', help: 'create it paused' }, ...TEMPLATE_OPTIONS },
  async run(ctx) {
    const [queue = '', scheduleId = '', ...payload] = ctx.args;
    const definition = await definitionOf(ctx, queue, payload);
    const request = { ...definition, schedule_id: scheduleId, paused: ctx.options.paused === true };
    const { schedule } = await ctx.client.createSchedule(request, ctx.call);
    if (!schedule) throw new Error('the server returned no schedule');
    println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(schedule)) : scheduleText(schedule));
  },
};

export const scheduleUpdate: Command = {
  name: 'schedule-update',
  summary: "replace a schedule's definition in place, keeping its state (paused, last run, create time)",
  positionals: ['<queue>', '<schedule-id>', '[payload]'],
  details: [
    'Takes the options of schedule-create (but --paused) and replaces the whole definition: an option left out',
    'gets its default, not the current value. The next run is the new definition\'s first tick after now.',
  ].join('\n'),
  options: { ...SCHEDULE_OPTIONS, ...TEMPLATE_OPTIONS },
  async run(ctx) {
    const [queue = '', scheduleId = '', ...payload] = ctx.args;
    const definition = await definitionOf(ctx, queue, payload);
    const { schedule } = await ctx.client.updateSchedule({ ...definition, queue, schedule_id: scheduleId }, ctx.call);
    if (!schedule) throw new Error('the server returned no schedule');
    println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(schedule)) : scheduleText(schedule));
  },
};

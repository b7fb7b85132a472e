import type { Command } from '../command.js';
import { println } from '../command.js';
import { shortState, toJson } from '../format.js';

/** The commands that act on one schedule by queue and id: pause, resume, trigger, delete. */
const POSITIONALS = ['<queue>', '<schedule-id>'];

export const schedulePause: Command = {
  name: 'schedule-pause',
  summary: 'pause a schedule: its ticks pass without submitting until it is resumed',
  positionals: POSITIONALS,
  options: {},
  async run(ctx) {
    const [queue = '', scheduleId = ''] = ctx.args;
    const { schedule } = await ctx.client.pauseSchedule({ queue, schedule_id: scheduleId }, ctx.call);
    println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(schedule)) : `paused ${queue}/${scheduleId}`);
  },
};

export const scheduleResume: Command = {
  name: 'schedule-resume',
  summary: 'resume a schedule from its first tick after now (paused ticks are not caught up)',
  positionals: POSITIONALS,
  options: {},
  async run(ctx) {
    const [queue = '', scheduleId = ''] = ctx.args;
    const { schedule } = await ctx.client.resumeSchedule({ queue, schedule_id: scheduleId }, ctx.call);
    const next = schedule?.next_run_time ? new Date(schedule.next_run_time.seconds * 1000).toISOString() : 'unknown';
    println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(schedule)) : `resumed ${queue}/${scheduleId}; next run ${next}`);
  },
};

export const scheduleTrigger: Command = {
  name: 'schedule-trigger',
  summary: "submit a schedule's task now, apart from its ticks",
  positionals: POSITIONALS,
  options: {},
  async run(ctx) {
    const [queue = '', scheduleId = ''] = ctx.args;
    const { task } = await ctx.client.triggerSchedule({ queue, schedule_id: scheduleId }, ctx.call);
    if (!task) throw new Error('the server returned no task');
    println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(task)) : `submitted ${task.id} (${shortState(task.state)})`);
  },
};

export const scheduleDelete: Command = {
  name: 'schedule-delete',
  summary: 'delete a schedule; the tasks it submitted stay',
  positionals: POSITIONALS,
  options: {},
  async run(ctx) {
    const [queue = '', scheduleId = ''] = ctx.args;
    await ctx.client.deleteSchedule({ queue, schedule_id: scheduleId }, ctx.call);
    println(ctx.io.stdout, ctx.json ? JSON.stringify({ deleted: `${queue}/${scheduleId}` }) : `deleted ${queue}/${scheduleId}`);
  },
};

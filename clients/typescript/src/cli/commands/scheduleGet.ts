import type { Command } from '../command.js';
import { intOption, println } from '../command.js';
import { toJson } from '../format.js';
import { scheduleText } from './scheduleFormat.js';

export const scheduleGet: Command = {
  name: 'schedule-get',
  summary: 'one schedule, with its coming run times',
  positionals: ['<queue>', '<schedule-id>'],
  options: {
    next: { type: 'string', value: '<n>', help: 'how many coming run times to show, 1..100 (default 5)' },
  },
  async run(ctx) {
    const [queue = '', scheduleId = ''] = ctx.args;
    const response = await ctx.client.getSchedule(
      { queue, schedule_id: scheduleId, next_run_count: intOption(ctx, 'next', 1, 100) ?? 0 },
      ctx.call,
    );
    if (!response.schedule) throw new Error('the server returned no schedule');
    println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(response)) : scheduleText(response.schedule, response.next_run_times));
  },
};

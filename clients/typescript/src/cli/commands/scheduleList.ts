import type { Command } from '../command.js';
import { intOption, println, stringOption } from '../command.js';
import { table, toJson } from '../format.js';
import { cadenceText, policyText } from './scheduleFormat.js';

export const scheduleList: Command = {
  name: 'schedule-list',
  summary: "schedules by queue and id (one queue's with --queue)",
  positionals: [],
  options: {
    queue: { type: 'string', short: 'q', value: '<queue>', help: 'only schedules of this queue' },
    limit: { type: 'string', value: '<n>', help: 'at most this many, 1..1000 (default 100)' },
    'page-token': { type: 'string', value: '<token>', help: 'continue after a previous page' },
  },
  async run(ctx) {
    const queue = stringOption(ctx, 'queue');
    const pageToken = stringOption(ctx, 'page-token');
    const response = await ctx.client.listSchedules(
      {
        ...(queue === undefined ? {} : { queue }),
        ...(pageToken === undefined ? {} : { page_token: pageToken }),
        page_size: intOption(ctx, 'limit', 1, 1000) ?? 0,
      },
      ctx.call,
    );
    if (ctx.json) {
      println(ctx.io.stdout, JSON.stringify(toJson(response)));
      return;
    }
    const at = (time: { seconds: number } | undefined): string => (time ? new Date(time.seconds * 1000).toISOString() : '');
    const rows = response.schedules.map((schedule) => [
      schedule.queue,
      schedule.schedule_id,
      cadenceText(schedule),
      schedule.paused ? 'paused' : at(schedule.next_run_time),
      at(schedule.last_run_time),
      policyText(schedule.overlap_policy),
    ]);
    println(ctx.io.stdout, table(['QUEUE', 'ID', 'WHEN', 'NEXT RUN', 'LAST RUN', 'OVERLAP'], rows));
    if (response.next_page_token !== '') println(ctx.io.stdout, `more: --page-token ${response.next_page_token}`);
  },
};

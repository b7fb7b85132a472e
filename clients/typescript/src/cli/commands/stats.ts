import type { Queue } from '../../contract.js';
import type { Command } from '../command.js';
import { println } from '../command.js';
import { durationMs, queueText, spanText, table, toJson } from '../format.js';

const PAGE_SIZE = 1000;

export const stats: Command = {
  name: 'stats',
  summary: 'a table of every queue (counts, oldest pending age, workers), or one queue in detail',
  positionals: ['[queue]'],
  details: [
    'Without a queue: one row per queue ever used. With one: its counts, settings and when a worker last claimed.',
    'Finished counts (succeeded ... expired) are the tasks still within retention.',
  ].join('\n'),
  options: {},
  async run(ctx) {
    const [name] = ctx.args;
    if (name !== undefined) {
      const { queue } = await ctx.client.getQueue({ queue: name }, ctx.call);
      if (!queue) throw new Error('the server returned no queue');
      println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(queue)) : queueText(queue));
      return;
    }
    const queues: Queue[] = [];
    let pageToken = '';
    do {
      const page = await ctx.client.listQueues({ page_size: PAGE_SIZE, page_token: pageToken }, ctx.call);
      queues.push(...page.queues);
      pageToken = page.next_page_token;
    } while (pageToken !== '');
    if (ctx.json) {
      println(ctx.io.stdout, JSON.stringify({ queues: queues.map((queue) => toJson(queue)) }));
      return;
    }
    const rows = queues.map((queue) => {
      const c = queue.counts;
      const counts = [c?.scheduled, c?.pending, c?.active, c?.succeeded, c?.failed, c?.exhausted, c?.cancelled, c?.expired];
      const oldest = durationMs(queue.oldest_pending_age);
      return [
        queue.name,
        queue.paused ? 'yes' : 'no',
        ...counts.map((n) => String(n ?? 0)),
        oldest === undefined ? '-' : spanText(oldest),
        String(queue.live_workers),
      ];
    });
    const header = ['QUEUE', 'PAUSED', 'SCHEDULED', 'PENDING', 'ACTIVE', 'SUCCEEDED', 'FAILED', 'EXHAUSTED', 'CANCELLED', 'EXPIRED'];
    println(ctx.io.stdout, table([...header, 'OLDEST', 'WORKERS'], rows));
  },
};

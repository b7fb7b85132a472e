import type { Command } from '../command.js';
import { intOption, println, stringOption } from '../command.js';
import { agoText, table, toJson } from '../format.js';

export const workers: Command = {
  name: 'workers',
  summary: 'the workers alive now (or all remembered), most recently seen first',
  positionals: [],
  details:
    'A worker is lost when it has not claimed, heartbeated or registered within the server\'s lost-worker window. ' +
    'Shows one page; when more follow, says how to get the next one (--page-token).',
  options: {
    queue: { type: 'string', short: 'q', value: '<queue>', help: 'only workers of this queue' },
    all: { type: 'boolean', help: 'include lost workers' },
    limit: { type: 'string', value: '<n>', help: 'registry entries per page, 1..1000 (default 100)' },
    'page-token': { type: 'string', value: '<token>', help: 'continue from a previous page' },
  },
  async run(ctx) {
    const queue = stringOption(ctx, 'queue');
    const limit = intOption(ctx, 'limit', 1, 1000);
    const token = stringOption(ctx, 'page-token');
    const response = await ctx.client.listWorkers(
      {
        ...(queue === undefined ? {} : { queue }),
        include_lost: ctx.options.all === true,
        ...(limit === undefined ? {} : { page_size: limit }),
        ...(token === undefined ? {} : { page_token: token }),
      },
      ctx.call,
    );
    if (ctx.json) {
      println(ctx.io.stdout, JSON.stringify(toJson(response)));
      return;
    }
    const now = Date.now();
    const rows = response.workers.map((worker) => [
      worker.worker_id,
      worker.status === 'WORKER_STATUS_ALIVE' ? 'alive' : 'lost',
      worker.queues.join(','),
      String(worker.active_tasks),
      String(worker.processed_count),
      String(worker.failed_count),
      agoText(worker.last_seen_time, now),
      worker.hostname,
    ]);
    println(ctx.io.stdout, table(['ID', 'STATUS', 'QUEUES', 'ACTIVE', 'PROCESSED', 'FAILED', 'LAST SEEN', 'HOSTNAME'], rows));
    if (response.next_page_token) {
      const filters = `${queue === undefined ? '' : ` --queue ${queue}`}${ctx.options.all === true ? ' --all' : ''}`;
      println(ctx.io.stderr, `more: baton workers${filters} --page-token ${response.next_page_token}`);
    }
  },
};

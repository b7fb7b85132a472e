import { hostname } from 'node:os';
import { durationFromMs } from '../../time.js';
import type { Command } from '../command.js';
import { durationOption, intOption, println, stringOption } from '../command.js';
import { bytesText, toJson } from '../format.js';

export const claim: Command = {
  name: 'claim',
  summary: 'claim tasks under a lease (for shell workers); prints each task id with its lease token',
  positionals: ['<queue>'],
  details: 'Exits 0 with nothing printed when no task was claimable within --wait.',
  options: {
    worker: { type: 'string', value: '<id>', help: 'worker id shown in the lease (default: cli@<hostname>)' },
    max: { type: 'string', value: '<n>', help: 'claim up to n tasks, 1-100 (default 1)' },
    lease: { type: 'string', value: '<duration>', help: "lease length (default: each task's own)" },
    wait: { type: 'string', value: '<duration>', help: 'wait up to this long for a task, at most 60s (default 0)' },
  },
  async run(ctx) {
    const [queue = ''] = ctx.args;
    const lease = durationOption(ctx, 'lease');
    const wait = durationOption(ctx, 'wait') ?? 0;
    const { tasks } = await ctx.client.claimTasks(
      {
        queues: [queue],
        worker_id: stringOption(ctx, 'worker') ?? `cli@${hostname()}`,
        max_tasks: intOption(ctx, 'max', 1, 100) ?? 1,
        wait_timeout: durationFromMs(wait),
        ...(lease === undefined ? {} : { lease_duration: durationFromMs(lease) }),
      },
      { ...ctx.call, ...(ctx.call.timeoutMs === undefined ? {} : { timeoutMs: ctx.call.timeoutMs + wait }) },
    );
    for (const { task, lease_token } of tasks) {
      if (!task) continue;
      if (ctx.json) println(ctx.io.stdout, JSON.stringify({ lease_token, task: toJson(task) }));
      else println(ctx.io.stdout, `${task.id}\t${lease_token}\t${bytesText(task.payload)}`);
    }
  },
};

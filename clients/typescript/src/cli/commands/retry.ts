import type { Command } from '../command.js';
import { println } from '../command.js';
import { shortState, toJson } from '../format.js';

export const retry: Command = {
  name: 'retry',
  summary: 'run a FAILED, EXHAUSTED, CANCELLED or EXPIRED task again',
  positionals: ['<queue>', '<task-id>'],
  options: {},
  async run(ctx) {
    const [queue = '', taskId = ''] = ctx.args;
    const { task } = await ctx.client.retryTask({ queue, task_id: taskId }, ctx.call);
    if (!task) throw new Error('the server returned no task');
    println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(task)) : `retrying ${task.id} (${shortState(task.state)})`);
  },
};

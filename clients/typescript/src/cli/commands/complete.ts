import type { Command } from '../command.js';
import { println, stringOption } from '../command.js';
import { shortState, toJson } from '../format.js';

export const complete: Command = {
  name: 'complete',
  summary: 'complete a claimed task with an optional result',
  positionals: ['<queue>', '<task-id>', '<lease-token>'],
  options: {
    result: { type: 'string', value: '<text>', help: 'the result to store (UTF-8)' },
  },
  async run(ctx) {
    const [queue = '', taskId = '', leaseToken = ''] = ctx.args;
    const { task } = await ctx.client.completeTask(
      { queue, task_id: taskId, lease_token: leaseToken, result: Buffer.from(stringOption(ctx, 'result') ?? '') },
      ctx.call,
    );
    if (!task) throw new Error('the server returned no task');
    if (ctx.json) println(ctx.io.stdout, JSON.stringify(toJson(task)));
    else println(ctx.io.stdout, `completed ${task.id} (${shortState(task.state)})`);
  },
};

import type { Command } from '../command.js';
import { println } from '../command.js';
import { taskText, toJson } from '../format.js';

export const get: Command = {
  name: 'get',
  summary: 'show one task',
  positionals: ['<queue>', '<task-id>'],
  options: {},
  async run(ctx) {
    const [queue = '', taskId = ''] = ctx.args;
    const { task } = await ctx.client.getTask({ queue, task_id: taskId }, ctx.call);
    if (!task) throw new Error('the server returned no task');
    println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(task)) : taskText(task));
  },
};

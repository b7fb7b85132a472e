import type { Command } from '../command.js';
import { println } from '../command.js';
import { shortState, toJson } from '../format.js';

export const cancel: Command = {
  name: 'cancel',
  summary: 'cancel a task (an active one is asked to stop through its heartbeat)',
  positionals: ['<queue>', '<task-id>'],
  options: {},
  async run(ctx) {
    const [queue = '', taskId = ''] = ctx.args;
    const { task } = await ctx.client.cancelTask({ queue, task_id: taskId }, ctx.call);
    if (!task) throw new Error('the server returned no task');
    if (ctx.json) println(ctx.io.stdout, JSON.stringify(toJson(task)));
    else if (task.state === 'TASK_STATE_CANCELLED') println(ctx.io.stdout, `cancelled ${task.id}`);
    else {
      println(ctx.io.stdout, `cancel requested for ${task.id} (${shortState(task.state)}): its worker stops at its next heartbeat`);
    }
  },
};

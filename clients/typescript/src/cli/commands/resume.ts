import type { Command } from '../command.js';
import { println } from '../command.js';
import { toJson } from '../format.js';

export const resume: Command = {
  name: 'resume',
  summary: 'resume a paused queue; workers waiting on it get tasks at once',
  positionals: ['<queue>'],
  options: {},
  async run(ctx) {
    const [name = ''] = ctx.args;
    const { queue } = await ctx.client.resumeQueue({ queue: name }, ctx.call);
    if (!queue) throw new Error('the server returned no queue');
    println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(queue)) : `resumed ${queue.name} (${queue.counts?.pending ?? 0} pending)`);
  },
};

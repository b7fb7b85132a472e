import type { Command } from '../command.js';
import { println } from '../command.js';
import { toJson } from '../format.js';

export const pause: Command = {
  name: 'pause',
  summary: 'pause a queue: claims get nothing from it; submits are still accepted',
  positionals: ['<queue>'],
  details: "Tasks already claimed keep running. 'baton resume' undoes it.",
  options: {},
  async run(ctx) {
    const [name = ''] = ctx.args;
    const { queue } = await ctx.client.pauseQueue({ queue: name }, ctx.call);
    if (!queue) throw new Error('the server returned no queue');
    println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(queue)) : `paused ${queue.name} (${queue.counts?.pending ?? 0} pending)`);
  },
};

import type { Command } from '../command.js';
import { UsageError, println } from '../command.js';

export const purge: Command = {
  name: 'purge',
  summary: 'delete the scheduled and pending tasks of a queue (with --finished, its finished tasks too)',
  positionals: ['<queue>'],
  details: 'Active tasks stay with their workers. There is no undo, so --yes is required.',
  options: {
    finished: { type: 'boolean', help: 'also delete finished tasks and empty the completed list' },
    yes: { type: 'boolean', short: 'y', help: 'really delete' },
  },
  async run(ctx) {
    const [queue = ''] = ctx.args;
    const finished = ctx.options.finished === true;
    if (ctx.options.yes !== true) {
      throw new UsageError(`refusing to purge ${queue} without --yes (this deletes tasks for good)`);
    }
    const { purged_count } = await ctx.client.purgeQueue({ queue, include_finished: finished }, ctx.call);
    println(
      ctx.io.stdout,
      ctx.json ? JSON.stringify({ purged_count }) : `purged ${purged_count} task${purged_count === 1 ? '' : 's'} from ${queue}`,
    );
  },
};

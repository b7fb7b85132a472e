import type { Command } from '../command.js';
import { UsageError, println } from '../command.js';

export const queueDelete: Command = {
  name: 'queue-delete',
  summary: 'delete a queue: every task in it, its settings and events, and its name',
  positionals: ['<queue>'],
  details:
    'Refused while workers hold leases on its tasks unless --force. There is no undo, so --yes is required. ' +
    'A later submit to the same name creates a new, empty queue.',
  options: {
    force: { type: 'boolean', help: 'delete even while tasks are leased (their workers then get NOT_FOUND)' },
    yes: { type: 'boolean', short: 'y', help: 'really delete' },
  },
  async run(ctx) {
    const [queue = ''] = ctx.args;
    if (ctx.options.yes !== true) {
      throw new UsageError(`refusing to delete queue ${queue} without --yes (this deletes it and its tasks for good)`);
    }
    const { deleted_task_count } = await ctx.client.deleteQueue({ queue, force: ctx.options.force === true }, ctx.call);
    println(
      ctx.io.stdout,
      ctx.json
        ? JSON.stringify({ queue, deleted_task_count })
        : `deleted queue ${queue} and its ${deleted_task_count} task${deleted_task_count === 1 ? '' : 's'}`,
    );
  },
};

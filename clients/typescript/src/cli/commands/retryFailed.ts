import type { TaskState } from '../../contract.js';
import type { Command } from '../command.js';
import { UsageError, println, stringsOption } from '../command.js';

const RETRYABLE: readonly TaskState[] = [
  'TASK_STATE_EXHAUSTED',
  'TASK_STATE_FAILED',
  'TASK_STATE_CANCELLED',
  'TASK_STATE_EXPIRED',
];

export const retryFailed: Command = {
  name: 'retry-failed',
  summary: 'run again every finished task of a queue in the given states (bulk redrive)',
  positionals: ['<queue>'],
  details: "Each task becomes PENDING with a fresh attempt budget. For a single task, use 'baton retry'.",
  options: {
    state: {
      type: 'string',
      multiple: true,
      value: '<state>',
      help: 'exhausted, failed, cancelled or expired; repeatable (default: failed and exhausted)',
    },
  },
  async run(ctx) {
    const [queue = ''] = ctx.args;
    const states = stringsOption(ctx, 'state').map((raw) => {
      const upper = raw.trim().toUpperCase();
      const state = RETRYABLE.find((s) => s === upper || s === `TASK_STATE_${upper}`);
      if (state === undefined) throw new UsageError(`--state must be one of exhausted, failed, cancelled, expired; got "${raw}"`);
      return state;
    });
    const { retried_count } = await ctx.client.retryTasks({ queue, states }, ctx.call);
    println(
      ctx.io.stdout,
      ctx.json ? JSON.stringify({ retried_count }) : `retrying ${retried_count} task${retried_count === 1 ? '' : 's'} in ${queue}`,
    );
  },
};

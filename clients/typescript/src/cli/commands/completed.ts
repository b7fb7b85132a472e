import type { Command } from '../command.js';
import { intOption, println } from '../command.js';
import { shortState, table, toJson, typeCell } from '../format.js';

export const completed: Command = {
  name: 'completed',
  summary: 'the most recently finished tasks of a queue, newest first, whatever their outcome',
  positionals: ['<queue>'],
  details: "The queue keeps its last N finished tasks (N is its ring size, see 'baton queue-set --ring').",
  options: {
    limit: { type: 'string', short: 'n', value: '<n>', help: 'at most n tasks, 1..100000 (default: the whole ring)' },
  },
  async run(ctx) {
    const [queue = ''] = ctx.args;
    const limit = intOption(ctx, 'limit', 1, 100_000);
    const { tasks } = await ctx.client.listCompletedTasks({ queue, ...(limit === undefined ? {} : { limit }) }, ctx.call);
    if (ctx.json) {
      println(ctx.io.stdout, JSON.stringify({ tasks: tasks.map((task) => toJson(task)) }));
      return;
    }
    const rows = tasks.map((task) => [
      task.id,
      shortState(task.state),
      typeCell(task),
      `${task.attempt}/${task.max_attempts}`,
      task.end_time ? new Date(task.end_time.seconds * 1000 + Math.floor(task.end_time.nanos / 1e6)).toISOString() : '',
      task.error && (task.error.type !== '' || task.error.message !== '')
        ? `${task.error.type}: ${task.error.message}`.replace(/\s+/g, ' ').slice(0, 80)
        : '',
    ]);
    println(ctx.io.stdout, table(['ID', 'STATE', 'TYPE', 'ATTEMPT', 'ENDED', 'ERROR'], rows));
  },
};

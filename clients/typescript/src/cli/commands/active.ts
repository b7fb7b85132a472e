import type { Command } from '../command.js';
import { println, stringOption } from '../command.js';
import { spanText, table, toJson, typeCell } from '../format.js';

export const active: Command = {
  name: 'active',
  summary: 'the tasks each worker holds now under a live lease, grouped by worker',
  positionals: ['[queue]'],
  details: 'Without a queue: every queue. A task whose lease has expired is not shown.',
  options: {
    worker: { type: 'string', short: 'w', value: '<id>', help: "only this worker's tasks" },
  },
  async run(ctx) {
    const [queue] = ctx.args;
    const worker = stringOption(ctx, 'worker');
    const response = await ctx.client.listActiveTasks(
      { ...(queue === undefined ? {} : { queue }), ...(worker === undefined ? {} : { worker_id: worker }) },
      ctx.call,
    );
    if (ctx.json) {
      println(ctx.io.stdout, JSON.stringify(toJson(response)));
      return;
    }
    if (response.workers.length === 0) {
      println(ctx.io.stdout, 'no active tasks');
      return;
    }
    const now = Date.now();
    const blocks = response.workers.map(({ worker_id, tasks }) => {
      const rows = tasks.map((task) => {
        const expire = task.lease?.expire_time;
        const left = expire ? expire.seconds * 1000 + expire.nanos / 1e6 - now : undefined;
        const progress = task.progress;
        const shown =
          progress && (progress.current !== 0 || progress.total !== 0 || progress.message !== '')
            ? `${progress.current}/${progress.total} ${progress.message}`.trim()
            : '';
        return [
          task.id,
          task.queue,
          typeCell(task),
          `${task.attempt}/${task.max_attempts}`,
          left === undefined ? '' : left > 0 ? spanText(left) : 'expired',
          shown + (task.cancel_requested ? ' (cancel requested)' : ''),
        ];
      });
      const body = table(['ID', 'QUEUE', 'TYPE', 'ATTEMPT', 'LEASE EXPIRES IN', 'PROGRESS'], rows);
      const count = `${tasks.length} task${tasks.length === 1 ? '' : 's'}`;
      return [`worker ${worker_id} (${count})`, ...body.split('\n').map((line) => `  ${line}`)].join('\n');
    });
    println(ctx.io.stdout, blocks.join('\n\n'));
  },
};

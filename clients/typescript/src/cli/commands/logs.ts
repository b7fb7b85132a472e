import * as grpc from '@grpc/grpc-js';
import { statusOf } from '../../errors.js';
import type { TaskLogLine } from '../../contract.js';
import type { Command, CommandContext } from '../command.js';
import { intOption, printable, println } from '../command.js';
import { toJson } from '../format.js';

/** Pages a plain `baton logs` reads before it stops (a task keeps at most 1,000 lines: one page holds them). */
const MAX_PAGES = 100;

/** One line as printed: time, attempt and text, its control characters escaped so none reaches the terminal. */
export function logLineText(line: TaskLogLine): string {
  const time = line.time ? new Date(line.time.seconds * 1000 + Math.floor(line.time.nanos / 1e6)).toISOString() : '-';
  return `${time}  #${line.attempt}  ${printable(line.text)}${line.truncated ? ' [truncated]' : ''}`;
}

function print(ctx: CommandContext, line: TaskLogLine): void {
  println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(line)) : logLineText(line));
}

/** Errors after which following again from the last position carries on where the stream stopped. */
const RESUMABLE = new Set<grpc.status | undefined>([grpc.status.UNAVAILABLE]);

export const logs: Command = {
  name: 'logs',
  summary: "print a task's log lines (--follow: as they come, until the task finishes)",
  positionals: ['<queue>', '<task-id>'],
  details: [
    'Each line shows when it was logged, the attempt that logged it (#1, #2, ...) and its text, control characters',
    'escaped. A task keeps its newest 1,000 lines and 64 KiB; older lines are dropped (said on stderr).',
    '--follow streams new lines until the task finishes (exit 0) or Ctrl-C (exit 130); it has no deadline.',
    '--json prints one JSON object per line, with its position (resume with --after <position>).',
  ].join('\n'),
  options: {
    follow: { type: 'boolean', short: 'f', help: 'keep printing lines as they are appended, until the task finishes' },
    after: { type: 'string', value: '<position>', help: 'only lines after this position (default: from the oldest kept)' },
  },
  async run(ctx) {
    const [queue = '', taskId = ''] = ctx.args;
    let after = intOption(ctx, 'after', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const task = { queue, task_id: taskId };
    if (ctx.options.follow !== true) {
      for (let page = 0; page < MAX_PAGES; page++) {
        const { lines, first_position, last_position } = await ctx.client.getTaskLogs({ ...task, after_position: after, page_size: 1000 }, ctx.call);
        if (page === 0 && first_position > after + 1 && !ctx.json) {
          println(ctx.io.stderr, `baton logs: lines ${after + 1} to ${first_position - 1} were dropped (a task keeps its newest lines)`);
        }
        for (const line of lines) print(ctx, line);
        after = lines.at(-1)?.position ?? after;
        if (lines.length === 0 || after >= last_position) return;
      }
      return;
    }
    try {
      for await (const line of ctx.client.watchTaskLogs({ ...task, after_position: after }, { signal: ctx.signal })) {
        after = line.position;
        print(ctx, line);
      }
    } catch (error) {
      if (RESUMABLE.has(statusOf(error))) {
        println(ctx.io.stderr, `baton logs: the stream broke; resume with: baton logs ${queue} ${taskId} --follow --after ${after}`);
      }
      throw error;
    }
  },
};

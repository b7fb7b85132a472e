import { durationFromMs } from '../../time.js';
import type { Task, WaitTaskResponse } from '../../contract.js';
import { EXIT } from '../exit.js';
import type { Command, CommandContext, OptionSpec } from '../command.js';
import { CommandExit, durationOption, println } from '../command.js';
import { shortState, spanText, taskText, toJson } from '../format.js';

/** The longest wait one WaitTask or RunTask call accepts; longer waits are several calls. */
const SERVER_MAX_WAIT_MS = 60_000;
const DEFAULT_WAIT_MS = 30_000;

/** wait's and run's --timeout: how long to wait for the outcome (it replaces the global per-call deadline). */
export const WAIT_TIMEOUT_OPTION: Record<string, OptionSpec> = {
  timeout: {
    type: 'string',
    value: '<duration>',
    help: `how long to wait for the task to finish (default ${spanText(DEFAULT_WAIT_MS)}; exit 3 when it passes)`,
  },
};

/** The --timeout of wait and run, in milliseconds. */
export function waitTimeoutOf(ctx: CommandContext): number {
  return durationOption(ctx, 'timeout') ?? DEFAULT_WAIT_MS;
}

/** How much of the wait one call may take, from what is left until `deadline`. */
export function waitSlice(deadline: number): number {
  return Math.min(Math.max(0, deadline - Date.now()), SERVER_MAX_WAIT_MS);
}

/** Calls WaitTask (in slices of at most 60 s) until the task is finished or `deadline` passes. */
export async function waitUntil(
  ctx: CommandContext,
  queue: string,
  taskId: string,
  deadline: number,
): Promise<WaitTaskResponse> {
  for (;;) {
    // No timeoutMs: the SDK gives the call its wait plus a margin. No retries, as for every CLI call.
    const outcome = await ctx.client.waitTask(
      { queue, task_id: taskId, timeout: durationFromMs(waitSlice(deadline)) },
      { retry: false, signal: ctx.signal },
    );
    if (outcome.finished || Date.now() >= deadline) return outcome;
  }
}

/** Exit 3, saying so on stderr: the timeout passed first. */
export function timedOut(queue: string, task: Task | undefined, waitedMs: number): CommandExit {
  const id = task?.id ?? '?';
  return new CommandExit(EXIT.timedOut, `${id} is still ${task ? shortState(task.state) : 'unfinished'} after ${spanText(waitedMs)}; keep waiting with: baton wait ${queue} ${id}`);
}

export const wait: Command = {
  name: 'wait',
  summary: 'wait until a task is finished, then print it',
  positionals: ['<queue>', '<task-id>'],
  details: [
    'Exit codes: 0 the task is finished (in any final state: SUCCEEDED, FAILED, EXHAUSTED, CANCELLED or EXPIRED;',
    'read its state), 3 the --timeout passed first (the task as it is now is printed), 1 and 2 as for every command.',
    '--json prints {"finished": ..., "task": ...}.',
  ].join('\n'),
  options: WAIT_TIMEOUT_OPTION,
  // Its --timeout is how long to wait, not a deadline for each call.
  globals: ['server', 'json'],
  async run(ctx) {
    const [queue = '', taskId = ''] = ctx.args;
    const waitMs = waitTimeoutOf(ctx);
    const { task, finished } = await waitUntil(ctx, queue, taskId, Date.now() + waitMs);
    if (ctx.json) println(ctx.io.stdout, JSON.stringify({ finished, task: task ? toJson(task) : null }));
    else if (task) println(ctx.io.stdout, taskText(task));
    if (!finished) throw timedOut(queue, task, waitMs);
  },
};

import { durationFromMs } from '../../time.js';
import type { Command } from '../command.js';
import { CommandExit, println } from '../command.js';
import { EXIT } from '../exit.js';
import { shortState, taskText, toJson } from '../format.js';
import { SUBMIT_OPTIONS, submitRequestOf } from './submit.js';
import { WAIT_TIMEOUT_OPTION, timedOut, waitSlice, waitTimeoutOf, waitUntil } from './wait.js';

export const run: Command = {
  name: 'run',
  summary: 'submit a task and wait for its result (RunTask)',
  positionals: ['<queue>', '[payload]'],
  details: [
    'The task is described as for submit. When it succeeds its result is written to stdout byte for byte',
    '(--json prints {"finished", "created", "task"} with the result in task.result as base64).',
    'An --id that exists is waited on without submitting again.',
    'Exit codes: 0 SUCCEEDED; 1 it finished otherwise (FAILED, EXHAUSTED, CANCELLED, EXPIRED: the task is printed),',
    'or the server refused (e.g. FAILED_PRECONDITION for --require-worker); 3 the --timeout passed first; 2 usage.',
  ].join('\n'),
  options: {
    ...SUBMIT_OPTIONS,
    ...WAIT_TIMEOUT_OPTION,
    'require-worker': {
      type: 'boolean',
      help: 'fail at once (FAILED_PRECONDITION) when no worker has claimed from the queue lately',
    },
  },
  // Its --timeout is how long to wait, not a deadline for each call.
  globals: ['server', 'json'],
  async run(ctx) {
    const queue = ctx.args[0] ?? '';
    const request = await submitRequestOf(ctx);
    const waitMs = waitTimeoutOf(ctx);
    const deadline = Date.now() + waitMs;
    // Never retried (a run without --id would submit twice); the SDK gives it its wait plus a margin.
    const first = await ctx.client.runTask(
      { task: request, timeout: durationFromMs(waitSlice(deadline)), require_worker: ctx.options['require-worker'] === true },
      { retry: false, signal: ctx.signal },
    );
    const created = first.created;
    let { task, finished } = first;
    if (!finished && task && Date.now() < deadline) ({ task, finished } = await waitUntil(ctx, queue, task.id, deadline));
    if (ctx.json) {
      println(ctx.io.stdout, JSON.stringify({ finished, created, task: task ? toJson(task) : null }));
    } else if (finished && task?.state === 'TASK_STATE_SUCCEEDED') {
      ctx.io.stdout.write(task.result);
      if ((ctx.io.stdout as { isTTY?: boolean }).isTTY === true && !task.result.toString().endsWith('\n')) println(ctx.io.stdout);
    } else if (task) {
      println(ctx.io.stdout, taskText(task));
    }
    if (!finished) throw timedOut(queue, task, waitMs);
    if (task?.state === 'TASK_STATE_SUCCEEDED') return;
    const error = task?.error && task.error.message !== '' ? `: ${task.error.type} ${task.error.message}`.trimEnd() : '';
    throw new CommandExit(EXIT.serverError, `${task?.id ?? '?'} ended ${task ? shortState(task.state) : '?'}${error}`);
  },
};

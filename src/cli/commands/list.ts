import type { ListTasksRequest } from '../../grpc/generated/baton/v1/ListTasksRequest.js';
import type { Command } from '../command.js';
import { intOption, println, stringOption } from '../command.js';
import { parseState, shortState, table, toJson } from '../format.js';

export const list: Command = {
  name: 'list',
  summary: 'list the tasks of a queue, newest first',
  positionals: ['<queue>'],
  details: 'Shows one page; when more follow, says how to get the next one (--page-token).',
  options: {
    state: { type: 'string', value: '<state>', help: 'only tasks in this state: pending, active, succeeded, ...' },
    limit: { type: 'string', value: '<n>', help: 'tasks per page, 1..1000 (default 100)' },
    'page-token': { type: 'string', value: '<token>', help: 'continue from a previous page' },
    payloads: { type: 'boolean', help: 'include payloads and results (with --json)' },
  },
  async run(ctx) {
    const queue = ctx.args[0] ?? '';
    const request: ListTasksRequest = { queue, include_payload: ctx.options.payloads === true };
    const state = stringOption(ctx, 'state');
    if (state !== undefined) request.state = parseState(state);
    const limit = intOption(ctx, 'limit', 1, 1000);
    if (limit !== undefined) request.page_size = limit;
    const token = stringOption(ctx, 'page-token');
    if (token !== undefined) request.page_token = token;

    const page = await ctx.client.listTasks(request, ctx.call);
    if (ctx.json) {
      println(ctx.io.stdout, JSON.stringify(toJson(page)));
      return;
    }
    const rows = page.tasks.map((task) => [
      task.id,
      shortState(task.state) + (task.cancel_requested && task.state === 'TASK_STATE_ACTIVE' ? '*' : ''),
      `${task.attempt}/${task.max_attempts}`,
      String(task.priority),
      task.update_time ? new Date(task.update_time.seconds * 1000).toISOString().replace('.000Z', 'Z') : '',
    ]);
    println(ctx.io.stdout, table(['ID', 'STATE', 'ATTEMPT', 'PRIORITY', 'UPDATED'], rows));
    if (page.tasks.some((task) => task.cancel_requested && task.state === 'TASK_STATE_ACTIVE')) println(ctx.io.stdout, '* cancel requested');
    if (page.next_page_token) {
      println(ctx.io.stderr, `more: baton list ${queue} --page-token ${page.next_page_token}`);
    }
  },
};

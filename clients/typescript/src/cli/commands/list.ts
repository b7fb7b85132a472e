import type { Input } from '../../client.js';
import type { ListTasksRequest } from '../../contract.js';
import type { Command } from '../command.js';
import { intOption, println, stringOption } from '../command.js';
import { parseState, shortState, table, toJson, typeCell } from '../format.js';

export const list: Command = {
  name: 'list',
  summary: 'list the tasks of a queue, newest first',
  positionals: ['<queue>'],
  details: 'Shows one page; when more follow, says how to get the next one (--page-token).',
  options: {
    state: { type: 'string', value: '<state>', help: 'only tasks in this state: pending, active, succeeded, ...' },
    type: { type: 'string', value: '<type>', help: 'only tasks of this type' },
    parent: { type: 'string', value: '<task-id>', help: 'only children of this parent (see baton tree)' },
    root: { type: 'string', value: '<task-id>', help: 'only tasks of the flow with this root' },
    limit: { type: 'string', value: '<n>', help: 'tasks per page, 1..1000 (default 100)' },
    'page-token': { type: 'string', value: '<token>', help: 'continue from a previous page' },
    payloads: { type: 'boolean', help: 'include payloads and results (with --json)' },
  },
  async run(ctx) {
    const queue = ctx.args[0] ?? '';
    const request: Input<typeof ListTasksRequest> = { queue, include_payload: ctx.options.payloads === true };
    const state = stringOption(ctx, 'state');
    if (state !== undefined) request.state = parseState(state);
    const type = stringOption(ctx, 'type');
    if (type !== undefined) request.type = type;
    const parent = stringOption(ctx, 'parent');
    if (parent !== undefined) request.parent_id = parent;
    const root = stringOption(ctx, 'root');
    if (root !== undefined) request.root_id = root;
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
      typeCell(task),
      `${task.attempt}/${task.max_attempts}`,
      String(task.priority),
      task.update_time ? new Date(task.update_time.seconds * 1000).toISOString().replace('.000Z', 'Z') : '',
    ]);
    println(ctx.io.stdout, table(['ID', 'STATE', 'TYPE', 'ATTEMPT', 'PRIORITY', 'UPDATED'], rows));
    if (page.tasks.some((task) => task.cancel_requested && task.state === 'TASK_STATE_ACTIVE')) println(ctx.io.stdout, '* cancel requested');
    if (page.next_page_token) {
      const filters = [
        state === undefined ? '' : ` --state ${state}`,
        type === undefined ? '' : ` --type ${type}`,
        parent === undefined ? '' : ` --parent ${parent}`,
        root === undefined ? '' : ` --root ${root}`,
      ].join('');
      println(ctx.io.stderr, `more: baton list ${queue}${filters} --page-token ${page.next_page_token}`);
    }
  },
};

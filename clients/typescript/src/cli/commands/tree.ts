import type { BatonClient } from '../../client.js';
import type { CallOptions } from '../../unaryCall.js';
import type { Command } from '../command.js';
import { println } from '../command.js';
import { shortPolicy, shortState, toJson } from '../format.js';

/** One task of the tree as printed: its children nested, each with what its failure does to its parent. */
interface TreeNode {
  queue: string;
  id: string;
  state: string;
  policy?: string;
  children: TreeNode[];
}

async function subtree(client: BatonClient, queue: string, id: string, state: string, call: CallOptions, depth: number): Promise<TreeNode> {
  const node: TreeNode = { queue, id, state, children: [] };
  // A flow is at most 32 levels deep (the server's limit); the bound keeps a corrupt record from looping.
  if (depth > 32) return node;
  const children = [];
  let page_token = '';
  do {
    const page = await client.listChildren({ queue, task_id: id, include_tasks: true, page_size: 1000, page_token }, call);
    children.push(...page.children);
    page_token = page.next_page_token;
  } while (page_token !== '');
  for (const child of children) {
    const state = child.task?.state ?? child.state;
    const grown = (child.task?.child_count ?? 0) > 0
      ? await subtree(client, child.queue, child.task_id, state, call, depth + 1)
      : { queue: child.queue, id: child.task_id, state, children: [] };
    grown.policy = child.failure_policy;
    node.children.push(grown);
  }
  return node;
}

function lines(node: TreeNode, prefix: string, last: boolean, root: boolean, into: string[]): string[] {
  const policy = node.policy && node.policy !== 'CHILD_FAILURE_POLICY_FAIL_PARENT' ? ` [${shortPolicy(node.policy)}]` : '';
  const label = `${node.queue}/${node.id}  ${shortState(node.state)}${policy}`;
  into.push(root ? label : `${prefix}${last ? '└─ ' : '├─ '}${label}`);
  const inner = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
  node.children.forEach((child, i) => lines(child, inner, i === node.children.length - 1, false, into));
  return into;
}

export const tree: Command = {
  name: 'tree',
  summary: 'show a flow: a task and its children, down the tree',
  positionals: ['<queue>', '<task-id>'],
  details: "Each line is queue/id and state; a child whose failure does not fail its parent says so ([ignore], [remove]).",
  options: {},
  async run(ctx) {
    const [queue = '', taskId = ''] = ctx.args;
    const { task } = await ctx.client.getTask({ queue, task_id: taskId }, ctx.call);
    if (!task) throw new Error('the server returned no task');
    const root = await subtree(ctx.client, queue, taskId, task.state, ctx.call, 1);
    println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(root)) : lines(root, '', true, true, []).join('\n'));
  },
};

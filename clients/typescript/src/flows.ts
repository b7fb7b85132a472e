import { randomUUID } from 'node:crypto';
import type { BatonClient, Input } from './client.js';
import type { ChildTask, FlowNode, SubmitFlowResponse, SubmitTaskRequest } from './contract.js';
import { toSubmitRequest } from './payloads.js';
import type { SubmitTaskInput } from './payloads.js';

/**
 * One task of a flow: as for submitTask (payload as bytes, a string or `json`). An id is generated here when left
 * out, so submitting the same flow object again is idempotent.
 */
export type FlowTaskInput = SubmitTaskInput;

function named(task: FlowTaskInput): Input<typeof SubmitTaskRequest> {
  return toSubmitRequest(task.task_id ? task : { ...task, task_id: randomUUID() });
}

/**
 * A chain: each task runs after the one before it, and reads its result (childResults()[0]). Built as a tree whose
 * root is the last task, each task the only child of the next.
 */
export function chain(...tasks: FlowTaskInput[]): Input<typeof FlowNode> {
  const [first, ...rest] = tasks;
  if (!first) throw new TypeError('chain: give at least one task');
  let node: Input<typeof FlowNode> = { task: named(first), children: [] };
  for (const task of rest) node = { task: named(task), children: [node] };
  return node;
}

/** A group with a callback: the group's tasks run at once (fan-out); the callback runs once all finished (fan-in). */
export function group(tasks: FlowTaskInput[], callback: FlowTaskInput): Input<typeof FlowNode> {
  return { task: named(callback), children: tasks.map((task) => ({ task: named(task), children: [] })) };
}

/** Whether every task of the tree has an id: then a repeated submit creates nothing twice, and may be retried. */
export function everyTaskNamed(node: FlowNode | undefined): boolean {
  return node !== undefined && (node.task?.task_id ?? '') !== '' && node.children.every(everyTaskNamed);
}

/** Submits a flow built by chain or group (or by hand); its tasks come back root first. */
export function submitFlow(client: BatonClient, root: Input<typeof FlowNode>): Promise<SubmitFlowResponse> {
  return client.submitFlow({ root });
}

/** A parent's children with their results (what a parent's handler reads), in submit order, every page. */
export async function childResults(client: BatonClient, queue: string, taskId: string): Promise<ChildTask[]> {
  const all: ChildTask[] = [];
  let page_token = '';
  do {
    const page = await client.listChildren({ queue, task_id: taskId, page_size: 1000, page_token });
    all.push(...page.children);
    page_token = page.next_page_token;
  } while (page_token !== '');
  return all;
}

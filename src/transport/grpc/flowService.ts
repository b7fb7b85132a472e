import type { ChildView, Flows, FlowNodeInput } from '../../domain/flows.js';
import { invalidArgument } from '../../domain/errors.js';
import { CHILD_FAILURE_POLICIES } from '../../domain/task.js';
import type { ChildFailurePolicy } from '../../domain/task.js';
import type { Logger } from '../../log.js';
import { errorToProto, stateToProto, submitInputFromProto, taskToProto } from './convert.js';
import type { ChildFailurePolicy as ProtoPolicy, ChildTask, FlowNode, TaskServiceServer } from './contract.js';
import { unary } from './unary.js';

const SERVICE = 'baton.v1.TaskService';

/** SubmitFlow and ListChildren: parents and children (domain/flows.ts). */
export function flowHandlers(flows: Flows, log: Logger): Pick<TaskServiceServer, 'submitFlow' | 'listChildren'> {
  return {
    submitFlow: unary(`${SERVICE}/SubmitFlow`, log, async (request) => {
      if (!request.root) throw invalidArgument('root', 'is required');
      const { tasks, created } = await flows.submit(flowNodeFromProto(request.root, 'root'));
      return { tasks: tasks.map(taskToProto), created };
    }),

    listChildren: unary(`${SERVICE}/ListChildren`, log, async (request) => {
      const { children, nextPageToken } = await flows.listChildren({
        queue: request.queue,
        id: request.task_id,
        includeTasks: request.include_tasks,
        pageSize: request.page_size,
        pageToken: request.page_token,
      });
      return { children: children.map(childToProto), next_page_token: nextPageToken };
    }),
  };
}

function flowNodeFromProto(node: FlowNode, path: string): FlowNodeInput {
  if (!node.task) throw invalidArgument(`${path}.task`, 'is required');
  return {
    task: submitInputFromProto(node.task),
    children: node.children.map((child, i) => flowNodeFromProto(child, `${path}.children[${i}]`)),
    failurePolicy: policyFromProto(node.failure_policy, `${path}.failure_policy`),
  };
}

function policyFromProto(policy: ProtoPolicy | number, field: string): ChildFailurePolicy {
  if (policy === 'CHILD_FAILURE_POLICY_UNSPECIFIED' || policy === 0) return 'FAIL_PARENT';
  const name = typeof policy === 'string' ? policy.replace(/^CHILD_FAILURE_POLICY_/, '') : CHILD_FAILURE_POLICIES[policy - 1];
  const known = CHILD_FAILURE_POLICIES.find((p) => p === name);
  if (known === undefined) throw invalidArgument(field, `unknown failure policy ${String(policy)}`);
  return known;
}

function childToProto(child: ChildView): ChildTask {
  const { outcome } = child;
  return {
    queue: child.queue,
    task_id: child.id,
    failure_policy: `CHILD_FAILURE_POLICY_${child.failurePolicy}`,
    state: outcome ? stateToProto(outcome.state) : 'TASK_STATE_UNSPECIFIED',
    result: outcome?.result ?? Buffer.alloc(0),
    error: outcome?.error ? errorToProto(outcome.error) : undefined,
    task: child.task ? taskToProto(child.task) : undefined,
  };
}

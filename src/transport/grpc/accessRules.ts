import { ALL_QUEUES } from '../../auth/principals.js';
import type { Role } from '../../auth/principals.js';
import { QueueServiceService, ScheduleServiceService, TaskServiceService, WorkerServiceService } from './contract.js';
import type { FlowNode, ListQueuesResponse } from './contract.js';

/**
 * What each RPC needs: one of `roles` on every queue `queues` names in each request message. A queue left empty
 * means every queue (the call reads or acts across queues), which only a grant for "*" covers. Whoever calls a
 * method must hold one of its roles on some queue before the first message is even read.
 *
 * produce = submit, and read the tasks of the queues one submits to (GetTask, WaitTask, ListTasks, and their logs)
 * so a producer can follow what it submitted; RunTask is a submit. work = everything a worker does with a lease
 * (appending to a held task's log too). watch = read only: task and queue views and logs, the event stream,
 * workers. admin = control (pause, resume, purge, update, delete, retry, cancel) and holds every other role on the
 * queues of its grant.
 *
 * A schedule belongs to the queue its tasks go to. Reading schedules is reading that queue (produce or watch, like
 * its tasks); creating, pausing, resuming, triggering and deleting one is controlling it (admin), since a schedule
 * keeps submitting on its creator's behalf after the call.
 */
export interface AccessRule<Request = never> {
  roles: readonly Role[];
  queues(request: Request): readonly string[];
  /** Leaves out of a response what the principal may not see (ListQueues lists only the queues it watches). */
  visible?: 'queues';
}

type Definitions = Record<string, { path: string; requestDeserialize(bytes: Buffer): unknown }>;
type RulesOf<Service extends Definitions> = { [Method in keyof Service]: AccessRule<ReturnType<Service[Method]['requestDeserialize']>> };

/** One queue field: empty means every queue. */
const one = (queue: string): readonly string[] => [queue === '' ? ALL_QUEUES : queue];
const each = (queues: readonly string[]): readonly string[] => queues.map((q) => (q === '' ? ALL_QUEUES : q));
const submit: readonly Role[] = ['produce'];
const readTasks: readonly Role[] = ['produce', 'watch'];
const work: readonly Role[] = ['work'];
const watch: readonly Role[] = ['watch'];
const admin: readonly Role[] = ['admin'];

const TASK_RULES: RulesOf<typeof TaskServiceService> = {
  submitTask: { roles: submit, queues: (r) => one(r.queue) },
  submitTasks: { roles: submit, queues: (r) => each(r.requests.map((item) => item.queue)) },
  submitTasksStream: { roles: submit, queues: (r) => each(r.requests.map((item) => item.queue)) },
  runTask: { roles: submit, queues: (r) => one(r.task?.queue ?? '') },
  getTask: { roles: readTasks, queues: (r) => one(r.queue) },
  listTasks: { roles: readTasks, queues: (r) => one(r.queue) },
  waitTask: { roles: readTasks, queues: (r) => one(r.queue) },
  watchTasks: { roles: watch, queues: (r) => one(r.queue) },
  cancelTask: { roles: admin, queues: (r) => one(r.queue) },
  retryTask: { roles: admin, queues: (r) => one(r.queue) },
  // A task's log is read like the task itself: by its producers and by watchers.
  getTaskLogs: { roles: readTasks, queues: (r) => one(r.queue) },
  watchTaskLogs: { roles: readTasks, queues: (r) => one(r.queue) },
  // A flow submits to every queue its tasks name.
  submitFlow: { roles: submit, queues: (r) => each(flowQueues(r.root)) },
  // A parent's children are read like the parent (the children's own records, when asked, like the parent too).
  listChildren: { roles: readTasks, queues: (r) => one(r.queue) },
};

/** Every queue a flow's tree names, the root's first. */
function flowQueues(node: FlowNode | undefined, into: string[] = []): string[] {
  if (!node) return into;
  into.push(node.task?.queue ?? '');
  for (const child of node.children) flowQueues(child, into);
  return into;
}

const WORKER_RULES: RulesOf<typeof WorkerServiceService> = {
  claimTasks: { roles: work, queues: (r) => each(r.queues) },
  // The first message names the session's queues; later ones complete tasks of those (or other) queues.
  workTasks: { roles: work, queues: (r) => each([...(r.start?.queues ?? []), ...r.completions.map((c) => c.queue)]) },
  startTask: { roles: work, queues: (r) => one(r.queue) },
  heartbeat: { roles: work, queues: (r) => one(r.queue) },
  completeTask: { roles: work, queues: (r) => one(r.queue) },
  completeTasks: { roles: work, queues: (r) => each(r.requests.map((item) => item.queue)) },
  releaseTask: { roles: work, queues: (r) => one(r.queue) },
  failTask: { roles: work, queues: (r) => one(r.queue) },
  appendTaskLogs: { roles: work, queues: (r) => one(r.queue) },
};

const QUEUE_RULES: RulesOf<typeof QueueServiceService> = {
  getQueue: { roles: watch, queues: (r) => one(r.queue) },
  listQueues: { roles: watch, queues: () => [], visible: 'queues' },
  listActiveTasks: { roles: watch, queues: (r) => one(r.queue) },
  listCompletedTasks: { roles: watch, queues: (r) => one(r.queue) },
  // A worker that names no queues yet registers without touching any.
  registerWorker: { roles: work, queues: (r) => each(r.queues) },
  listWorkers: { roles: watch, queues: (r) => one(r.queue) },
  // A worker record names the queues it works on: reading one by id is a read across queues.
  getWorker: { roles: watch, queues: () => [ALL_QUEUES] },
  pauseQueue: { roles: admin, queues: (r) => one(r.queue) },
  resumeQueue: { roles: admin, queues: (r) => one(r.queue) },
  purgeQueue: { roles: admin, queues: (r) => one(r.queue) },
  retryTasks: { roles: admin, queues: (r) => one(r.queue) },
  updateQueue: { roles: admin, queues: (r) => one(r.queue) },
  deleteQueue: { roles: admin, queues: (r) => one(r.queue) },
};

const SCHEDULE_RULES: RulesOf<typeof ScheduleServiceService> = {
  createSchedule: { roles: admin, queues: (r) => one(r.task?.queue ?? '') },
  // The task's queue must be this one (refused otherwise), so the schedule's queue is the one to hold.
  updateSchedule: { roles: admin, queues: (r) => one(r.queue) },
  getSchedule: { roles: readTasks, queues: (r) => one(r.queue) },
  listSchedules: { roles: readTasks, queues: (r) => one(r.queue) },
  pauseSchedule: { roles: admin, queues: (r) => one(r.queue) },
  resumeSchedule: { roles: admin, queues: (r) => one(r.queue) },
  triggerSchedule: { roles: admin, queues: (r) => one(r.queue) },
  deleteSchedule: { roles: admin, queues: (r) => one(r.queue) },
};

function byPath<Service extends Definitions>(service: Service, rules: RulesOf<Service>): [string, AccessRule<unknown>][] {
  return Object.entries(service).map(([method, definition]) => [definition.path, rules[method] as AccessRule<unknown>]);
}

/** Every Baton RPC by path. A method of the services that is missing here is refused (fail closed). */
export const ACCESS_RULES: ReadonlyMap<string, AccessRule<unknown>> = new Map([
  ...byPath(TaskServiceService, TASK_RULES),
  ...byPath(WorkerServiceService, WORKER_RULES),
  ...byPath(QueueServiceService, QUEUE_RULES),
  ...byPath(ScheduleServiceService, SCHEDULE_RULES),
]);

/** Server reflection describes the API, not the data; still, only an admin (of any queue) may ask. */
export const REFLECTION_RULE: AccessRule<unknown> = { roles: admin, queues: () => [] };

/** The part of a response a principal may see. */
export function visiblePart(response: unknown, canSee: (queue: string) => boolean): unknown {
  const list = response as ListQueuesResponse;
  return { ...list, queues: list.queues.filter((queue) => canSee(queue.name)) };
}

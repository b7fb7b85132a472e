import { BatonError, invalidArgument, taskNotFound } from './errors.js';
import type { SubmitInput } from './inputs.js';
import * as limits from './limits.js';
import { toNewTask } from './newTask.js';
import type { ChildRecord, FlowStore, FlowTask } from './store.js';
import { TERMINAL_STATES } from './task.js';
import type { ChildFailurePolicy, ChildLink, Task, TaskRef } from './task.js';
import * as check from './validation.js';

/** A task of a flow and its children, before validation. */
export interface FlowNodeInput {
  task: SubmitInput;
  children: FlowNodeInput[];
  /** What this node's failure does to its parent (ignored on the root). */
  failurePolicy: ChildFailurePolicy;
}

/** A parent's child as ListChildren shows it: what the parent recorded, and the child itself when asked. */
export interface ChildView extends ChildRecord {
  task?: Task;
}

export interface ListChildrenInput {
  queue: string;
  id: string;
  includeTasks: boolean;
  /** 0: the default. */
  pageSize: number;
  /** Empty: from the first child. */
  pageToken: string;
}

/** The task operations a flow's cancel and reads go through (the lifecycle's store, which reports them). */
export interface FlowTasks {
  cancel(queue: string, id: string): Promise<Task>;
  get(queue: string, id: string): Promise<Task | undefined>;
  /** How many partitions the queue has (absent: queues are never partitioned). */
  partitionCount?(queue: string): Promise<number>;
}

/** Where the lifecycle's store reports tasks that finished: those with a parent have a parent to tell. */
export interface FinishedChildren {
  childrenFinished(queue: string, tasks: readonly Task[]): void;
}

export interface FlowsOptions {
  maxPayloadBytes: number;
  /** A parent could not be told at once; maintenance tells it after CHILD_NOTICE_GRACE_MS. */
  onError: (error: unknown) => void;
}

/** Children a pass over a queue's outbox tells their parents about, at most. */
const NOTICES_PER_PASS = 200;
/** Result bytes one childFinished script carries at most (a single larger result goes alone). */
const RESULT_BYTES_PER_CALL = 4 * 1024 * 1024;
/** Result bytes one page of ListChildren holds at most (a single larger result comes alone): room in a 4 MiB reply. */
const CHILD_RESULT_BYTES_PER_PAGE = 2 * 1024 * 1024;
/** Children cancelled at once by a parent's cancel. */
const CANCELS_IN_FLIGHT = 100;

interface PlannedNode {
  item: FlowTask;
  children: PlannedNode[];
}

/**
 * Parent and child tasks. A flow spans queues, and so cluster slots, so no one script can run it: it is a sequence of
 * idempotent steps, each a script on one slot, ordered so that a crash or a failover between any two loses nothing
 * and repeats nothing.
 *
 * Submit goes top down, a level at a time (one script per queue per level): a parent exists, WAITING_CHILDREN with
 * its children's list, before any child does; a submit repeated after a failure creates only what is missing.
 *
 * When a child finishes, the script that finishes it also puts it on its queue's outbox (KEYS notices), in the same
 * atomic step. Then the parent is told (childFinished.lua on the parent's slot: idempotent by the child's end time,
 * so the parent is released exactly once however often it is told), and only then is the child taken off the outbox.
 * The replica that finished the child tells the parent at once; a child left on the outbox (that replica died, or
 * Redis failed over between the steps) is found by maintenance's reap of the child's queue after
 * CHILD_NOTICE_GRACE_MS and told again, by any replica.
 *
 * Cancelling a parent cancels its unfinished children the same way: the cancel script puts the parent on its
 * queue's outbox, the children are cancelled (each its own script), and only then is the parent taken off, so a
 * cascade cut short is driven again by maintenance. A parent that fails or expires leaves its children running: a
 * failed child retried can still reopen it. A submit cut short is repaired by flowRepair.ts.
 */
export class Flows implements FinishedChildren {
  constructor(
    private readonly store: FlowStore,
    private readonly tasks: FlowTasks,
    private readonly options: FlowsOptions,
  ) {}

  /** Stores a flow; returns every task, the root first, then depth first, and whether the root was created. */
  async submit(root: FlowNodeInput): Promise<{ tasks: Task[]; created: boolean }> {
    const planned = this.plan(root);
    await this.refusePartitioned(planned);
    const stored = new Map<string, Task>();
    let created = false;
    for (let level = [planned]; level.length > 0; level = level.flatMap((node) => node.children)) {
      // One script per queue per level, of at most a submit batch's tasks, so no one script runs long.
      const byQueue = new Map<string, FlowTask[][]>();
      for (const node of level) {
        const chunks = byQueue.get(node.item.task.queue) ?? [[]];
        let last = chunks[chunks.length - 1] ?? [];
        if (last.length >= limits.SUBMIT_BATCH_MAX) chunks.push((last = []));
        last.push(node.item);
        byQueue.set(node.item.task.queue, chunks);
      }
      await Promise.all(
        [...byQueue].flatMap(([queue, chunks]) => chunks.map((items) => [queue, items] as const)).map(async ([queue, items]) => {
          const results = await this.store.submitFlow(queue, items);
          results.forEach((result, i) => {
            const item = items[i];
            if (!item) return;
            if (item === planned.item) created = result.created;
            else if (!result.created) checkSameParent(result.task, item);
            stored.set(refKey(result.task), result.task);
          });
        }),
      );
    }
    const tasks: Task[] = [];
    const visit = (node: PlannedNode): void => {
      const task = stored.get(refKey(node.item.task));
      if (task) tasks.push(task);
      node.children.forEach(visit);
    };
    visit(planned);
    return { tasks, created };
  }

  /**
   * A flow's steps address each task by its queue's name, which is partition 0 of a partitioned queue; a task placed
   * there beside the queue's other tasks, placed by their keys and ids (see partitions.ts), would escape the rules
   * that keep keys and ids exact. So flows take only unpartitioned queues (FAILED_PRECONDITION); flows stored before a
   * queue was partitioned keep working in its partition 0.
   */
  private async refusePartitioned(root: PlannedNode): Promise<void> {
    const count = this.tasks.partitionCount?.bind(this.tasks);
    if (!count) return;
    const queues = new Set<string>();
    const visit = (node: PlannedNode): void => {
      queues.add(node.item.task.queue);
      node.children.forEach(visit);
    };
    visit(root);
    for (const queue of queues) {
      const partitions = await count(queue);
      if (partitions > 1) {
        throw new BatonError('FAILED_PRECONDITION', `queue "${queue}" has ${partitions} partitions: a flow's tasks must be in queues of one partition`);
      }
    }
  }

  /** Tells the parents of the finished tasks that have one, in the background (maintenance repeats what fails). */
  childrenFinished(queue: string, tasks: readonly Task[]): void {
    const ids = tasks.filter((task) => task.parent && TERMINAL_STATES.has(task.state)).map((task) => task.id);
    if (ids.length > 0) this.tellParents(queue, ids).catch(this.options.onError);
  }

  /**
   * Tells parents about children of `queue` on its outbox: those of `ids`, or with none given, those untold past the
   * grace (maintenance). Returns how many parents were told.
   */
  async tellParents(queue: string, ids: readonly string[] = []): Promise<number> {
    const notices = await this.store.notices(queue, ids, limits.CHILD_NOTICE_GRACE_MS, NOTICES_PER_PASS);
    const told: { id: string; endTime: number }[] = [];
    const failures: unknown[] = [];
    // One script per parent, however many of its children finished: a fan-in's batch of completions costs one.
    const byParent = new Map<string, { parent: TaskRef; children: Task[] }>();
    // A cancelled parent is on the outbox until all its unfinished children were asked to cancel: a cascade cut
    // short (the replica died) is driven again from here. Its entry stays if the cascade fails.
    const cascadeFailed = new Set<string>();
    await Promise.all(
      notices.map(async ({ id, task }) => {
        if (task?.state !== 'CANCELLED' || !task.childCount) return;
        await this.cancelChildren(task).catch((error: unknown) => {
          cascadeFailed.add(id);
          failures.push(error);
        });
      }),
    );
    for (const { id, task } of notices) {
      if (cascadeFailed.has(id)) continue;
      // Gone, or retried since it finished: nothing to tell (it is told when it finishes again).
      if (task?.endTime === undefined || !TERMINAL_STATES.has(task.state)) {
        told.push({ id, endTime: -1 });
        continue;
      }
      // A cancelled parent of no parent: its cascade was all there was to do.
      if (!task.parent) {
        told.push({ id, endTime: task.state === 'CANCELLED' && task.childCount ? task.endTime : -1 });
        continue;
      }
      const key = refKey(task.parent);
      const entry = byParent.get(key) ?? { parent: task.parent, children: [] };
      entry.children.push(task);
      byParent.set(key, entry);
    }
    await Promise.all(
      [...byParent.values()].flatMap(({ parent, children }) =>
        bySize(children).map(async (chunk) => {
          try {
            await this.store.childrenFinished(parent, chunk);
            for (const child of chunk) told.push({ id: child.id, endTime: child.endTime ?? -1 });
          } catch (error) {
            failures.push(error);
          }
        }),
      ),
    );
    await this.store.ackNotices(queue, told);
    if (failures.length > 0) throw failures[0];
    return told.length;
  }

  /**
   * Cancels a task and, if it is a parent, its unfinished children in every queue, down the tree. The cancel puts
   * the parent on its queue's outbox in the same script, so if this replica dies before the cascade is through,
   * maintenance drives it again (tellParents); it is taken off once every unfinished child was asked to cancel.
   */
  async cancel(queue: string, id: string): Promise<Task> {
    const task = await this.tasks.cancel(check.checkQueue(queue), check.checkTaskId(id));
    if (task.childCount) {
      await this.cancelChildren(task);
      // A parent with a parent of its own is taken off when that parent is told (childrenFinished).
      if (!task.parent && task.endTime !== undefined) await this.store.ackNotices(queue, [{ id, endTime: task.endTime }]);
    }
    return task;
  }

  /**
   * A page of a parent's children, with what it recorded of each; with `includeTasks`, each child as it is now. The
   * page token is the next child's position (children keep their submit order).
   */
  async listChildren(input: ListChildrenInput): Promise<{ children: ChildView[]; nextPageToken: string }> {
    const { queue, id } = input;
    check.checkQueue(queue);
    check.checkTaskId(id);
    const limit = input.pageSize === 0 ? limits.PAGE_SIZE_DEFAULT : check.checkIntRange(input.pageSize, 'page_size', 1, limits.PAGE_SIZE_MAX);
    const offset = input.pageToken === '' ? 0 : Number(input.pageToken);
    if (!Number.isInteger(offset) || offset < 0 || offset > limits.FLOW_CHILDREN_MAX) throw invalidArgument('page_token', 'is not a token ListChildren returned');
    const page = { offset, limit, maxResultBytes: CHILD_RESULT_BYTES_PER_PAGE };
    const [parent, { children, next }] = await Promise.all([this.tasks.get(queue, id), this.store.children(queue, id, page)]);
    if (!parent) throw taskNotFound(queue, id);
    const nextPageToken = next === undefined ? '' : String(next);
    if (!input.includeTasks) return { children, nextPageToken };
    const views = await Promise.all(
      children.map(async (child): Promise<ChildView> => {
        const task = await this.tasks.get(child.queue, child.id);
        if (task === undefined) return child;
        delete task.payload;
        delete task.result;
        return { ...child, task };
      }),
    );
    return { children: views, nextPageToken };
  }

  private async cancelChildren(parent: Task): Promise<void> {
    const open = (await allChildren(this.store, parent)).filter((child) => child.outcome === undefined);
    for (let at = 0; at < open.length; at += CANCELS_IN_FLIGHT) {
      await Promise.all(
        open.slice(at, at + CANCELS_IN_FLIGHT).map(async (child) => {
          const task = await this.tasks.cancel(child.queue, child.id).catch((error: unknown) => {
            // Finished meanwhile, or never stored (a flow submit cut short): nothing to cancel.
            if (error instanceof BatonError && (error.code === 'FAILED_PRECONDITION' || error.code === 'NOT_FOUND')) return undefined;
            throw error;
          });
          if (task?.childCount) await this.cancelChildren(task);
        }),
      );
    }
  }

  /** Validates the tree and fills in defaults (ids are generated where empty), without storing anything. */
  private plan(root: FlowNodeInput): PlannedNode {
    const seen = new Set<string>();
    const rootTask = toNewTask(root.task, this.options.maxPayloadBytes);
    const rootRef: TaskRef = { queue: rootTask.queue, id: rootTask.id };
    const build = (node: FlowNodeInput, path: string, depth: number, parent?: ChildLink): PlannedNode => {
      if (depth > limits.FLOW_DEPTH_MAX) throw invalidArgument(path, `a flow is at most ${limits.FLOW_DEPTH_MAX} levels deep`);
      if (node.children.length > limits.FLOW_CHILDREN_MAX) {
        throw invalidArgument(`${path}.children`, `at most ${limits.FLOW_CHILDREN_MAX} children per task`);
      }
      const task = parent ? toNewTask(node.task, this.options.maxPayloadBytes) : rootTask;
      // A flow's tasks are stored by its own script, which neither takes unique keys nor concurrency slots.
      if (task.unique) throw invalidArgument(`${path}.task.unique_key`, 'a flow task cannot carry a unique key');
      if (task.concurrencyKey !== undefined) {
        throw invalidArgument(`${path}.task.concurrency_key`, 'a flow task cannot carry a concurrency key');
      }
      const key = refKey(task);
      if (seen.has(key)) throw invalidArgument(`${path}.task.task_id`, `task "${task.id}" of queue "${task.queue}" appears twice in the flow`);
      seen.add(key);
      if (seen.size > limits.FLOW_TASKS_MAX) throw invalidArgument('root', `a flow holds at most ${limits.FLOW_TASKS_MAX} tasks`);
      const self: ChildLink = { queue: task.queue, id: task.id, failurePolicy: 'FAIL_PARENT' };
      const children = node.children.map((child, i) =>
        build(child, `${path}.children[${i}]`, depth + 1, { ...self, failurePolicy: child.failurePolicy }),
      );
      const item: FlowTask = {
        task,
        children: children.map(({ item: childItem }) => ({
          queue: childItem.task.queue,
          id: childItem.task.id,
          failurePolicy: childItem.parent?.failurePolicy ?? 'FAIL_PARENT',
        })),
      };
      if (parent) {
        item.parent = { queue: parent.queue, id: parent.id, failurePolicy: parent.failurePolicy };
        item.root = rootRef;
      }
      return { item, children };
    };
    return build(root, 'root', 1);
  }
}

/** Every child of a parent, without results, page by page. */
export async function allChildren(store: FlowStore, parent: TaskRef): Promise<ChildRecord[]> {
  const all: ChildRecord[] = [];
  for (let offset: number | undefined = 0; offset !== undefined; ) {
    const page: { children: ChildRecord[]; next?: number } = await store.children(parent.queue, parent.id, {
      offset,
      limit: limits.FLOW_CHILDREN_MAX,
      maxResultBytes: 0,
    });
    all.push(...page.children);
    offset = page.next;
  }
  return all;
}

/** Children in chunks of at most RESULT_BYTES_PER_CALL of results each, so no one script call grows without bound. */
function bySize(children: readonly Task[]): Task[][] {
  const chunks: Task[][] = [];
  let current: Task[] = [];
  let bytes = 0;
  for (const child of children) {
    const size = child.result?.length ?? 0;
    if (current.length > 0 && bytes + size > RESULT_BYTES_PER_CALL) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(child);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function refKey(task: TaskRef): string {
  return `${task.queue} ${task.id}`;
}

/** A child found stored already must be this flow's: else its parent would wait for another flow's child. */
function checkSameParent(existing: Task, item: FlowTask): void {
  const parent = item.parent;
  if (parent && (existing.parent?.queue !== parent.queue || existing.parent.id !== parent.id)) {
    throw new BatonError(
      'ALREADY_EXISTS',
      `task "${existing.id}" of queue "${existing.queue}" exists already, not as a child of "${parent.id}" (queue "${parent.queue}")`,
    );
  }
}

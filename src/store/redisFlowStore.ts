import type { ChildRecord, ChildrenPage, FinishedChild, FlowStore, FlowTask, Notice, ParentTold, StaleParent } from '../domain/store.js';
import { CHILD_FAILURE_POLICIES } from '../domain/task.js';
import type { ChildFailurePolicy, SubmitResult, TaskErrorRecord, TaskRef } from '../domain/task.js';
import { MsgpackReader } from './msgpack.js';
import { QueueRegistry } from './queueRegistry.js';
import type { RedisCalls } from './redisCalls.js';
import type { RedisClient } from './redis.js';
import { asArray, asNumber, asString, decodeTaskRecord, encodeNewTask, mapTriples, stateNumber, stateOf } from './taskCodec.js';

/** The number of a failure policy in the scripts (lua/includes/flowChildren.lua) and the proto enum. */
export function policyNumber(policy: ChildFailurePolicy): number {
  return CHILD_FAILURE_POLICIES.indexOf(policy) + 1;
}

function policyOf(value: number): ChildFailurePolicy {
  return CHILD_FAILURE_POLICIES[value - 1] ?? 'FAIL_PARENT';
}

/** A parent's children list as the flows hash stores it: a line '<policy> <queue> <id>' per child. */
export function encodeChildren(children: FlowTask['children']): string {
  return children.map((child) => `${policyNumber(child.failurePolicy)} ${child.queue} ${child.id}`).join('\n');
}

/** The last error in the record's own JSON shape (lua/includes/appendError.lua), for the parent's copy. */
function encodeLastError(errors: readonly TaskErrorRecord[]): string {
  const last = errors.at(-1);
  return last ? JSON.stringify([{ ty: last.type, me: last.message, de: last.details, a: last.attempt, t: last.time }]) : '';
}

/** The flow operations on Redis: each method one script on one queue's slot; a flow spans slots step by step. */
export class RedisFlowStore implements FlowStore {
  private readonly client: RedisClient;

  constructor(
    private readonly redis: RedisCalls,
    private readonly registry = new QueueRegistry(redis),
  ) {
    this.client = redis.client;
  }

  async submitFlow(queue: string, items: readonly FlowTask[]): Promise<SubmitResult[]> {
    const args = items.flatMap((item) => [
      ...encodeNewTask(item.task),
      item.parent?.queue ?? '',
      item.parent?.id ?? '',
      item.root?.queue ?? '',
      item.root?.id ?? '',
      policyNumber(item.parent?.failurePolicy ?? 'FAIL_PARENT'),
      encodeChildren(item.children),
    ]);
    const reply = await this.registry.write(queue, (registration) =>
      this.redis.write('submitFlow', queue, '', (target, keys, deadline) =>
        target.batonSubmitFlowBuffer(...keys, items.length, registration, ...args, deadline),
      ),
    );
    return mapTriples(reply, (created, id, record) => ({
      created: asNumber(created) === 1,
      task: decodeTaskRecord(queue, id, record),
    }));
  }

  async childrenFinished(parent: TaskRef, children: readonly FinishedChild[]): Promise<ParentTold> {
    const args = children.flatMap((child) => [
      child.queue,
      child.id,
      stateNumber(child.state),
      child.endTime ?? 0,
      policyNumber(child.parent?.failurePolicy ?? 'FAIL_PARENT'),
      child.state === 'SUCCEEDED' ? (child.result ?? '') : '',
      child.state === 'SUCCEEDED' ? '' : encodeLastError(child.errors),
    ]);
    const reply = await this.redis.write('childFinished', parent.queue, parent.id, (target, keys, deadline) =>
      target.batonChildFinishedBuffer(...keys, parent.id, children.length, ...args, deadline),
    );
    const [state, released] = asArray(reply).map(asNumber);
    return { released: released === 1, ...(state ? { parentState: stateOf(state) } : {}) };
  }

  async notices(queue: string, ids: readonly string[], graceMs: number, limit: number): Promise<Notice[]> {
    const reply = await this.redis.script('notices', queue, '', (keys) =>
      this.client.batonNoticesBuffer(...keys, graceMs, limit, ...ids),
    );
    const flat = asArray(reply);
    const notices: Notice[] = [];
    for (let at = 0; at + 1 < flat.length; at += 2) {
      const id = asString(flat[at]);
      const record = flat[at + 1];
      notices.push(Buffer.isBuffer(record) && record.length > 0 ? { id, task: decodeTaskRecord(queue, flat[at], record) } : { id });
    }
    return notices;
  }

  async ackNotices(queue: string, told: readonly { id: string; endTime: number }[]): Promise<void> {
    if (told.length === 0) return;
    const args = told.flatMap((entry) => [entry.id, entry.endTime]);
    await this.redis.write('ackNotices', queue, '', (target, keys, deadline) =>
      target.batonAckNoticesBuffer(...keys, told.length, ...args, deadline),
    );
  }

  async children(queue: string, parentId: string, page: ChildrenPage): Promise<{ children: ChildRecord[]; next?: number }> {
    const reply = await this.redis.script('children', queue, parentId, (keys) =>
      this.client.batonChildrenBuffer(...keys, parentId, page.offset, page.limit, page.maxResultBytes),
    );
    const [list, outcomes, next] = asArray(reply);
    const text = asString(list);
    const recorded = asArray(outcomes ?? null);
    const children = text === '' ? [] : text.split('\n').map((line, i) => {
      const [policy = '1', childQueue = '', id = ''] = line.split(' ');
      const child: ChildRecord = { queue: childQueue, id, failurePolicy: policyOf(Number(policy)) };
      const outcome = recorded[i];
      if (Buffer.isBuffer(outcome) && outcome.length > 0) child.outcome = decodeOutcome(outcome);
      return child;
    });
    const after = asNumber(next);
    return after >= 0 ? { children, next: after } : { children };
  }

  async staleParents(queue: string, graceMs: number, limit: number): Promise<StaleParent[]> {
    const reply = await this.redis.script('staleParents', queue, '', (keys) => this.client.batonStaleParentsBuffer(...keys, graceMs, limit));
    return mapTriples(reply, (id, sequence, createTime) => ({ id: asString(id), sequence: asNumber(sequence), createTime: asNumber(createTime) }));
  }

  async parentsChecked(queue: string, sequence: number): Promise<void> {
    await this.redis.write('parentsChecked', queue, '', (target, keys, deadline) =>
      target.batonParentsCheckedBuffer(...keys, sequence, deadline),
    );
  }
}

/** An outcome recorded by childFinished.lua: { s state, et end time, k kind, r result, e last error (JSON) }. */
function decodeOutcome(blob: Buffer): NonNullable<ChildRecord['outcome']> {
  const reader = new MsgpackReader(blob);
  let state = 0;
  let endTime = 0;
  let result: Buffer | undefined;
  let errors: string | undefined;
  for (let fields = reader.mapLength(); fields > 0; fields--) {
    const key = reader.text();
    if (key === 's') state = reader.number();
    else if (key === 'et') endTime = reader.number();
    else if (key === 'r') result = reader.bytes();
    else if (key === 'e') errors = reader.text();
    else reader.skip();
  }
  const outcome: NonNullable<ChildRecord['outcome']> = { state: stateOf(state), endTime };
  if (result !== undefined) outcome.result = result;
  const [error] = errors === undefined ? [] : (JSON.parse(errors) as { ty: string; me: string; de: string; a: number; t: number }[]);
  if (error) outcome.error = { type: error.ty, message: error.me, details: error.de, attempt: error.a, time: error.t };
  return outcome;
}

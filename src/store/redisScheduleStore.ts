import type { Schedule, ScheduleRef, ScheduleSpec, ScheduleState, ScheduleStore } from '../domain/scheduleStore.js';
import type { SubmitInput } from '../domain/inputs.js';
import { scheduleName } from './keys.js';
import type { RedisCalls } from './redisCalls.js';
import { asNumber } from './taskCodec.js';

/** A spec as stored: the task's payload in base64, everything else as it is. */
type StoredSpec = Omit<ScheduleSpec, 'task'> & { task: Omit<SubmitInput, 'payload'> & { payload: string } };

function encodeSpec(spec: ScheduleSpec): string {
  const stored: StoredSpec = { ...spec, task: { ...spec.task, payload: spec.task.payload.toString('base64') } };
  return JSON.stringify(stored);
}

function decodeSchedule(fields: Record<string, string>): Schedule | undefined {
  const { spec, next, last, paused, rev } = fields;
  if (spec === undefined || next === undefined) return undefined;
  const stored = JSON.parse(spec) as StoredSpec;
  const state: ScheduleState = { paused: paused === '1', nextRunTime: Number(next) };
  if (last !== undefined) state.lastRunTime = Number(last);
  if (rev !== undefined) state.revision = Number(rev);
  return { spec: { ...stored, task: { ...stored.task, payload: Buffer.from(stored.task.payload, 'base64') } }, state };
}

function refOf(name: string): ScheduleRef {
  const slash = name.indexOf('/');
  return { queue: name.slice(0, slash), id: name.slice(slash + 1) };
}

type ScheduleScript =
  | 'batonCreateScheduleBuffer'
  | 'batonAdvanceScheduleBuffer'
  | 'batonPauseScheduleBuffer'
  | 'batonUpdateScheduleBuffer'
  | 'batonDeleteScheduleBuffer';

/** Schedules on Redis, in their own slot ({s}: see keys.ts): one script per change. */
export class RedisScheduleStore implements ScheduleStore {
  constructor(private readonly redis: RedisCalls) {}

  private async change(operation: string, ref: ScheduleRef, args: (string | number)[], script: ScheduleScript): Promise<number> {
    const name = scheduleName(ref.queue, ref.id);
    const reply = await this.redis.write(
      operation,
      ref.queue,
      ref.id,
      (target, keys, deadline) => target[script](...keys, name, ...args, deadline),
      this.redis.keys.scheduleKeys(name),
    );
    return asNumber(reply);
  }

  async create(spec: ScheduleSpec, state: ScheduleState): Promise<boolean> {
    return (await this.change('createSchedule', spec, [encodeSpec(spec), state.nextRunTime, state.paused ? 1 : 0], 'batonCreateScheduleBuffer')) === 1;
  }

  async update(spec: ScheduleSpec, next: number): Promise<'updated' | 'missing' | 'replaced'> {
    const reply = await this.change('updateSchedule', spec, [encodeSpec(spec), next, spec.createTime], 'batonUpdateScheduleBuffer');
    return reply === 1 ? 'updated' : reply === 0 ? 'missing' : 'replaced';
  }

  async get(queue: string, id: string): Promise<Schedule | undefined> {
    const [, , key = ''] = this.redis.keys.scheduleKeys(scheduleName(queue, id));
    const fields = await this.redis.run('getSchedule', queue, id, () => this.redis.client.hgetall(key));
    return decodeSchedule(fields);
  }

  async list(queue: string, after: string, limit: number): Promise<{ schedules: Schedule[]; more: boolean }> {
    // A queue's names run from "<queue>/" to just before "<queue>0" ('0' follows '/').
    const start = after !== '' ? `(${after}` : queue === '' ? '-' : `[${queue}/`;
    const end = queue === '' ? '+' : `(${queue}0`;
    const names = await this.redis.run('listSchedules', queue, '', () =>
      this.redis.client.zrangebylex(this.redis.keys.scheduleIds, start, end, 'LIMIT', 0, limit + 1),
    );
    const page = names.slice(0, limit).map(refOf);
    const found = await Promise.all(page.map((ref) => this.get(ref.queue, ref.id)));
    return { schedules: found.filter((schedule): schedule is Schedule => schedule !== undefined), more: names.length > limit };
  }

  async due(nowMs: number, limit: number): Promise<ScheduleRef[]> {
    const names = await this.redis.run('dueSchedules', '', '', () =>
      this.redis.client.zrangebyscore(this.redis.keys.schedulesDue, '-inf', nowMs, 'LIMIT', 0, limit),
    );
    return names.map(refOf);
  }

  async advance(ref: ScheduleRef, expectedNext: number, next: number, lastRunTime: number | undefined, expectedRevision = 0): Promise<boolean> {
    const args = [expectedNext, next, lastRunTime ?? '', expectedRevision];
    return (await this.change('advanceSchedule', ref, args, 'batonAdvanceScheduleBuffer')) === 1;
  }

  async setPaused(ref: ScheduleRef, paused: boolean, next: number): Promise<boolean> {
    return (await this.change('pauseSchedule', ref, [paused ? 1 : 0, next], 'batonPauseScheduleBuffer')) === 1;
  }

  async delete(ref: ScheduleRef): Promise<boolean> {
    return (await this.change('deleteSchedule', ref, [], 'batonDeleteScheduleBuffer')) === 1;
  }
}

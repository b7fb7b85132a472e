import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Task, WorkTasksResponse } from '../../clients/typescript/src/contract.js';
import type { CompleteTasksResult, Timestamp } from '../../clients/typescript/src/contract.js';
import { decodeWorkTasksResponse } from '../../clients/typescript/src/workTasksWire.js';
import { randomSource } from '../support/random.js';

const STRINGS = ['', 'q', 'emails', 'x'.repeat(127), 'y'.repeat(128), 'z'.repeat(300), 'café', '日本語のキュー', 'emoji 🎉 and 𝄞', '\u0000 nul'];
const INT32S = [0, 1, -1, 127, 128, 300, 2_147_483_647, -2_147_483_648, -5];
const SECONDS = [0, 1, -1, 1_733_550_000, -62_135_596_800, 253_402_300_799, 2 ** 40, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
const BYTES = [0, 1, 100, 128, 70_000].map((length) => Buffer.alloc(length, length & 0xff));
const ENUMS = [0, 1, 2, 3, 7, 99];

function messages(seed: number) {
  const random = randomSource(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const maybe = <T>(make: () => T): T | undefined => (random() < 0.5 ? make() : undefined);
  // Known and unknown values of TaskState and ChildFailurePolicy.
  const anEnum = (): never => pick(ENUMS) as never;
  const time = (): Timestamp => ({ seconds: pick(SECONDS), nanos: pick([0, 1, 999_999_999, 500]) });
  const error = () => ({ type: pick(STRINGS), message: pick(STRINGS), details: pick(STRINGS), attempt: pick(INT32S), time: maybe(time) });
  const task = (): Task =>
    Task.fromPartial({
      queue: pick(STRINGS),
      id: pick(STRINGS),
      state: anEnum(),
      payload: pick(BYTES),
      metadata: Object.fromEntries(Array.from({ length: pick([0, 1, 3]) }, () => [pick(STRINGS), pick(STRINGS)])),
      priority: pick(INT32S),
      attempt: pick(INT32S),
      max_attempts: pick(INT32S),
      create_time: maybe(time),
      update_time: maybe(time),
      schedule_time: maybe(time),
      start_time: maybe(time),
      end_time: maybe(time),
      expire_time: maybe(time),
      lease: maybe(() => ({ worker_id: pick(STRINGS), expire_time: maybe(time) })),
      progress: maybe(() => ({ current: pick(SECONDS), total: pick(SECONDS), message: pick(STRINGS) })),
      result: pick(BYTES),
      error: maybe(error),
      errors: Array.from({ length: pick([0, 1, 3]) }, error),
      cancel_requested: random() < 0.5,
      lease_duration: maybe(time),
      retry_policy: maybe(() => ({ initial_backoff: maybe(time), max_backoff: maybe(time), backoff_multiplier: pick([0, 1.5, 1e300]), jitter: pick([0, 0.1]) })),
      type: pick(STRINGS),
      trace_context: maybe(() => ({ traceparent: pick(STRINGS), tracestate: pick(STRINGS) })),
      parent_id: pick(STRINGS),
      parent_queue: pick(STRINGS),
      root_id: pick(STRINGS),
      root_queue: pick(STRINGS),
      failure_policy: anEnum(),
      child_count: pick(INT32S),
      concurrency_key: pick(STRINGS),
      unique_key: pick(STRINGS),
    });
  const completed = (): CompleteTasksResult => ({
    task_id: pick(STRINGS),
    state: anEnum(),
    task: maybe(task),
    error: maybe(() => ({ code: pick([0, 5, 9]), message: pick(STRINGS) })),
  });
  return {
    task,
    response: (): WorkTasksResponse => ({
      tasks: Array.from({ length: pick([0, 1, 2, 5]) }, () => ({ task: maybe(task) ?? task(), lease_token: pick(STRINGS) })),
      completed: Array.from({ length: pick([0, 0, 1, 3]) }, completed),
    }),
  };
}

const encode = (message: WorkTasksResponse): Buffer => Buffer.from(WorkTasksResponse.encode(message).finish());

describe('WorkTasks responses decoded by hand (the SDK worker)', () => {
  it('decode to what the generated decoder returns, over random messages', () => {
    const { response } = messages(23);
    for (let round = 0; round < 500; round++) {
      const bytes = encode(response());
      assert.deepStrictEqual(decodeWorkTasksResponse(bytes), WorkTasksResponse.decode(bytes), `round ${round}`);
    }
  });

  // A Task field the random messages never set would be missing from the hand decoder without failing the test above.
  it('are checked over messages that set every field of the Task message', () => {
    const { task } = messages(23);
    const empty = Task.fromPartial({});
    const set = new Set<string>();
    for (let round = 0; round < 300; round++) {
      for (const [field, value] of Object.entries(task())) {
        if (JSON.stringify(value) !== JSON.stringify(empty[field as keyof Task])) set.add(field);
      }
    }
    assert.deepEqual(Object.keys(empty).filter((field) => !set.has(field)), []);
  });

  it('skip fields they do not know, as the generated decoder does', () => {
    const { response } = messages(7);
    const message = response();
    // Field 99 as a varint, field 100 as bytes, field 101 as fixed64, field 102 as fixed32: at the message's end.
    const unknown = Buffer.from([0x98, 0x06, 0x96, 0x01, 0xa2, 0x06, 0x02, 0x61, 0x62, 0xa9, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0xb5, 0x06, 1, 2, 3, 4]);
    const bytes = Buffer.concat([encode(message), unknown]);
    assert.deepStrictEqual(decodeWorkTasksResponse(bytes), WorkTasksResponse.decode(bytes));
  });

  it('refuse a truncated message as the generated decoder does', () => {
    const bytes = encode({ tasks: [{ task: Task.fromPartial({ queue: 'emails', payload: Buffer.alloc(50) }), lease_token: 't' }], completed: [] });
    const truncated = bytes.subarray(0, bytes.length - 10);
    assert.throws(() => WorkTasksResponse.decode(truncated));
    assert.throws(() => decodeWorkTasksResponse(truncated), RangeError);
  });

  it('refuse a time past the safe integer range as the generated decoder does', () => {
    const task = Task.fromPartial({ create_time: { seconds: 0, nanos: 0 } });
    const bytes = encode({ tasks: [{ task, lease_token: '' }], completed: [] });
    // Rewrite seconds as 2^60: field 1 varint inside create_time (tag 74), which the encoder omitted when 0.
    const seconds = Buffer.from([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
    const time = Buffer.concat([Buffer.from([74, seconds.length]), seconds]);
    const taskBytes = Buffer.concat([time]);
    const claimed = Buffer.concat([Buffer.from([10, taskBytes.length]), taskBytes]);
    const message = Buffer.concat([Buffer.from([10, claimed.length]), claimed]);
    assert.ok(bytes.length > 0);
    assert.throws(() => WorkTasksResponse.decode(message), /larger than Number.MAX_SAFE_INTEGER/);
    assert.throws(() => decodeWorkTasksResponse(message), /larger than Number.MAX_SAFE_INTEGER/);
  });
});

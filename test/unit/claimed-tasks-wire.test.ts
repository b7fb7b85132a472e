import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClaimedTask, Task, TaskErrorRecord } from '../../src/domain/task.js';
import { CHILD_FAILURE_POLICIES, TASK_STATES } from '../../src/domain/task.js';
import { claimTasksResponse, encodeClaimedTasks, workTasksResponse } from '../../src/transport/grpc/claimedTasksWire.js';
import { ClaimTasksResponse, Task as TaskMessage, WorkTasksResponse } from '../../src/transport/grpc/contract.js';
import { claimedToProto } from '../../src/transport/grpc/convert.js';
import { randomSource } from '../support/random.js';

const STRINGS = [
  '',
  'q',
  'emails',
  'x'.repeat(127),
  'y'.repeat(128),
  'z'.repeat(300),
  'café',
  'naïve ' + 'é'.repeat(70),
  '日本語のキュー',
  'emoji 🎉 and 𝄞',
  'lone \ud800 surrogate',
  '\u0000 nul and \u007f',
];
const INT32S = [0, 1, -1, 127, 128, 300, 2_147_483_647, -2_147_483_648, -5];
const TIMES = [0, 999, 1_000, -1, -1_500, 1_733_550_000_123, 1_733_550_000_000, 253_402_300_799_999, -62_135_596_800_000];
const INT64S = [0, 1, -1, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 128];
const BYTES = [0, 1, 100, 127, 128, 20_000, 70_000].map((length) => Buffer.from(Buffer.alloc(length).map((_, i) => (i * 31 + length) & 0xff)));
const DOUBLES = [0, 1, 2, 1.5, 0.1, -0.25, 1e300];

function variedTask(random: () => number): Task {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const maybe = <T>(make: () => T): T | undefined => (random() < 0.5 ? make() : undefined);
  const bytes = (): Buffer => pick(BYTES);
  const error = (): TaskErrorRecord => ({
    type: pick(STRINGS),
    message: pick(STRINGS),
    details: pick(STRINGS),
    attempt: pick(INT32S),
    time: pick(TIMES),
  });
  const metadata: Record<string, string> = {};
  for (let i = Math.floor(random() * 5); i > 0; i--) metadata[pick([...STRINGS, '2', '10', 'k'])] = pick(STRINGS);
  const lease = maybe(() => ({ workerId: pick(STRINGS), expireTime: pick(TIMES) }));
  const progress = maybe(() => ({ current: pick(INT64S), total: pick(INT64S), message: pick(STRINGS) }));
  const payload = maybe(bytes);
  const result = maybe(bytes);
  const startTime = maybe(() => pick(TIMES));
  const endTime = maybe(() => pick(TIMES));
  const expireTime = maybe(() => pick(TIMES));
  const traceContext = maybe(() => ({ traceparent: pick(STRINGS), tracestate: pick(STRINGS) }));
  const parent = maybe(() => ({ queue: pick(STRINGS), id: pick(STRINGS), failurePolicy: pick(CHILD_FAILURE_POLICIES) }));
  const root = parent && maybe(() => ({ queue: pick(STRINGS), id: pick(STRINGS) }));
  const childCount = maybe(() => pick(INT32S));
  const uniqueKey = maybe(() => pick(STRINGS));
  const concurrencyKey = maybe(() => pick(STRINGS));
  return {
    queue: pick(STRINGS),
    id: pick(STRINGS),
    state: pick(TASK_STATES),
    ...(payload ? { payload } : {}),
    metadata,
    priority: pick(INT32S),
    attempt: pick(INT32S),
    maxAttempts: pick(INT32S),
    createTime: pick(TIMES),
    updateTime: pick(TIMES),
    scheduleTime: pick(TIMES),
    ...(startTime === undefined ? {} : { startTime }),
    ...(endTime === undefined ? {} : { endTime }),
    ...(expireTime === undefined ? {} : { expireTime }),
    ...(lease ? { lease } : {}),
    ...(progress ? { progress } : {}),
    ...(result ? { result } : {}),
    errors: Array.from({ length: pick([0, 0, 1, 3]) }, error),
    cancelRequested: random() < 0.5,
    leaseDurationMs: pick([0, 1, 1_500, 30_000, 86_400_000]),
    retryPolicy: {
      initialBackoffMs: pick([0, 250, 1_000, 60_500]),
      maxBackoffMs: pick([0, 1_000, 3_600_000]),
      multiplier: pick(DOUBLES),
      jitter: pick(DOUBLES),
    },
    type: pick(STRINGS),
    ...(traceContext ? { traceContext } : {}),
    ...(parent ? { parent } : {}),
    ...(root ? { root } : {}),
    ...(childCount === undefined ? {} : { childCount }),
    ...(uniqueKey === undefined ? {} : { uniqueKey }),
    ...(concurrencyKey === undefined ? {} : { concurrencyKey }),
  };
}

function claimedBatch(random: () => number, size: number): ClaimedTask[] {
  return Array.from({ length: size }, () => ({
    task: variedTask(random),
    leaseToken: STRINGS[Math.floor(random() * STRINGS.length)] ?? '',
  }));
}

const asUtf8 = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

/**
 * Bytes as hex, so that the generated decoder's Uint8Arrays and the tasks' Buffers compare by content; strings as
 * UTF-8 can carry them (a lone surrogate becomes U+FFFD on the wire).
 */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value === 'string') return asUtf8(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [asUtf8(k), plain(v)]));
  }
  return value;
}

describe('claimed tasks written by hand', () => {
  it('are byte for byte what the generated encoder writes, for many kinds of task', () => {
    const random = randomSource(17);
    for (let round = 0; round < 400; round++) {
      const claimed = claimedBatch(random, 1 + Math.floor(random() * 4));
      const generated = Buffer.from(ClaimTasksResponse.encode({ tasks: claimedToProto(claimed) }).finish());
      const written = encodeClaimedTasks(claimed);
      assert.equal(written.toString('hex'), generated.toString('hex'), `round ${round}`);
    }
  });

  // A field the hand encoder does not know would go missing from every claimed task without failing the test above.
  it('are checked over tasks that set every field of the Task message', () => {
    const random = randomSource(17);
    const set = new Set<string>();
    for (let round = 0; round < 400; round++) {
      for (const claimed of claimedToProto(claimedBatch(random, 2))) {
        const task = TaskMessage.fromPartial(claimed.task ?? {});
        const empty = TaskMessage.fromPartial({});
        for (const [field, value] of Object.entries(task)) {
          if (JSON.stringify(value) !== JSON.stringify(empty[field as keyof typeof empty])) set.add(field);
        }
      }
    }
    assert.deepEqual([...Object.keys(TaskMessage.fromPartial({}))].filter((field) => !set.has(field)), []);
  });

  it('decode with the generated decoder to the message the tasks map to', () => {
    const random = randomSource(4242);
    for (let round = 0; round < 200; round++) {
      const claimed = claimedBatch(random, 1 + Math.floor(random() * 3));
      const decoded = WorkTasksResponse.decode(encodeClaimedTasks(claimed));
      assert.deepEqual(decoded.completed, []);
      assert.deepEqual(plain(decoded.tasks), plain(ClaimTasksResponse.fromPartial({ tasks: claimedToProto(claimed) }).tasks), `round ${round}`);
    }
  });

  it('write a batch as large as a claim, past the first buffer', () => {
    const claimed = claimedBatch(randomSource(99), 100);
    const first = claimed[0];
    assert.ok(first);
    first.task.payload = Buffer.alloc(1024 * 1024, 7);
    const generated = Buffer.from(WorkTasksResponse.encode({ tasks: claimedToProto(claimed), completed: [] }).finish());
    assert.ok(generated.length > 1024 * 1024);
    assert.ok(encodeClaimedTasks(claimed).equals(generated));
  });

  it('write nothing for no tasks, as both responses encode an empty list', () => {
    assert.equal(encodeClaimedTasks([]).length, 0);
    assert.equal(WorkTasksResponse.encode({ tasks: [], completed: [] }).finish().length, 0);
  });

  it('stand in for the ClaimTasks and WorkTasks responses as bytes the server passes through', () => {
    const claimed = claimedBatch(randomSource(5), 2);
    assert.ok(Buffer.isBuffer(claimTasksResponse(claimed)));
    assert.ok(Buffer.isBuffer(workTasksResponse(claimed)));
  });
});

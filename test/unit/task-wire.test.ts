import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClaimedTask, Task } from '../../src/domain/task.js';
import { taskToProto } from '../../src/grpc/convert.js';
import type { ClaimTasksResponse } from '../../src/grpc/generated/baton/v1/ClaimTasksResponse.js';
import type { ClaimTasksResponse__Output } from '../../src/grpc/generated/baton/v1/ClaimTasksResponse.js';
import { loadProtos } from '../../src/grpc/protos.js';
import { encodeClaimedTasks } from '../../src/grpc/taskWire.js';

const claimMethod = loadProtos().baton.v1.WorkerService.service.ClaimTasks;
const encodeGeneric = claimMethod.responseSerialize as (value: ClaimTasksResponse) => Buffer;
const decode = claimMethod.responseDeserialize as (bytes: Buffer) => ClaimTasksResponse__Output;

const base: Task = {
  queue: 'emails',
  id: '01JABCDEFGHJKMNPQRSTVWXYZ0',
  state: 'PENDING',
  metadata: {},
  priority: 0,
  attempt: 0,
  maxAttempts: 5,
  createTime: 1_763_824_000_123,
  updateTime: 1_763_824_000_123,
  scheduleTime: 1_763_824_000_123,
  errors: [],
  cancelRequested: false,
  leaseDurationMs: 30_000,
  retryPolicy: { initialBackoffMs: 1_000, maxBackoffMs: 3_600_000, multiplier: 2, jitter: 0 },
};

const busy: Task = {
  ...base,
  queue: 'rénders',
  state: 'ACTIVE',
  payload: Buffer.alloc(70_000, 7),
  metadata: { tenant: 'acme', 'naïve key': 'välue ✓', empty: '' },
  priority: -9,
  attempt: 3,
  maxAttempts: 1000,
  startTime: 1_763_824_001_999,
  expireTime: 1_763_900_000_000,
  lease: { workerId: 'w'.repeat(128), expireTime: 1_763_824_031_999 },
  progress: { current: 2 ** 40, total: 2 ** 41, message: 'half' },
  result: Buffer.from('partial'),
  errors: [
    { type: 'LEASE_EXPIRED', message: 'lease of worker w expired', details: '', attempt: 1, time: 1_763_824_000_500 },
    { type: 'Boom', message: 'x'.repeat(300), details: 'stack', attempt: 2, time: 1_763_824_001_000 },
  ],
  cancelRequested: true,
  leaseDurationMs: 86_400_000,
  retryPolicy: { initialBackoffMs: 250, maxBackoffMs: 604_800_000, multiplier: 1.5, jitter: 0.25 },
};

function generic(claimed: ClaimedTask[]): ClaimTasksResponse__Output {
  return decode(encodeGeneric({ tasks: claimed.map((c) => ({ task: taskToProto(c.task), lease_token: c.leaseToken })) }));
}

describe('claimed tasks written straight to protobuf', () => {
  it('decode to exactly what the generic encoder gives, for a fresh task and for one with every field set', () => {
    for (const claimed of [
      [{ task: base, leaseToken: 'tabc1' }],
      [{ task: busy, leaseToken: 'tabc2' }],
      [{ task: base, leaseToken: 't1' }, { task: busy, leaseToken: 't2' }, { task: { ...base, id: 'x' }, leaseToken: 't3' }],
    ]) {
      assert.deepEqual(decode(encodeClaimedTasks(claimed)), generic(claimed));
    }
  });

  it('decode to an empty response for no tasks', () => {
    assert.deepEqual(decode(encodeClaimedTasks([])), generic([]));
  });
});

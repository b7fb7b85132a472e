import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClaimedTask } from '../../src/domain/task.js';
import { taskToProto } from '../../src/grpc/convert.js';
import type { ClaimTasksResponse } from '../../src/grpc/generated/baton/v1/ClaimTasksResponse.js';
import type { ClaimTasksResponse__Output } from '../../src/grpc/generated/baton/v1/ClaimTasksResponse.js';
import { loadProtos } from '../../src/grpc/protos.js';
import { encodeClaimedTasks } from '../../src/grpc/taskWire.js';
import { busyTask as busy, freshTask as base } from '../support/taskFixtures.js';

const claimMethod = loadProtos().baton.v1.WorkerService.service.ClaimTasks;
const encodeGeneric = claimMethod.responseSerialize as (value: ClaimTasksResponse) => Buffer;
const decode = claimMethod.responseDeserialize as (bytes: Buffer) => ClaimTasksResponse__Output;

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

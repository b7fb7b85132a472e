import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import { taskToProto } from '../../src/grpc/convert.js';
import type { WatchTasksResponse } from '../../src/grpc/generated/baton/v1/WatchTasksResponse.js';
import type { WorkTasksResponse } from '../../src/grpc/generated/baton/v1/WorkTasksResponse.js';
import { PROTO_FILES, PROTO_LOADER_OPTIONS, protoDir } from '../../src/grpc/protos.js';
import { encodeClaimedTasks } from '../../src/grpc/taskWire.js';
import { TaskStreamDecoder } from '../../src/grpc/taskStreamDecoder.js';
import { busyTask as busy, freshTask as fresh } from '../support/taskFixtures.js';

// proto-loader's own codec, as loaded without the fast decoders.
const generic = protoLoader.loadSync(PROTO_FILES, { ...PROTO_LOADER_OPTIONS, includeDirs: [protoDir()] });
const watchMethod = (generic['baton.v1.TaskService'] as protoLoader.ServiceDefinition).WatchTasks;
const workMethod = (generic['baton.v1.WorkerService'] as protoLoader.ServiceDefinition).WorkTasks;
assert.ok(watchMethod && workMethod);
const encodeWatch = watchMethod.responseSerialize as (value: WatchTasksResponse) => Buffer;
const decodeWatchGeneric = watchMethod.responseDeserialize;
const encodeWork = workMethod.responseSerialize as (value: WorkTasksResponse) => Buffer;
const decodeWorkGeneric = workMethod.responseDeserialize;
const decoder = new TaskStreamDecoder(generic);
const decodeWatchTasksResponse = (bytes: Buffer) => decoder.watchTasksResponse(bytes);
const decodeWorkTasksResponse = (bytes: Buffer) => decoder.workTasksResponse(bytes);

/** Fields this version does not know, as a newer server might send: varint, fixed64, bytes and fixed32. */
const UNKNOWN_FIELDS = Buffer.from([0xc8, 0x06, 0x96, 0x01, 0xd1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0xda, 0x06, 2, 0x68, 0x69, 0xe5, 0x06, 9, 9, 9, 9]);

describe('the fast decoders of WatchTasks and WorkTasks responses', () => {
  it('give exactly what proto-loader gives for events with and without a task, every field set or none', () => {
    const bytes = encodeWatch({
      events: [
        { cursor: '1763824000123-0', type: 'TASK_EVENT_TYPE_SUBMITTED', time: { seconds: 1_763_824_000, nanos: 123_000_000 }, queue: 'emails', task: taskToProto(fresh) },
        { cursor: '1763824000124-0', type: 'TASK_EVENT_TYPE_CLAIMED', queue: 'rénders', task: taskToProto(busy), worker_id: 'w-1' },
        { cursor: '1763824000125-3', type: 'TASK_EVENT_TYPE_QUEUE_PURGED', queue: 'emails', count: 2 ** 50 },
        {},
      ],
    });
    assert.deepStrictEqual(decodeWatchTasksResponse(bytes), decodeWatchGeneric(bytes));
    assert.deepStrictEqual(decodeWatchTasksResponse(Buffer.alloc(0)), decodeWatchGeneric(Buffer.alloc(0)));
  });

  it('give exactly what proto-loader gives for pushed tasks (as the server writes them) and completion results', () => {
    const tasks = encodeClaimedTasks([
      { task: fresh, leaseToken: 'tabc1' },
      { task: busy, leaseToken: 'tabc2' },
    ]);
    assert.deepStrictEqual(decodeWorkTasksResponse(tasks), decodeWorkGeneric(tasks));
    const completed = encodeWork({
      completed: [
        { task_id: 'a', state: 'TASK_STATE_SUCCEEDED' },
        { task_id: 'b', error: { code: 10, message: 'lease token does not match' } },
        { task_id: 'c', state: 'TASK_STATE_SUCCEEDED', task: taskToProto({ ...busy, state: 'SUCCEEDED' }) },
      ],
    });
    assert.deepStrictEqual(decodeWorkTasksResponse(completed), decodeWorkGeneric(completed));
  });

  it('skip fields they do not know, name enums by number and keep numbers they have no name for, as proto-loader does', () => {
    const event = encodeWatch({ events: [{ cursor: 'c', type: 'TASK_EVENT_TYPE_SUCCEEDED', task: taskToProto(fresh) }] });
    const withUnknown = Buffer.concat([event, UNKNOWN_FIELDS]);
    assert.deepStrictEqual(decodeWatchTasksResponse(withUnknown), decodeWatchGeneric(withUnknown));
    const released = encodeWatch({ events: [{ cursor: 'c', type: 'TASK_EVENT_TYPE_RELEASED' }, { type: 'TASK_EVENT_TYPE_QUEUE_PAUSED' }] });
    assert.deepStrictEqual(decodeWatchTasksResponse(released), decodeWatchGeneric(released), 'numbered out of declaration order');
    const futureType = encodeWatch({ events: [{ cursor: 'c', type: 99 as unknown as 'TASK_EVENT_TYPE_SUCCEEDED' }] });
    assert.equal(decodeWatchTasksResponse(futureType).events[0]?.type, 99);
    assert.deepStrictEqual(decodeWatchTasksResponse(futureType), decodeWatchGeneric(futureType));
  });

  it('throw on a truncated message rather than return part of it', () => {
    const bytes = encodeClaimedTasks([{ task: busy, leaseToken: 'tabc2' }]);
    assert.throws(() => decodeWorkTasksResponse(bytes.subarray(0, bytes.length - 10)), /truncated/);
  });
});

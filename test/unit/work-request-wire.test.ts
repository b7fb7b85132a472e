import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import type { WorkTasksRequest } from '../../src/grpc/generated/baton/v1/WorkTasksRequest.js';
import { PROTO_FILES, PROTO_LOADER_OPTIONS, protoDir } from '../../src/grpc/protos.js';
import { decodeWorkTasksRequest, encodeWorkTasksRequest } from '../../src/grpc/workRequestWire.js';

// proto-loader's own codec, as loaded without the hand-written one.
const generic = protoLoader.loadSync(PROTO_FILES, { ...PROTO_LOADER_OPTIONS, includeDirs: [protoDir()] });
const workMethod = (generic['baton.v1.WorkerService'] as protoLoader.ServiceDefinition).WorkTasks;
assert.ok(workMethod);
const encodeGeneric = workMethod.requestSerialize as (value: WorkTasksRequest) => Buffer;
const decodeGeneric = workMethod.requestDeserialize;

/** Fields this version does not know, as a newer worker might send: varint, fixed64, bytes and fixed32. */
const UNKNOWN_FIELDS = Buffer.from([0xc8, 0x06, 0x96, 0x01, 0xd1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0xda, 0x06, 2, 0x68, 0x69, 0xe5, 0x06, 9, 9, 9, 9]);

const BATCH: WorkTasksRequest = {
  credit: 3,
  completions: [
    { queue: 'emails', task_id: 't-1', lease_token: 'k1.0', result: Buffer.from('{"sent":true}') },
    { queue: 'rénders', task_id: 't-2', lease_token: 'k1.1', result: Buffer.alloc(0) },
    { queue: 'emails', task_id: 't-3', lease_token: 'k1.2', result: new Uint8Array([0, 1, 2, 255]) },
    { queue: 'emails', task_id: 't-4', lease_token: 'k1.3', result: Buffer.alloc(300, 7) },
  ],
};

describe('the hand-written codec of WorkTasksRequest (a worker session batch)', () => {
  it('encodes credit and completions so that proto-loader reads what it would have encoded itself', () => {
    for (const request of [BATCH, { credit: 50 }, { completions: BATCH.completions ?? [] }, { credit: 0 }, {}, { credit: -1 }]) {
      const bytes = encodeWorkTasksRequest(request);
      assert.ok(bytes);
      assert.deepStrictEqual(decodeGeneric(bytes), decodeGeneric(encodeGeneric(request)));
    }
  });

  it('leaves a start message and a result given as base64 text to proto-loader', () => {
    assert.equal(encodeWorkTasksRequest({ start: { queues: ['emails'], worker_id: 'w-1' }, credit: 8 }), undefined);
    assert.equal(encodeWorkTasksRequest({ completions: [{ queue: 'q', task_id: 't', lease_token: 'k', result: 'AAE=' }] }), undefined);
  });

  it('decodes exactly what proto-loader decodes, start message, unknown fields and empty message included', () => {
    const messages = [
      encodeGeneric(BATCH),
      encodeGeneric({ start: { queues: ['emails', 'rénders'], worker_id: 'w-1', lease_duration: { seconds: 90, nanos: 5 } }, credit: 8 }),
      encodeGeneric({ start: {}, credit: 1 }),
      Buffer.concat([encodeGeneric(BATCH), UNKNOWN_FIELDS]),
      Buffer.alloc(0),
    ];
    for (const bytes of messages) assert.deepStrictEqual(decodeWorkTasksRequest(bytes), decodeGeneric(bytes));
  });

  it('throws on a truncated message rather than return part of it', () => {
    const bytes = encodeGeneric(BATCH);
    assert.throws(() => decodeWorkTasksRequest(bytes.subarray(0, bytes.length - 10)), /truncated/);
  });
});

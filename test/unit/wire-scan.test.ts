import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  ClaimTasksRequest,
  CompleteTasksRequest,
  HealthService,
  ListTasksRequest,
  QueueServiceService,
  ScheduleServiceService,
  RegisterWorkerRequest,
  RetryTasksRequest,
  SubmitTaskRequest,
  SubmitTasksRequest,
  TaskServiceService,
  WatchTasksRequest,
  WorkerServiceService,
  WorkTasksRequest,
} from '../../src/transport/grpc/contract.js';
import { boundedDeserializer, RequestBounds, REPEATED_LIMITS } from '../../src/transport/grpc/requestBounds.js';
import { protoDefinition } from '../../src/transport/grpc/protos.js';
import { scanMessage, WireRefusal } from '../../src/transport/grpc/wireScan.js';

const bounds = new RequestBounds(1024 * 1024, protoDefinition());
const plan = (type: string) => bounds.planFor(`baton.v1.${type}`);

/** The scan's verdict: undefined when it passes, else its refusal text. */
function scan(type: string, bytes: Uint8Array): string | undefined {
  try {
    scanMessage(plan(type), bytes);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof WireRefusal, `scanning ${type} threw ${String(error)}`);
    return error.message;
  }
}

/** Hand-written wire bytes: a tag, then the value. */
const tag = (field: number, wireType: number): number[] => [(field << 3) | wireType];

describe('the request wire scan', () => {
  it('has a plan with an entry limit for every repeated field of every request of every service', () => {
    const services = { 'baton.v1': [TaskServiceService, WorkerServiceService, QueueServiceService, ScheduleServiceService], 'grpc.health.v1': [HealthService] };
    for (const [pkg, list] of Object.entries(services)) for (const service of list) assert.doesNotThrow(() => bounds.bound(service, pkg));
    for (const key of Object.keys(REPEATED_LIMITS)) {
      const [message = '', field = ''] = key.split('.');
      const found = plan(message === 'WorkTasksStart' ? 'WorkTasksStart' : message);
      assert.ok([...found.fields.values()].some((f) => f.name === field && f.repeated), `${key} names a repeated field`);
    }
  });

  it('counts exactly what the generated decoder decodes, up to each limit and not one past it', () => {
    const cases: [string, (n: number) => Uint8Array, (bytes: Uint8Array) => number, number][] = [
      ['SubmitTasksRequest', (n) => SubmitTasksRequest.encode(SubmitTasksRequest.fromPartial({ requests: Array.from({ length: n }, () => ({ queue: 'q' })) })).finish(), (b) => SubmitTasksRequest.decode(b).requests.length, 1000],
      ['CompleteTasksRequest', (n) => CompleteTasksRequest.encode(CompleteTasksRequest.fromPartial({ requests: Array.from({ length: n }, () => ({ queue: 'q' })) })).finish(), (b) => CompleteTasksRequest.decode(b).requests.length, 1000],
      ['WorkTasksRequest', (n) => WorkTasksRequest.encode(WorkTasksRequest.fromPartial({ completions: Array.from({ length: n }, () => ({})) })).finish(), (b) => WorkTasksRequest.decode(b).completions.length, 1000],
      ['SubmitTaskRequest', (n) => SubmitTaskRequest.encode(SubmitTaskRequest.fromPartial({ metadata: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])) })).finish(), (b) => Object.keys(SubmitTaskRequest.decode(b).metadata).length, 64],
      ['ClaimTasksRequest', (n) => ClaimTasksRequest.encode(ClaimTasksRequest.fromPartial({ queues: Array.from({ length: n }, (_, i) => `q${i}`) })).finish(), (b) => ClaimTasksRequest.decode(b).queues.length, 10],
      ['RegisterWorkerRequest', (n) => RegisterWorkerRequest.encode(RegisterWorkerRequest.fromPartial({ queues: Array.from({ length: n }, (_, i) => `q${i}`) })).finish(), (b) => RegisterWorkerRequest.decode(b).queues.length, 100],
      ['WatchTasksRequest', (n) => WatchTasksRequest.encode(WatchTasksRequest.fromPartial({ event_types: Array.from({ length: n }, () => 'TASK_EVENT_TYPE_SUBMITTED' as const) })).finish(), (b) => WatchTasksRequest.decode(b).event_types.length, plan('WatchTasksRequest').fields.get(3)?.limit ?? 0],
      ['RetryTasksRequest', (n) => RetryTasksRequest.encode(RetryTasksRequest.fromPartial({ states: Array.from({ length: n }, () => 'TASK_STATE_FAILED' as const) })).finish(), (b) => RetryTasksRequest.decode(b).states.length, plan('RetryTasksRequest').fields.get(2)?.limit ?? 0],
    ];
    for (const [type, encode, decodedCount, limit] of cases) {
      for (const n of [0, 1, limit - 1, limit]) {
        const bytes = encode(n);
        assert.equal(scan(type, bytes), undefined, `${type} with ${n}`);
        assert.equal(decodedCount(bytes), n);
      }
      assert.match(scan(type, encode(limit + 1)) ?? '', new RegExp(`has more than ${limit} entries; the limit is ${limit}`), type);
    }
  });

  it('counts unpacked repeated enums as the decoder does, and packed ones value by value', () => {
    const unpacked = [...tag(2, 0), 5, ...tag(2, 0), 6];
    assert.equal(scan('RetryTasksRequest', Uint8Array.from(unpacked)), undefined);
    assert.equal(RetryTasksRequest.decode(Uint8Array.from(unpacked)).states.length, 2);
    const limit = plan('RetryTasksRequest').fields.get(2)?.limit ?? 0;
    const packed = Uint8Array.from([...tag(2, 2), limit + 1, ...Array.from({ length: limit + 1 }, () => 5)]);
    assert.match(scan('RetryTasksRequest', packed) ?? '', /states: has more than/);
  });

  it('refuses unknown enum values naming the field, where ts-proto would say UNRECOGNIZED', () => {
    const bytes = Uint8Array.from([...tag(2, 0), 99]);
    assert.equal(ListTasksRequest.decode(bytes).state, 'UNRECOGNIZED');
    assert.match(scan('ListTasksRequest', bytes) ?? '', /^state: has unknown enum value 99/);
    assert.match(scan('RetryTasksRequest', Uint8Array.from([...tag(2, 2), 2, 5, 77])) ?? '', /^states: has unknown enum value 77/);
    assert.match(scan('ListTasksRequest', Uint8Array.from([...tag(2, 0), 0xff, 0xff, 0xff, 0xff, 0x0f])) ?? '', /state: has unknown enum value -1/);
  });

  it('refuses Duration and Timestamp values out of their ranges', () => {
    const nanos = (n: number) => SubmitTaskRequest.encode(SubmitTaskRequest.fromPartial({ delay: { seconds: 1, nanos: n } })).finish();
    assert.equal(scan('SubmitTaskRequest', nanos(999_999_999)), undefined);
    assert.match(scan('SubmitTaskRequest', nanos(1_000_000_000)) ?? '', /^delay.nanos: must be from -999999999 to 999999999/);
    assert.match(scan('SubmitTaskRequest', nanos(-5)) ?? '', /^delay.nanos: must have the sign of seconds/);
    const at = (seconds: number, n: number) => SubmitTaskRequest.encode(SubmitTaskRequest.fromPartial({ schedule_time: { seconds, nanos: n } })).finish();
    assert.equal(scan('SubmitTaskRequest', at(1_700_000_000, 5)), undefined);
    assert.match(scan('SubmitTaskRequest', at(1_700_000_000, -1)) ?? '', /^schedule_time.nanos: must be from 0 to 999999999/);
    assert.match(scan('SubmitTaskRequest', at(253_402_300_800, 0)) ?? '', /^schedule_time.seconds: must be a time from year 1 to 9999/);
  });

  it('refuses wrong wire types, groups, truncation and too many unknown fields', () => {
    assert.match(scan('GetTaskRequest', Uint8Array.from([...tag(1, 0), 1])) ?? '', /^queue: has wire type 0; expected 2/);
    assert.match(scan('GetTaskRequest', Uint8Array.from([...tag(9, 3)])) ?? '', /wire type 3/);
    assert.match(scan('GetTaskRequest', Uint8Array.from([...tag(1, 2), 5, 0x61])) ?? '', /truncated/);
    assert.match(scan('GetTaskRequest', Uint8Array.from([0x80])) ?? '', /truncated/);
    const unknown = Uint8Array.from(Array.from({ length: 1001 }, () => [...tag(99 & 15, 0), 1]).flat());
    assert.match(scan('GetTaskRequest', unknown) ?? '', /unknown fields/);
  });

  it('never lets a prefix of a valid message reach the decoder as anything but a refusal or a valid message', () => {
    const full = SubmitTasksRequest.encode(
      SubmitTasksRequest.fromPartial({
        requests: [{ queue: 'q', task_id: 'a', metadata: { k: 'v' }, delay: { seconds: 3, nanos: 0 }, payload: Buffer.from('xyz') }],
      }),
    ).finish();
    const deserialize = boundedDeserializer('/m', plan('SubmitTasksRequest'), 1 << 20, (b) => SubmitTasksRequest.decode(b));
    for (let end = 0; end <= full.length; end++) {
      const out = deserialize(Buffer.from(full.subarray(0, end))) as Record<symbol, { code: number } | undefined>;
      const [refused] = Object.getOwnPropertySymbols(out);
      if (refused !== undefined) assert.equal(out[refused]?.code, grpc.status.INVALID_ARGUMENT);
    }
  });
});

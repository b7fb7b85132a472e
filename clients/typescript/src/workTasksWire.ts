import { makeGenericClientConstructor } from '@grpc/grpc-js';
import {
  ChildFailurePolicy,
  ItemError,
  Progress,
  TaskError,
  TaskState,
  TraceContext,
  WorkerServiceClient,
  WorkerServiceService,
  childFailurePolicyFromJSON,
  taskStateFromJSON,
} from './contract.js';
import type { ClaimedTask, CompleteTasksResult, Duration, Lease, RetryPolicy, Task, Timestamp, WorkTasksResponse } from './contract.js';

/**
 * The decoder of WorkTasksResponse, the message that brings a worker its tasks: written by hand because the
 * generated one spends a worker's CPU on every pushed task (docs/benchmarks.md). It returns the generated types,
 * reads the fields of pushed tasks and of completions' answers itself, and hands the rare nested messages (progress,
 * errors, trace context, item errors) to their generated decoders. A conformance test decodes random
 * messages with both (test/unit/work-tasks-wire.test.ts).
 */
export function decodeWorkTasksResponse(bytes: Buffer): WorkTasksResponse {
  const reader = new WireReader(bytes);
  const message: WorkTasksResponse = { tasks: [], completed: [] };
  while (reader.more(bytes.length)) {
    const tag = reader.varint32();
    if (tag === 10) message.tasks.push(claimedTask(reader, reader.end()));
    else if (tag === 18) message.completed.push(completeResult(reader, reader.end()));
    else reader.skip(tag);
  }
  return message;
}

/** The generated WorkerService client, but with the hand decoder on WorkTasks' responses. */
export const FastWorkerServiceClient = makeGenericClientConstructor(
  { ...WorkerServiceService, workTasks: { ...WorkerServiceService.workTasks, responseDeserialize: decodeWorkTasksResponse } },
  'baton.v1.WorkerService',
) as unknown as typeof WorkerServiceClient;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Protobuf wire primitives over one Buffer (the generated code's BinaryReader does the same, more generally). */
class WireReader {
  at = 0;

  constructor(private readonly bytes: Buffer) {}

  more(end: number): boolean {
    return this.at < end;
  }

  /** A varint's low 32 bits as a signed number (int32, enum, tag, length); the rest of it is read and dropped. */
  varint32(): number {
    const bytes = this.bytes;
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const byte = bytes[this.at++];
      if (byte === undefined) throw new RangeError('premature end of a WorkTasksResponse');
      if (shift < 32) value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value | 0;
    }
    throw new RangeError('a varint longer than 10 bytes in a WorkTasksResponse');
  }

  /** An int64 varint as a number; out of the safe integer range it is an error (as the generated code's). */
  int64(): number {
    const bytes = this.bytes;
    let low = 0;
    let high = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const byte = bytes[this.at++];
      if (byte === undefined) throw new RangeError('premature end of a WorkTasksResponse');
      const bits = byte & 0x7f;
      if (shift < 28) low |= bits << shift;
      else if (shift === 28) {
        low |= bits << 28;
        high |= bits >>> 4;
      } else high |= bits << (shift - 32);
      if (byte < 0x80) {
        const value = (high | 0) * 0x1_0000_0000 + (low >>> 0);
        if (value > MAX_SAFE) throw new RangeError('Value is larger than Number.MAX_SAFE_INTEGER');
        if (value < -MAX_SAFE) throw new RangeError('Value is smaller than Number.MIN_SAFE_INTEGER');
        return value;
      }
    }
    throw new RangeError('a varint longer than 10 bytes in a WorkTasksResponse');
  }

  /** Reads a length prefix; returns where the field it prefixes ends. */
  end(): number {
    const length = this.varint32() >>> 0;
    const end = this.at + length;
    if (end > this.bytes.length) throw new RangeError('premature end of a WorkTasksResponse');
    return end;
  }

  string(): string {
    const end = this.end();
    // utf8Slice: what Buffer's toString('utf8', start, end) calls once it has checked its arguments.
    const text = (this.bytes as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(this.at, end);
    this.at = end;
    return text;
  }

  double(): number {
    if (this.at + 8 > this.bytes.length) throw new RangeError('premature end of a WorkTasksResponse');
    const value = this.bytes.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  /** A length-delimited field's bytes, shared with the message (for a generated decoder). */
  bytesView(): Uint8Array {
    const end = this.end();
    const view = this.bytes.subarray(this.at, end);
    this.at = end;
    return view;
  }

  /** A bytes field, copied out of the message as the generated decoder does. */
  bytesCopy(): Buffer {
    return Buffer.from(this.bytesView());
  }

  skip(tag: number): void {
    switch (tag & 7) {
      case 0:
        this.int64Skip();
        return;
      case 1:
        this.at += 8;
        return;
      case 2:
        this.at = this.end();
        return;
      case 5:
        this.at += 4;
        return;
      default:
        throw new RangeError(`wire type ${tag & 7} in a WorkTasksResponse`);
    }
  }

  private int64Skip(): void {
    while ((this.bytes[this.at++] ?? 0) >= 0x80) {
      if (this.at > this.bytes.length) throw new RangeError('premature end of a WorkTasksResponse');
    }
  }
}

function completeResult(reader: WireReader, end: number): CompleteTasksResult {
  const result: CompleteTasksResult = { task_id: '', state: TaskState.TASK_STATE_UNSPECIFIED, task: undefined, error: undefined };
  while (reader.more(end)) {
    const tag = reader.varint32();
    if (tag === 10) result.task_id = reader.string();
    else if (tag === 16) result.state = taskStateFromJSON(reader.varint32());
    else if (tag === 26) result.task = task(reader, reader.end());
    else if (tag === 34) result.error = ItemError.decode(reader.bytesView());
    else reader.skip(tag);
  }
  return result;
}

function claimedTask(reader: WireReader, end: number): ClaimedTask {
  const claimed: ClaimedTask = { task: undefined, lease_token: '' };
  while (reader.more(end)) {
    const tag = reader.varint32();
    if (tag === 10) claimed.task = task(reader, reader.end());
    else if (tag === 18) claimed.lease_token = reader.string();
    else reader.skip(tag);
  }
  return claimed;
}

/** Timestamp and Duration share their shape: seconds (int64) = 1, nanos (int32) = 2. */
function secondsAndNanos(reader: WireReader): Timestamp & Duration {
  const end = reader.end();
  const time = { seconds: 0, nanos: 0 };
  while (reader.more(end)) {
    const tag = reader.varint32();
    if (tag === 8) time.seconds = reader.int64();
    else if (tag === 16) time.nanos = reader.varint32();
    else reader.skip(tag);
  }
  return time;
}

function lease(reader: WireReader, end: number): Lease {
  const result: Lease = { worker_id: '', expire_time: undefined };
  while (reader.more(end)) {
    const tag = reader.varint32();
    if (tag === 10) result.worker_id = reader.string();
    else if (tag === 18) result.expire_time = secondsAndNanos(reader);
    else reader.skip(tag);
  }
  return result;
}

function retryPolicy(reader: WireReader, end: number): RetryPolicy {
  const policy: RetryPolicy = { initial_backoff: undefined, max_backoff: undefined, backoff_multiplier: 0, jitter: 0 };
  while (reader.more(end)) {
    const tag = reader.varint32();
    if (tag === 10) policy.initial_backoff = secondsAndNanos(reader);
    else if (tag === 18) policy.max_backoff = secondsAndNanos(reader);
    else if (tag === 25) policy.backoff_multiplier = reader.double();
    else if (tag === 33) policy.jitter = reader.double();
    else reader.skip(tag);
  }
  return policy;
}

function metadataEntry(reader: WireReader, metadata: Record<string, string>): void {
  const end = reader.end();
  let key = '';
  let value = '';
  while (reader.more(end)) {
    const tag = reader.varint32();
    if (tag === 10) key = reader.string();
    else if (tag === 18) value = reader.string();
    else reader.skip(tag);
  }
  metadata[key] = value;
}

function task(reader: WireReader, end: number): Task {
  const t: Task = {
    queue: '',
    id: '',
    state: TaskState.TASK_STATE_UNSPECIFIED,
    payload: EMPTY,
    metadata: {},
    priority: 0,
    attempt: 0,
    max_attempts: 0,
    create_time: undefined,
    update_time: undefined,
    schedule_time: undefined,
    start_time: undefined,
    end_time: undefined,
    expire_time: undefined,
    lease: undefined,
    progress: undefined,
    result: EMPTY,
    error: undefined,
    errors: [],
    cancel_requested: false,
    lease_duration: undefined,
    retry_policy: undefined,
    type: '',
    trace_context: undefined,
    parent_id: '',
    parent_queue: '',
    root_id: '',
    root_queue: '',
    failure_policy: ChildFailurePolicy.CHILD_FAILURE_POLICY_UNSPECIFIED,
    child_count: 0,
    concurrency_key: '',
    unique_key: '',
  };
  while (reader.more(end)) {
    const tag = reader.varint32();
    switch (tag) {
      case 10: t.queue = reader.string(); break;
      case 18: t.id = reader.string(); break;
      case 24: t.state = taskStateFromJSON(reader.varint32()); break;
      case 34: t.payload = reader.bytesCopy(); break;
      case 42: metadataEntry(reader, t.metadata); break;
      case 48: t.priority = reader.varint32(); break;
      case 56: t.attempt = reader.varint32(); break;
      case 64: t.max_attempts = reader.varint32(); break;
      case 74: t.create_time = secondsAndNanos(reader); break;
      case 82: t.update_time = secondsAndNanos(reader); break;
      case 90: t.schedule_time = secondsAndNanos(reader); break;
      case 98: t.start_time = secondsAndNanos(reader); break;
      case 106: t.end_time = secondsAndNanos(reader); break;
      case 114: t.expire_time = secondsAndNanos(reader); break;
      case 122: t.lease = lease(reader, reader.end()); break;
      case 130: t.progress = Progress.decode(reader.bytesView()); break;
      case 138: t.result = reader.bytesCopy(); break;
      case 146: t.error = TaskError.decode(reader.bytesView()); break;
      case 154: t.errors.push(TaskError.decode(reader.bytesView())); break;
      case 160: t.cancel_requested = reader.varint32() !== 0; break;
      case 170: t.lease_duration = secondsAndNanos(reader); break;
      case 178: t.retry_policy = retryPolicy(reader, reader.end()); break;
      case 186: t.type = reader.string(); break;
      case 194: t.trace_context = TraceContext.decode(reader.bytesView()); break;
      case 202: t.parent_id = reader.string(); break;
      case 210: t.parent_queue = reader.string(); break;
      case 218: t.root_id = reader.string(); break;
      case 226: t.root_queue = reader.string(); break;
      case 232: t.failure_policy = childFailurePolicyFromJSON(reader.varint32()); break;
      case 240: t.child_count = reader.varint32(); break;
      case 250: t.concurrency_key = reader.string(); break;
      case 322: t.unique_key = reader.string(); break;
      default: reader.skip(tag);
    }
  }
  return t;
}

/** Shared by every task without a payload or result: Buffers of length 0 hold nothing to change. */
const EMPTY = Buffer.alloc(0);

/**
 * Protobuf bytes of claimed tasks, written straight from the domain Task: the hot path of every task a worker
 * receives (ClaimTasks, WorkTasks). The generic path builds a proto object per task (a dozen nested objects), then
 * protobufjs's fromObject copies it into message instances before encoding; this writes the wire format once.
 *
 * The field numbers are those of proto/baton/v1/task.proto and worker_service.proto; test/unit/task-wire.test.ts
 * decodes the output with the generated codec and compares it with the generic path's, field by field.
 */
import type { ClaimedTask, Task } from '../domain/task.js';
import { TASK_STATES } from '../domain/task.js';
import type { ClaimTasksResponse } from './generated/baton/v1/ClaimTasksResponse.js';
import type { WorkTasksResponse } from './generated/baton/v1/WorkTasksResponse.js';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
/** A nested message's length is written in front of it once known: this many bytes are kept free for it. */
const LENGTH_ROOM = 5;

class WireWriter {
  private buffer: Buffer;
  private at = 0;

  constructor(sizeHint: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(256, sizeHint));
  }

  finish(): Buffer {
    return this.buffer.subarray(0, this.at);
  }

  uint(field: number, value: number): void {
    if (value === 0) return;
    this.key(field, VARINT);
    this.varint(value);
  }

  /** int32/int64: negative numbers take ten bytes, as the protobuf spec says. */
  int(field: number, value: number): void {
    if (value >= 0) {
      this.uint(field, value);
      return;
    }
    this.key(field, VARINT);
    // Two's complement over 64 bits, from a double: exact for every safe integer.
    const high = Math.floor(value / 2 ** 32);
    this.varint64(value - high * 2 ** 32, high >>> 0);
  }

  bool(field: number, value: boolean): void {
    if (!value) return;
    this.key(field, VARINT);
    this.varint(1);
  }

  double(field: number, value: number): void {
    if (value === 0) return;
    this.key(field, FIXED64);
    this.room(8);
    this.buffer.writeDoubleLE(value, this.at);
    this.at += 8;
  }

  string(field: number, value: string, always = false): void {
    if (value === '' && !always) return;
    this.key(field, LENGTH_DELIMITED);
    const length = Buffer.byteLength(value);
    this.varint(length);
    this.room(length);
    this.at += this.buffer.write(value, this.at, 'utf8');
  }

  bytes(field: number, value: Buffer | undefined): void {
    if (!value || value.length === 0) return;
    this.key(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.room(value.length);
    this.at += value.copy(this.buffer, this.at);
  }

  /** Opens a nested message; close it with `end(mark)`. */
  begin(field: number): number {
    this.key(field, LENGTH_DELIMITED);
    this.room(LENGTH_ROOM);
    const mark = this.at;
    this.at += LENGTH_ROOM;
    return mark;
  }

  end(mark: number): void {
    const start = mark + LENGTH_ROOM;
    const length = this.at - start;
    const after = this.at;
    this.at = mark;
    this.varint(length);
    if (this.at !== start) {
      this.buffer.copyWithin(this.at, start, after);
    }
    this.at += length;
  }

  /** google.protobuf.Timestamp and Duration from milliseconds. */
  time(field: number, ms: number): void {
    const mark = this.begin(field);
    const seconds = Math.floor(ms / 1000);
    this.int(1, seconds);
    this.int(2, (ms - seconds * 1000) * 1_000_000);
    this.end(mark);
  }

  private key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    this.varint64(value >>> 0, Math.floor(value / 2 ** 32) >>> 0);
  }

  private varint64(low: number, high: number): void {
    this.room(10);
    let lo = low;
    let hi = high;
    while (hi !== 0) {
      this.buffer[this.at++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      this.buffer[this.at++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    this.buffer[this.at++] = lo;
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }
}

function writeError(writer: WireWriter, field: number, error: Task['errors'][number]): void {
  const mark = writer.begin(field);
  writer.string(1, error.type);
  writer.string(2, error.message);
  writer.string(3, error.details);
  writer.int(4, error.attempt);
  writer.time(5, error.time);
  writer.end(mark);
}

/** baton.v1.Task, as convert.taskToProto describes it. */
function writeTask(writer: WireWriter, field: number, task: Task): void {
  const mark = writer.begin(field);
  writer.string(1, task.queue);
  writer.string(2, task.id);
  writer.uint(3, TASK_STATES.indexOf(task.state) + 1);
  writer.bytes(4, task.payload);
  for (const [key, value] of Object.entries(task.metadata)) {
    const entry = writer.begin(5);
    writer.string(1, key, true);
    writer.string(2, value, true);
    writer.end(entry);
  }
  writer.int(6, task.priority);
  writer.int(7, task.attempt);
  writer.int(8, task.maxAttempts);
  writer.time(9, task.createTime);
  writer.time(10, task.updateTime);
  writer.time(11, task.scheduleTime);
  if (task.startTime !== undefined) writer.time(12, task.startTime);
  if (task.endTime !== undefined) writer.time(13, task.endTime);
  if (task.expireTime !== undefined) writer.time(14, task.expireTime);
  if (task.lease) {
    const lease = writer.begin(15);
    writer.string(1, task.lease.workerId);
    writer.time(2, task.lease.expireTime);
    writer.end(lease);
  }
  if (task.progress) {
    const progress = writer.begin(16);
    writer.int(1, task.progress.current);
    writer.int(2, task.progress.total);
    writer.string(3, task.progress.message);
    writer.end(progress);
  }
  writer.bytes(17, task.result);
  const last = task.errors.at(-1);
  if (last) writeError(writer, 18, last);
  for (const error of task.errors) writeError(writer, 19, error);
  writer.bool(20, task.cancelRequested);
  writer.time(21, task.leaseDurationMs);
  const policy = writer.begin(22);
  writer.time(1, task.retryPolicy.initialBackoffMs);
  writer.time(2, task.retryPolicy.maxBackoffMs);
  writer.double(3, task.retryPolicy.multiplier);
  writer.double(4, task.retryPolicy.jitter);
  writer.end(policy);
  writer.end(mark);
}

/**
 * `repeated ClaimedTask tasks = 1`: a whole ClaimTasksResponse, and a WorkTasksResponse that carries only tasks.
 */
export function encodeClaimedTasks(claimed: readonly ClaimedTask[]): Buffer {
  let sizeHint = 0;
  for (const { task } of claimed) sizeHint += 320 + (task.payload?.length ?? 0);
  const writer = new WireWriter(sizeHint);
  for (const { task, leaseToken } of claimed) {
    const mark = writer.begin(1);
    writeTask(writer, 1, task);
    writer.string(2, leaseToken);
    writer.end(mark);
  }
  return writer.finish();
}

// Bytes in place of the response objects: these methods' serializers pass Buffers through (server.ts).

export function claimTasksResponse(claimed: readonly ClaimedTask[]): ClaimTasksResponse {
  return encodeClaimedTasks(claimed) as unknown as ClaimTasksResponse;
}

export function workTasksResponse(claimed: readonly ClaimedTask[]): WorkTasksResponse {
  return encodeClaimedTasks(claimed) as unknown as WorkTasksResponse;
}

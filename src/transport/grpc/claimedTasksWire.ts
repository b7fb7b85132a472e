/**
 * Claimed tasks as protobuf bytes, written straight from the domain tasks: the message every task a worker runs is
 * pushed in (WorkTasks, ClaimTasks). The generated path builds a dozen proto objects per task (convert.ts) and its
 * encoder forks and joins a writer for each nested message; this writes the same bytes once, with no objects.
 *
 * It is the generated encoding of `claimedToProto(claimed)`, byte for byte: the field numbers and tags are those
 * of proto/baton/v1/task.proto and worker_service.proto, and test/unit/claimed-tasks-wire.test.ts checks the
 * bytes against the generated encoder, and their decoding with the generated decoder, over many kinds of task.
 * A field added to Task must be added here too: that test fails until it is.
 */
import type { ClaimedTask, Task, TaskErrorRecord } from '../../domain/task.js';
import { CHILD_FAILURE_POLICIES } from '../../domain/task.js';
import { TASK_STATES } from '../../domain/task.js';
import type { ClaimTasksResponse, WorkTasksResponse } from './contract.js';
import { ProtoWriter } from './protoWriter.js';

/** Tag bytes: field number × 8 + wire type (0 varint, 1 fixed64, 2 length-delimited). */
const enum Tag {
  Field1Bytes = 10,
  Field2Bytes = 18,
  Field3Bytes = 26,
  Field1Varint = 8,
  Field2Varint = 16,
  Field4Varint = 32,
  Field5Bytes = 42,
  Field3Fixed64 = 25,
  Field4Fixed64 = 33,
}

/** baton.v1.Task's tags. */
const enum TaskTag {
  Queue = 10,
  Id = 18,
  State = 24,
  Payload = 34,
  Metadata = 42,
  Priority = 48,
  Attempt = 56,
  MaxAttempts = 64,
  CreateTime = 74,
  UpdateTime = 82,
  ScheduleTime = 90,
  StartTime = 98,
  EndTime = 106,
  ExpireTime = 114,
  Lease = 122,
  Progress = 130,
  Result = 138,
  Error = 146,
  Errors = 154,
  CancelRequested = 160,
  LeaseDuration = 170,
  RetryPolicy = 178,
  Type = 186,
  TraceContext = 194,
  ParentId = 202,
  ParentQueue = 210,
  RootId = 218,
  RootQueue = 226,
  FailurePolicy = 232,
  ChildCount = 240,
  ConcurrencyKey = 250,
  UniqueKey = 322,
}

/** A claimed task's bytes besides its payload, result and errors, for the first buffer's size. */
const TASK_SIZE_GUESS = 320;

function writeError(writer: ProtoWriter, key: number, error: TaskErrorRecord): void {
  const mark = writer.begin(key);
  writer.string(Tag.Field1Bytes, error.type);
  writer.string(Tag.Field2Bytes, error.message);
  writer.string(Tag.Field3Bytes, error.details);
  writer.int32(Tag.Field4Varint, error.attempt);
  writer.time(Tag.Field5Bytes, error.time);
  writer.end(mark);
}

function writeTask(writer: ProtoWriter, key: number, task: Task): void {
  const mark = writer.begin(key);
  writer.string(TaskTag.Queue, task.queue);
  writer.string(TaskTag.Id, task.id);
  writer.int32(TaskTag.State, TASK_STATES.indexOf(task.state) + 1);
  writer.bytes(TaskTag.Payload, task.payload);
  for (const name in task.metadata) {
    const entry = writer.begin(TaskTag.Metadata);
    writer.string(Tag.Field1Bytes, name);
    writer.string(Tag.Field2Bytes, task.metadata[name] ?? '');
    writer.end(entry);
  }
  writer.int32(TaskTag.Priority, task.priority);
  writer.int32(TaskTag.Attempt, task.attempt);
  writer.int32(TaskTag.MaxAttempts, task.maxAttempts);
  writer.time(TaskTag.CreateTime, task.createTime);
  writer.time(TaskTag.UpdateTime, task.updateTime);
  writer.time(TaskTag.ScheduleTime, task.scheduleTime);
  if (task.startTime !== undefined) writer.time(TaskTag.StartTime, task.startTime);
  if (task.endTime !== undefined) writer.time(TaskTag.EndTime, task.endTime);
  if (task.expireTime !== undefined) writer.time(TaskTag.ExpireTime, task.expireTime);
  if (task.lease) {
    const lease = writer.begin(TaskTag.Lease);
    writer.string(Tag.Field1Bytes, task.lease.workerId);
    writer.time(Tag.Field2Bytes, task.lease.expireTime);
    writer.end(lease);
  }
  if (task.progress) {
    const progress = writer.begin(TaskTag.Progress);
    writer.int64(Tag.Field1Varint, task.progress.current);
    writer.int64(Tag.Field2Varint, task.progress.total);
    writer.string(Tag.Field3Bytes, task.progress.message);
    writer.end(progress);
  }
  writer.bytes(TaskTag.Result, task.result);
  const errors = task.errors;
  const last = errors.at(-1);
  if (last) writeError(writer, TaskTag.Error, last);
  for (const error of errors) writeError(writer, TaskTag.Errors, error);
  writer.bool(TaskTag.CancelRequested, task.cancelRequested);
  writer.time(TaskTag.LeaseDuration, task.leaseDurationMs);
  const policy = writer.begin(TaskTag.RetryPolicy);
  writer.time(Tag.Field1Bytes, task.retryPolicy.initialBackoffMs);
  writer.time(Tag.Field2Bytes, task.retryPolicy.maxBackoffMs);
  writer.double(Tag.Field3Fixed64, task.retryPolicy.multiplier);
  writer.double(Tag.Field4Fixed64, task.retryPolicy.jitter);
  writer.end(policy);
  writer.string(TaskTag.Type, task.type);
  if (task.traceContext) {
    const trace = writer.begin(TaskTag.TraceContext);
    writer.string(Tag.Field1Bytes, task.traceContext.traceparent);
    writer.string(Tag.Field2Bytes, task.traceContext.tracestate);
    writer.end(trace);
  }
  // A task outside a flow is its own root (convert.ts taskToProto).
  const { parent, root } = task;
  if (parent) {
    writer.string(TaskTag.ParentId, parent.id);
    writer.string(TaskTag.ParentQueue, parent.queue);
    writer.string(TaskTag.RootId, root?.id ?? '');
    writer.string(TaskTag.RootQueue, root?.queue ?? '');
    writer.int32(TaskTag.FailurePolicy, CHILD_FAILURE_POLICIES.indexOf(parent.failurePolicy) + 1);
  } else {
    writer.string(TaskTag.RootId, task.id);
    writer.string(TaskTag.RootQueue, task.queue);
  }
  if (task.childCount !== undefined) writer.int32(TaskTag.ChildCount, task.childCount);
  if (task.concurrencyKey !== undefined) writer.string(TaskTag.ConcurrencyKey, task.concurrencyKey);
  if (task.uniqueKey !== undefined) writer.string(TaskTag.UniqueKey, task.uniqueKey);
  writer.end(mark);
}

/** `repeated ClaimedTask tasks = 1`: the whole of a ClaimTasksResponse, and of a WorkTasksResponse that pushes tasks. */
export function encodeClaimedTasks(claimed: readonly ClaimedTask[]): Buffer {
  let sizeHint = 0;
  for (const { task } of claimed) sizeHint += TASK_SIZE_GUESS + (task.payload?.length ?? 0) + (task.result?.length ?? 0);
  const writer = new ProtoWriter(sizeHint);
  for (const { task, leaseToken } of claimed) {
    const mark = writer.begin(Tag.Field1Bytes);
    writeTask(writer, Tag.Field1Bytes, task);
    writer.string(Tag.Field2Bytes, leaseToken);
    writer.end(mark);
  }
  return writer.finish();
}

// The bytes stand in for the response objects: these methods' serializers pass a Buffer through (server.ts).

export function claimTasksResponse(claimed: readonly ClaimedTask[]): ClaimTasksResponse {
  return encodeClaimedTasks(claimed) as unknown as ClaimTasksResponse;
}

export function workTasksResponse(claimed: readonly ClaimedTask[]): WorkTasksResponse {
  return encodeClaimedTasks(claimed) as unknown as WorkTasksResponse;
}

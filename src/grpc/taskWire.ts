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
import { WireWriter } from './wireWriter.js';

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

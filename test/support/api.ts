import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { BatonClient, Input } from '../../clients/typescript/src/client.js';
import type { ClaimedTask, Duration, SubmitTaskRequest, Task, Timestamp } from '../../clients/typescript/src/contract.js';

export function duration(ms: number): Duration {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

export function timestamp(ms: number): Timestamp {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

export function toMs(time: { seconds: number; nanos: number } | null | undefined): number {
  assert.ok(time, 'expected a time');
  return time.seconds * 1000 + Math.floor(time.nanos / 1e6);
}

export async function submit(client: BatonClient, request: Input<typeof SubmitTaskRequest>): Promise<Task> {
  const response = await client.submitTask(request);
  assert.ok(response.task);
  return response.task;
}

export async function claimOne(
  client: BatonClient,
  queue: string,
  workerId = 'worker-1',
  leaseMs?: number,
): Promise<ClaimedTask & { task: Task }> {
  const response = await client.claimTasks({
    queues: [queue],
    worker_id: workerId,
    max_tasks: 1,
    ...(leaseMs === undefined ? {} : { lease_duration: duration(leaseMs) }),
  });
  const claimed = response.tasks[0];
  assert.ok(claimed?.task, `expected to claim a task from ${queue}`);
  return { ...claimed, task: claimed.task };
}

export async function getTask(client: BatonClient, queue: string, id: string): Promise<Task> {
  const response = await client.getTask({ queue, task_id: id });
  assert.ok(response.task);
  return response.task;
}

/** Asserts that a call fails with the gRPC status `code` and a message matching `message`. */
export async function rejectsWith(call: Promise<unknown>, code: grpc.status, message?: RegExp): Promise<void> {
  await assert.rejects(call, (error: grpc.ServiceError) => {
    assert.equal(error.code, code, `expected ${grpc.status[code]}, got ${grpc.status[error.code]}: ${error.details}`);
    if (message) assert.match(error.details, message);
    return true;
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

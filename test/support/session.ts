import type * as grpc from '@grpc/grpc-js';
import type { BatonClient } from '../../src/client/client.js';
import type { ClaimedTask__Output } from '../../src/grpc/generated/baton/v1/ClaimedTask.js';
import type { CompleteTasksResult__Output } from '../../src/grpc/generated/baton/v1/CompleteTasksResult.js';
import type { WorkTasksRequest } from '../../src/grpc/generated/baton/v1/WorkTasksRequest.js';
import type { WorkTasksResponse__Output } from '../../src/grpc/generated/baton/v1/WorkTasksResponse.js';

/** A WorkTasks stream seen from a test: what it pushed, and how it ended. */
export interface TestSession {
  send(request: WorkTasksRequest): void;
  /** Waits until `count` tasks in all have been pushed; returns them all. */
  tasks(count: number, timeoutMs?: number): Promise<ClaimedTask__Output[]>;
  /** Everything pushed so far. */
  received(): ClaimedTask__Output[];
  /** Waits for the next `completed` answer. */
  completed(timeoutMs?: number): Promise<CompleteTasksResult__Output[]>;
  /** The status the stream ended with (code 0 for OK). */
  ended: Promise<grpc.StatusObject>;
  closeSend(): void;
  cancel(): void;
}

export function openSession(client: BatonClient, first: WorkTasksRequest): TestSession {
  const stream = client.workers.WorkTasks();
  const pushed: ClaimedTask__Output[] = [];
  const answers: CompleteTasksResult__Output[][] = [];
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const listener of [...listeners]) listener();
  };
  stream.on('data', (message: WorkTasksResponse__Output) => {
    pushed.push(...message.tasks);
    if (message.completed.length > 0) answers.push(message.completed);
    changed();
  });
  const ended = new Promise<grpc.StatusObject>((resolve) => {
    stream.on('status', (status: grpc.StatusObject) => {
      resolve(status);
      changed();
    });
  });
  // The status event carries the outcome; errors are also emitted and must not go unhandled.
  stream.on('error', () => undefined);
  const until = <T>(ready: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const value = ready();
        if (value === undefined) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`${what} not seen within ${timeoutMs}ms (pushed ${pushed.length} tasks)`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  stream.write(first);
  return {
    send: (request) => {
      stream.write(request);
    },
    tasks: (count, timeoutMs = 5_000) =>
      until(() => (pushed.length >= count ? [...pushed] : undefined), timeoutMs, `${count} pushed tasks`),
    received: () => [...pushed],
    completed: (timeoutMs = 5_000) => until(() => answers.shift(), timeoutMs, 'a completed answer'),
    ended,
    closeSend: () => {
      stream.end();
    },
    cancel: () => {
      stream.cancel();
    },
  };
}

import type * as grpc from '@grpc/grpc-js';
import type { BatonClient, Input } from '../../clients/typescript/src/client.js';
import { WorkTasksRequest } from '../../clients/typescript/src/contract.js';
import type { ClaimedTask, CompleteTasksResult, WorkTasksResponse } from '../../clients/typescript/src/contract.js';

/** A WorkTasks stream seen from a test: what it pushed, and how it ended. */
export interface TestSession {
  send(request: Input<typeof WorkTasksRequest>): void;
  /** Waits until `count` tasks in all have been pushed; returns them all. */
  tasks(count: number, timeoutMs?: number): Promise<ClaimedTask[]>;
  /** Everything pushed so far. */
  received(): ClaimedTask[];
  /** Waits for the next `completed` answer. */
  completed(timeoutMs?: number): Promise<CompleteTasksResult[]>;
  /** The status the stream ended with (code 0 for OK). */
  ended: Promise<grpc.StatusObject>;
  closeSend(): void;
  cancel(): void;
}

export function openSession(client: BatonClient, first: Input<typeof WorkTasksRequest>): TestSession {
  const stream = client.workers.workTasks();
  const pushed: ClaimedTask[] = [];
  const answers: CompleteTasksResult[][] = [];
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const listener of [...listeners]) listener();
  };
  stream.on('data', (message: WorkTasksResponse) => {
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
  stream.write(WorkTasksRequest.fromPartial(first));
  return {
    send: (request) => {
      stream.write(WorkTasksRequest.fromPartial(request));
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

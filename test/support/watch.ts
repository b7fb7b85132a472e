import type * as grpc from '@grpc/grpc-js';
import type { BatonClient } from '../../src/client/client.js';
import type { TaskEvent__Output } from '../../src/grpc/generated/baton/v1/TaskEvent.js';
import type { WatchTasksRequest } from '../../src/grpc/generated/baton/v1/WatchTasksRequest.js';
import type { WatchTasksResponse__Output } from '../../src/grpc/generated/baton/v1/WatchTasksResponse.js';

/** A WatchTasks stream collecting its events, with helpers to wait for them. */
export interface Watch {
  events: TaskEvent__Output[];
  /** How many events each message held, in arrival order. */
  messageSizes: number[];
  /** Set when the stream ended with an error status. */
  error?: grpc.ServiceError;
  ended: Promise<void>;
  stream: grpc.ClientReadableStream<WatchTasksResponse__Output>;
  /** Resolves once at least `count` events arrived. */
  until(count: number, timeoutMs?: number): Promise<TaskEvent__Output[]>;
  cancel(): void;
}

export function watch(client: BatonClient, request: WatchTasksRequest): Watch {
  const stream = client.tasks.WatchTasks(request);
  const waiters = new Set<() => void>();
  const result: Watch = {
    events: [],
    messageSizes: [],
    stream,
    ended: new Promise<void>((resolve) => {
      stream.on('error', (error: grpc.ServiceError) => {
        result.error = error;
        resolve();
      });
      stream.on('end', () => {
        resolve();
      });
    }),
    until: (count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (result.events.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(result.events);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`only ${result.events.length} of ${count} events within ${timeoutMs}ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    cancel: () => {
      stream.cancel();
    },
  };
  stream.on('data', (message: WatchTasksResponse__Output) => {
    result.events.push(...message.events);
    result.messageSizes.push(message.events.length);
    for (const check of [...waiters]) check();
  });
  return result;
}

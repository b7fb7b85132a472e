import type * as grpc from '@grpc/grpc-js';
import type { BatonClient, Input } from '../../clients/typescript/src/client.js';
import { WatchTasksRequest } from '../../clients/typescript/src/contract.js';
import type { TaskEvent, WatchTasksResponse } from '../../clients/typescript/src/contract.js';

/** A WatchTasks stream collecting its events, with helpers to wait for them. */
export interface Watch {
  events: TaskEvent[];
  /** How many events each message held, in arrival order. */
  messageSizes: number[];
  /** Set when the stream ended with an error status. */
  error?: grpc.ServiceError;
  ended: Promise<void>;
  stream: grpc.ClientReadableStream<WatchTasksResponse>;
  /** Resolves once at least `count` events arrived. */
  until(count: number, timeoutMs?: number): Promise<TaskEvent[]>;
  cancel(): void;
}

export function watch(client: BatonClient, request: Input<typeof WatchTasksRequest>): Watch {
  const stream = client.tasks.watchTasks(WatchTasksRequest.fromPartial(request));
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
  stream.on('data', (message: WatchTasksResponse) => {
    result.events.push(...message.events);
    result.messageSizes.push(message.events.length);
    for (const check of [...waiters]) check();
  });
  return result;
}

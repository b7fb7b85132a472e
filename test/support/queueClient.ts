import { BatonClient } from '../../clients/typescript/src/client.js';

const METHODS = [
  'getQueue',
  'listQueues',
  'pauseQueue',
  'resumeQueue',
  'purgeQueue',
  'retryTasks',
  'updateQueue',
  'listActiveTasks',
  'listCompletedTasks',
  'registerWorker',
  'listWorkers',
  'getWorker',
] as const;
type Method = (typeof METHODS)[number];

/** baton.v1.QueueService by its RPC names, each call made once (no retries), so a test sees every status. */
export type QueueApi = {
  [M in Method as Capitalize<M>]: (request: Parameters<BatonClient[M]>[0]) => ReturnType<BatonClient[M]>;
} & { close(): void };

/** A real gRPC client of baton.v1.QueueService with promise methods. */
export function queueClient(address: string): QueueApi {
  const client = new BatonClient(address);
  const api: Record<string, unknown> = {
    close: () => {
      client.close();
    },
  };
  for (const method of METHODS) {
    const invoke = client[method].bind(client) as (request: unknown, options: object) => Promise<unknown>;
    api[method.charAt(0).toUpperCase() + method.slice(1)] = (request: unknown) => invoke(request, { retry: false });
  }
  return api as QueueApi;
}

import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../../src/grpc/protos.js';
import type { QueueServiceClient } from '../../src/grpc/generated/baton/v1/QueueService.js';

type Unary<Request, Response> = (
  request: Request,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Response>,
) => grpc.ClientUnaryCall;
// Conditional types see the last overload of a generated method: (argument, callback).
type RequestOf<M> = M extends (request: infer Request, callback: never) => unknown ? Request : never;
type ResponseOf<M> = M extends (request: never, callback: grpc.requestCallback<infer Response>) => unknown
  ? Response
  : never;

const METHODS = [
  'GetQueue',
  'ListQueues',
  'PauseQueue',
  'ResumeQueue',
  'PurgeQueue',
  'RetryTasks',
  'UpdateQueue',
  'ListActiveTasks',
  'ListCompletedTasks',
  'RegisterWorker',
  'ListWorkers',
  'GetWorker',
] as const;
type Method = (typeof METHODS)[number];

export type QueueApi = {
  [M in Method]: (request: RequestOf<QueueServiceClient[M]>) => Promise<NonNullable<ResponseOf<QueueServiceClient[M]>>>;
} & { close(): void };

/** A real gRPC client of baton.v1.QueueService with promise methods. */
export function queueClient(address: string): QueueApi {
  const client = new (loadProtos().baton.v1.QueueService)(address, grpc.credentials.createInsecure());
  const api: Record<string, unknown> = {
    close: () => {
      client.close();
    },
  };
  for (const method of METHODS) {
    api[method] = (request: unknown) =>
      new Promise((resolve, reject) => {
        const call = client[method].bind(client) as unknown as Unary<unknown, unknown>;
        call(request, { deadline: Date.now() + 10_000 }, (error, response) => {
          if (error) reject(error);
          else resolve(response);
        });
      });
  }
  return api as QueueApi;
}

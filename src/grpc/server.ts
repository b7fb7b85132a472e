import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { Lifecycle } from '../domain/lifecycle.js';
import type { QueueAdmin } from '../domain/queues.js';
import type { Updates } from '../domain/updates.js';
import type { WorkerRegistry } from '../domain/workers.js';
import type { Logger } from '../log.js';
import type { WatchTasksResponse } from './generated/baton/v1/WatchTasksResponse.js';
import { HealthService } from './health.js';
import { loadProtos } from './protos.js';
import { queueServiceHandlers } from './queueService.js';
import { taskServiceHandlers } from './taskService.js';
import { workerServiceHandlers } from './workerService.js';

export const SERVICE_NAMES = ['baton.v1.TaskService', 'baton.v1.WorkerService', 'baton.v1.QueueService'] as const;

export interface GrpcServer {
  /** host:port actually bound (the port is real even when 0 was asked for). */
  address: string;
  health: HealthService;
  /** Stops accepting calls and waits up to `graceMs` for calls in flight, then cuts the rest. */
  shutdown(graceMs: number): Promise<void>;
}

/** `interceptors` see every call of every service (metrics). */
/** The domain services the transport serves. */
export interface Services {
  lifecycle: Lifecycle;
  updates: Updates;
  /** Aborted when the server starts draining: update streams end so clients reconnect elsewhere. */
  shutdown: AbortSignal;
  /** Events a WatchTasks stream may fall behind by before it is ended with RESOURCE_EXHAUSTED. */
  watchBufferMax: number;
  queues: QueueAdmin;
  workers: WorkerRegistry;
}

/** A method whose handler may answer with bytes it encoded itself (see preEncoded); other answers are encoded as usual. */
function passingBytesThrough<Method extends { responseSerialize: grpc.serialize<never> }>(method: Method): Method {
  const encode = method.responseSerialize as grpc.serialize<unknown>;
  return { ...method, responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : encode(value)) };
}

export async function startGrpcServer(
  address: string,
  services: Services,
  log: Logger,
  interceptors: grpc.ServerInterceptor[] = [],
): Promise<GrpcServer> {
  const { lifecycle } = services;
  const protos = loadProtos();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.keepalive_permit_without_calls': 1,
    interceptors,
  });
  const health = new HealthService(SERVICE_NAMES);
  const taskService = protos.baton.v1.TaskService.service;
  const encodeWatchResponse = taskService.WatchTasks.responseSerialize as (value: WatchTasksResponse) => Buffer;
  server.addService(
    // WatchTasks writes messages built from each event's bytes, encoded once for all its watchers (watchTasks.ts).
    { ...taskService, WatchTasks: passingBytesThrough(taskService.WatchTasks) },
    taskServiceHandlers(
      lifecycle,
      services.updates,
      services.shutdown,
      { bufferMax: services.watchBufferMax, encode: encodeWatchResponse },
      log,
    ),
  );
  const workerService = protos.baton.v1.WorkerService.service;
  server.addService(
    // Claimed tasks are written to protobuf straight from the domain (taskWire.ts).
    {
      ...workerService,
      ClaimTasks: passingBytesThrough(workerService.ClaimTasks),
      WorkTasks: passingBytesThrough(workerService.WorkTasks),
    },
    workerServiceHandlers(lifecycle, services.shutdown, log),
  );
  server.addService(
    protos.baton.v1.QueueService.service,
    queueServiceHandlers(services.queues, services.workers, log),
  );
  server.addService(protos.health.v1.Health.service, health.handlers());
  new ReflectionService(protos.packageDefinition).addToServer(server);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error) reject(error);
      else resolve(boundPort);
    });
  });
  const host = address.slice(0, address.lastIndexOf(':'));
  return {
    address: `${host}:${port}`,
    health,
    shutdown: async (graceMs) => {
      health.setStatus('NOT_SERVING');
      health.endWatches();
      const drained = new Promise<void>((resolve) => {
        server.tryShutdown(() => {
          resolve();
        });
      });
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
      });
      await Promise.race([drained, deadline]);
      clearTimeout(timer);
    },
  };
}

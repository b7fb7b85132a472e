import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { Flows } from '../../domain/flows.js';
import type { Lifecycle } from '../../domain/lifecycle.js';
import type { QueueAdmin } from '../../domain/queues.js';
import type { TaskLogs } from '../../domain/taskLogs.js';
import type { Schedules } from '../../domain/schedules.js';
import type { Updates } from '../../domain/updates.js';
import type { WorkerRegistry } from '../../domain/workers.js';
import type { Logger } from '../../log.js';
import {
  HealthService as HealthServiceDefinition,
  QueueServiceService,
  ScheduleServiceService,
  TaskServiceService,
  WorkerServiceService,
} from './contract.js';
import { HealthService } from './health.js';
import { CONNECTION_STREAMS_MAX } from '../../domain/limits.js';
import { protoDefinition } from './protos.js';
import { RequestBounds, refusedRequestInterceptor } from './requestBounds.js';
import { queueServiceHandlers } from './queueService.js';
import { scheduleServiceHandlers } from './scheduleService.js';
import { taskServiceHandlers } from './taskService.js';
import { workerServiceHandlers } from './workerService.js';

export const SERVICE_NAMES = ['baton.v1.TaskService', 'baton.v1.WorkerService', 'baton.v1.QueueService', 'baton.v1.ScheduleService'] as const;

export interface Listener {
  /** host:port actually bound (the port is real even when 0 was asked for). */
  address: string;
  /** Stops accepting calls and waits up to `graceMs` for calls in flight, then cuts the rest. */
  shutdown(graceMs: number): Promise<void>;
}

export interface GrpcServer extends Listener {
  health: HealthService;
}

/** The domain services the transport serves. */
export interface Services {
  lifecycle: Lifecycle;
  flows: Flows;
  updates: Updates;
  /**
   * Aborted when the server starts draining, before `shutdown`: streams end so clients reconnect elsewhere, and
   * health reports NOT_SERVING.
   */
  shutdown: AbortSignal;
  /** Events a WatchTasks stream may fall behind by before it is ended with RESOURCE_EXHAUSTED. */
  watchBufferMax: number;
  queues: QueueAdmin;
  workers: WorkerRegistry;
  logs: TaskLogs;
  schedules: Schedules;
}

/** A method whose handler may answer with bytes the generated encoder already wrote; other answers encode as usual. */
function passingBytesThrough<Method extends { responseSerialize: grpc.serialize<never> }>(method: Method): Method {
  const encode = method.responseSerialize as grpc.serialize<unknown>;
  return { ...method, responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : encode(value)) };
}

export interface ListenOptions {
  /** TLS (ReloadingServerCredentials) or, by default, plaintext. */
  credentials?: grpc.ServerCredentials;
  /** The largest payload or result accepted: request size budgets derive from it (default 1 MiB). */
  maxPayloadBytes?: number;
  /** Serve gRPC server reflection (default true). */
  reflection?: boolean;
  /** See every call of every service, before a request is looked at (metrics: a refused call is still counted). */
  observers?: grpc.ServerInterceptor[];
  /** See every call with its decoded, bounded requests (access control). */
  interceptors?: grpc.ServerInterceptor[];
}

export async function startGrpcServer(
  address: string,
  services: Services,
  log: Logger,
  {
    credentials = grpc.ServerCredentials.createInsecure(),
    reflection = true,
    maxPayloadBytes = 1024 * 1024,
    observers = [],
    interceptors = [],
  }: ListenOptions = {},
): Promise<GrpcServer> {
  const { lifecycle } = services;
  const definition = protoDefinition();
  const bounds = new RequestBounds(maxPayloadBytes, definition);
  const server = new grpc.Server({
    // grpc-js refuses a bigger message from its length prefix, before buffering any of it.
    'grpc.max_receive_message_length': bounds.budgets.receive,
    'grpc.max_concurrent_streams': CONNECTION_STREAMS_MAX,
    'grpc.keepalive_permit_without_calls': 1,
    // The first interceptor sees received messages first.
    interceptors: [...observers, refusedRequestInterceptor(log), ...interceptors],
  });
  const health = new HealthService(SERVICE_NAMES, services.shutdown, log);
  server.addService(
    // WatchTasks writes each event's bytes, encoded once for all its watchers (watchTasks.ts).
    bounds.bound({ ...TaskServiceService, watchTasks: passingBytesThrough(TaskServiceService.watchTasks) }, 'baton.v1'),
    taskServiceHandlers(lifecycle, services.updates, services.logs, services.shutdown, { bufferMax: services.watchBufferMax }, log, services.flows),
  );
  server.addService(
    // Claimed tasks are written to protobuf straight from the domain tasks (claimedTasksWire.ts).
    bounds.bound(
      {
        ...WorkerServiceService,
        claimTasks: passingBytesThrough(WorkerServiceService.claimTasks),
        workTasks: passingBytesThrough(WorkerServiceService.workTasks),
      },
      'baton.v1',
    ),
    workerServiceHandlers(lifecycle, services.logs, services.shutdown, log),
  );
  server.addService(bounds.bound(QueueServiceService, 'baton.v1'), queueServiceHandlers(services.queues, services.workers, log));
  server.addService(bounds.bound(ScheduleServiceService, 'baton.v1'), scheduleServiceHandlers(services.schedules, log));
  server.addService(bounds.bound(HealthServiceDefinition, 'grpc.health.v1'), health.handlers());
  if (reflection) new ReflectionService(definition).addToServer(server);

  return { ...(await listen(server, address, credentials)), health };
}

/**
 * A plaintext listener serving grpc.health.v1 alone, with the main server's status (NOT_SERVING once it drains):
 * Kubernetes' gRPC probes speak plaintext only, so with TLS on the main port they check this one.
 */
export async function startHealthServer(address: string, health: HealthService): Promise<Listener> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4096 });
  server.addService(HealthServiceDefinition, health.handlers());
  return listen(server, address, grpc.ServerCredentials.createInsecure());
}

async function listen(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<Listener> {
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (error, boundPort) => {
      if (error) reject(error);
      else resolve(boundPort);
    });
  });
  const host = address.slice(0, address.lastIndexOf(':'));
  return {
    address: `${host}:${port}`,
    shutdown: async (graceMs) => {
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

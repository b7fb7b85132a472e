import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as HealthProto } from './generated/health.js';
import type { WorkTasksRequest } from './generated/baton/v1/WorkTasksRequest.js';
import { TaskStreamDecoder } from './taskStreamDecoder.js';
import { decodeWorkTasksRequest, encodeWorkTasksRequest } from './workRequestWire.js';
import type { ProtoGrpcType as TaskServiceProto } from './generated/task_service.js';
import type { ProtoGrpcType as QueueServiceProto } from './generated/queue_service.js';
import type { ProtoGrpcType as WorkerServiceProto } from './generated/worker_service.js';

/** Keep identical to the flags in scripts/gen-proto-types.mjs, or the generated types lie. */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** The repository's proto/ folder, found from here both in src/ (tsx) and in dist/src/ (built). */
export function protoDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'baton', 'v1', 'task.proto'))) return candidate;
  }
  throw new Error(`proto/ not found above ${__dirname}`);
}

export const PROTO_FILES = [
  'baton/v1/task_service.proto',
  'baton/v1/worker_service.proto',
  'baton/v1/queue_service.proto',
  'grpc/health/v1/health.proto',
];

export interface BatonProtos {
  packageDefinition: protoLoader.PackageDefinition;
  baton: TaskServiceProto['baton'] & WorkerServiceProto['baton'] & QueueServiceProto['baton'];
  health: HealthProto['grpc']['health'];
}

type Method = protoLoader.MethodDefinition<object, object>;

function methodOf(definition: protoLoader.PackageDefinition, service: string, method: string): Method {
  const found = (definition[service] as protoLoader.ServiceDefinition | undefined)?.[method];
  if (!found) throw new Error(`${service}.${method} is not in the protos`);
  return found;
}

export function loadProtos(): BatonProtos {
  const packageDefinition = protoLoader.loadSync(PROTO_FILES, { ...PROTO_LOADER_OPTIONS, includeDirs: [protoDir()] });
  // The messages that carry tasks in volume get codecs built for them (taskStreamDecoder.ts and
  // workRequestWire.ts): the client decodes WatchTasks and WorkTasks responses, and each end of a WorkTasks session
  // its requests.
  const decoder = new TaskStreamDecoder(packageDefinition);
  const watchTasks = methodOf(packageDefinition, 'baton.v1.TaskService', 'WatchTasks');
  watchTasks.responseDeserialize = (bytes) => decoder.watchTasksResponse(bytes);
  const workTasks = methodOf(packageDefinition, 'baton.v1.WorkerService', 'WorkTasks');
  workTasks.responseDeserialize = (bytes) => decoder.workTasksResponse(bytes);
  const serializeGenerically = workTasks.requestSerialize;
  workTasks.requestSerialize = (request: WorkTasksRequest) =>
    encodeWorkTasksRequest(request) ?? serializeGenerically(request);
  workTasks.requestDeserialize = decodeWorkTasksRequest;
  const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as TaskServiceProto &
    WorkerServiceProto &
    QueueServiceProto &
    HealthProto;
  return { packageDefinition, baton: loaded.baton, health: loaded.grpc.health };
}

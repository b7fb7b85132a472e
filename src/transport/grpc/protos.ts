import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The proto files themselves, read once at start-up for server reflection and for the request scan's plans (no
 * message is encoded or decoded through them: that is the generated code, contract.ts). grpc-health-check's
 * loader flags.
 */
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
  'baton/v1/schedule_service.proto',
  'grpc/health/v1/health.proto',
];

/** Descriptors of every service and message, as reflection serves them and the request scan plans them. */
export function protoDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(PROTO_FILES, { ...PROTO_LOADER_OPTIONS, includeDirs: [protoDir()] });
}

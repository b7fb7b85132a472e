// Generates TypeScript types for the protos into src/grpc/generated (not committed).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'src/grpc/generated');
const protoFiles = [
  'baton/v1/task_service.proto',
  'baton/v1/worker_service.proto',
  'baton/v1/queue_service.proto',
  'grpc/health/v1/health.proto',
];
rmSync(out, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js'),
    // File names first: --includeDirs is an array option and would swallow them.
    ...protoFiles,
    // Keep these flags identical to PROTO_LOADER_OPTIONS in src/grpc/protos.ts.
    '--keepCase', '--longs=Number', '--enums=String', '--defaults', '--oneofs',
    '--includeComments', '--grpcLib=@grpc/grpc-js', '-O', out, '-I', join(root, 'proto'),
  ],
  { stdio: 'inherit' },
);

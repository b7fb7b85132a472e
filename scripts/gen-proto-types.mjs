// Generates TypeScript types for the protos into src/grpc/generated (not committed).
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
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
// Generated beside the old copy and swapped in, so a test run going on meanwhile never finds the types missing.
const fresh = `${out}.${process.pid}`;
rmSync(fresh, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js'),
    // File names first: --includeDirs is an array option and would swallow them.
    ...protoFiles,
    // Keep these flags identical to PROTO_LOADER_OPTIONS in src/grpc/protos.ts.
    '--keepCase', '--longs=Number', '--enums=String', '--defaults', '--oneofs',
    '--includeComments', '--grpcLib=@grpc/grpc-js', '-O', fresh, '-I', join(root, 'proto'),
  ],
  { stdio: 'inherit' },
);
const old = `${out}.old.${process.pid}`;
rmSync(old, { recursive: true, force: true });
try {
  renameSync(out, old);
} catch {
  // first generation: nothing to move aside
}
renameSync(fresh, out);
rmSync(old, { recursive: true, force: true });

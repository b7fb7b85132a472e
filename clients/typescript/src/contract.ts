// The Baton contract as TypeScript: messages, enums and grpc-js service definitions generated from proto/ by
// `npm run gen` (never edited by hand). The SDK and the server both read the wire through these.
export * from './gen/baton/v1/task.js';
export * from './gen/baton/v1/task_service.js';
export * from './gen/baton/v1/worker_service.js';
export * from './gen/baton/v1/queue_service.js';
export * from './gen/baton/v1/schedule_service.js';
export * from './gen/google/protobuf/duration.js';
export * from './gen/google/protobuf/timestamp.js';
export * from './gen/grpc/health/v1/health.js';

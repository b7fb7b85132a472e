// The package's public surface: the typed client, the worker runner and their errors.
export { BatonClient, durationFromMs, durationToMs, timestampToMs } from './client/client.js';
export type { CallOptions, WatchOptions } from './client/client.js';
export { TaskSubmitter } from './client/submitter.js';
export type { SubmitterOptions } from './client/submitter.js';
export { createWorker, Worker } from './client/worker.js';
export type { Handler, Task, TaskContext, TaskResult, WorkerEvents, WorkerOptions } from './client/worker.js';
export {
  LeaseLostError,
  PermanentError,
  TaskCancelledError,
  WorkerClosingError,
  isStatus,
  statusName,
  statusOf,
} from './client/errors.js';
export { status } from '@grpc/grpc-js';
export { TaskState } from './grpc/generated/baton/v1/TaskState.js';

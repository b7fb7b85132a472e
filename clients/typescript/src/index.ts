// The package's public surface: the typed client, the worker runner and their errors.
export { BatonClient } from './client.js';
export type { Input, WatchOptions } from './client.js';
export type { CallOptions } from './unaryCall.js';
export { durationFromMs, durationToMs, timestampToMs } from './time.js';
export type { ConnectionOptions } from './connection.js';
export { parseDuration } from './duration.js';
export { TaskSubmitter } from './submitter.js';
export { chain, childResults, group, submitFlow } from './flows.js';
export type { FlowTaskInput } from './flows.js';
export type { SubmitterOptions } from './submitter.js';
export type { RunTaskInput, SubmitTaskInput, SubmitTasksInput } from './payloads.js';
export { createWorker, Worker } from './worker.js';
export type { Handler, Task, TaskContext, TaskResult, WorkerEvents, WorkerOptions } from './worker.js';
export { NoHandlerError } from './routing.js';
export type { Handlers } from './routing.js';
export {
  LeaseLostError,
  PermanentError,
  RetryError,
  TaskCancelledError,
  WorkerClosingError,
  isStatus,
  statusName,
  statusOf,
} from './errors.js';
export { status } from '@grpc/grpc-js';
export { TaskEventType, TaskState, WatchStart, WorkerStatus } from './contract.js';
/** Every message and service of the contract, as generated from proto/baton/v1. */
export * as proto from './contract.js';

/**
 * The two streams that carry tasks in volume to clients, decoded straight from protobuf bytes: WatchTasks (every
 * watcher decodes every event) and WorkTasks (every task a worker runs). proto-loader's deserializer decodes into
 * message instances and then copies each into a plain object (toObject), a dozen nested objects per task; this
 * builds the plain objects once. Their shape is exactly proto-loader's with PROTO_LOADER_OPTIONS (defaults set,
 * enums by name, int64 as numbers, bytes as Buffers); test/unit/task-stream-decoder.test.ts compares the two field
 * by field.
 *
 * Field numbers are those of proto/baton/v1/task.proto, task_service.proto and worker_service.proto.
 */
import type { PackageDefinition } from '@grpc/proto-loader';
import type { ClaimedTask__Output } from './generated/baton/v1/ClaimedTask.js';
import type { CompleteTasksResult__Output } from './generated/baton/v1/CompleteTasksResult.js';
import type { ItemError__Output } from './generated/baton/v1/ItemError.js';
import type { Lease__Output } from './generated/baton/v1/Lease.js';
import type { Progress__Output } from './generated/baton/v1/Progress.js';
import type { RetryPolicy__Output } from './generated/baton/v1/RetryPolicy.js';
import type { Task__Output } from './generated/baton/v1/Task.js';
import type { TaskError__Output } from './generated/baton/v1/TaskError.js';
import type { TaskEvent__Output } from './generated/baton/v1/TaskEvent.js';
import type { TaskEventType__Output } from './generated/baton/v1/TaskEventType.js';
import type { TaskState__Output } from './generated/baton/v1/TaskState.js';
import type { WatchTasksResponse__Output } from './generated/baton/v1/WatchTasksResponse.js';
import type { WorkTasksResponse__Output } from './generated/baton/v1/WorkTasksResponse.js';
import { EMPTY, FIXED64, LENGTH_DELIMITED, VARINT, WireReader, readTime } from './wireReader.js';
import type { NodeBuffer } from './wireReader.js';

/** An enum's names by number, from the loaded protos (numbers need not follow declaration order). */
function enumNames(definition: PackageDefinition, name: string): Map<number, string> {
  const descriptor = definition[name] as { type?: { value?: { name: string; number: number }[] } } | undefined;
  const values = descriptor?.type?.value;
  if (!values) throw new Error(`enum ${name} is not in the protos`);
  return new Map(values.map((value) => [value.number, value.name]));
}

function readLease(reader: WireReader, end: number): Lease__Output {
  const lease: Lease__Output = { worker_id: '', expire_time: null };
  while (reader.before(end)) {
    const key = reader.key();
    if (key === (1 << 3) + LENGTH_DELIMITED) lease.worker_id = reader.string();
    else if (key === (2 << 3) + LENGTH_DELIMITED) lease.expire_time = readTime(reader, reader.message());
    else reader.skip(key & 7);
  }
  return lease;
}

function readProgress(reader: WireReader, end: number): Progress__Output {
  const progress: Progress__Output = { current: 0, total: 0, message: '' };
  while (reader.before(end)) {
    const key = reader.key();
    if (key === (1 << 3) + VARINT) progress.current = reader.int64();
    else if (key === (2 << 3) + VARINT) progress.total = reader.int64();
    else if (key === (3 << 3) + LENGTH_DELIMITED) progress.message = reader.string();
    else reader.skip(key & 7);
  }
  return progress;
}

function readTaskError(reader: WireReader, end: number): TaskError__Output {
  const error: TaskError__Output = { type: '', message: '', details: '', attempt: 0, time: null };
  while (reader.before(end)) {
    const key = reader.key();
    switch (key >>> 3) {
      case 1:
        error.type = reader.string();
        break;
      case 2:
        error.message = reader.string();
        break;
      case 3:
        error.details = reader.string();
        break;
      case 4:
        error.attempt = reader.int32();
        break;
      case 5:
        error.time = readTime(reader, reader.message());
        break;
      default:
        reader.skip(key & 7);
    }
  }
  return error;
}

function readRetryPolicy(reader: WireReader, end: number): RetryPolicy__Output {
  const policy: RetryPolicy__Output = { initial_backoff: null, max_backoff: null, backoff_multiplier: 0, jitter: 0 };
  while (reader.before(end)) {
    const key = reader.key();
    if (key === (1 << 3) + LENGTH_DELIMITED) policy.initial_backoff = readTime(reader, reader.message());
    else if (key === (2 << 3) + LENGTH_DELIMITED) policy.max_backoff = readTime(reader, reader.message());
    else if (key === (3 << 3) + FIXED64) policy.backoff_multiplier = reader.double();
    else if (key === (4 << 3) + FIXED64) policy.jitter = reader.double();
    else reader.skip(key & 7);
  }
  return policy;
}

function readMapEntry(reader: WireReader, end: number, into: Record<string, string>): void {
  let key = '';
  let value = '';
  while (reader.before(end)) {
    const fieldKey = reader.key();
    if (fieldKey === (1 << 3) + LENGTH_DELIMITED) key = reader.string();
    else if (fieldKey === (2 << 3) + LENGTH_DELIMITED) value = reader.string();
    else reader.skip(fieldKey & 7);
  }
  into[key] = value;
}

function readItemError(reader: WireReader, end: number): ItemError__Output {
  const error: ItemError__Output = { code: 0, message: '' };
  while (reader.before(end)) {
    const key = reader.key();
    if (key === (1 << 3) + VARINT) error.code = reader.int32();
    else if (key === (2 << 3) + LENGTH_DELIMITED) error.message = reader.string();
    else reader.skip(key & 7);
  }
  return error;
}

/** Decoders of WatchTasksResponse and WorkTasksResponse, for the protos loaded as `definition`. */
export class TaskStreamDecoder {
  private readonly taskStates: Map<number, string>;
  private readonly eventTypes: Map<number, string>;

  constructor(definition: PackageDefinition) {
    this.taskStates = enumNames(definition, 'baton.v1.TaskState');
    this.eventTypes = enumNames(definition, 'baton.v1.TaskEventType');
  }

  // As protobufjs leaves them, a number without a name (from a newer server) stays a number.
  private taskState(value: number): TaskState__Output {
    return (this.taskStates.get(value) ?? value) as TaskState__Output;
  }

  private eventType(value: number): TaskEventType__Output {
    return (this.eventTypes.get(value) ?? value) as TaskEventType__Output;
  }

  private readTask(reader: WireReader, end: number): Task__Output {
    const task: Task__Output = {
      queue: '',
      id: '',
      state: 'TASK_STATE_UNSPECIFIED',
      payload: EMPTY,
      metadata: {},
      priority: 0,
      attempt: 0,
      max_attempts: 0,
      create_time: null,
      update_time: null,
      schedule_time: null,
      start_time: null,
      end_time: null,
      expire_time: null,
      lease: null,
      progress: null,
      result: EMPTY,
      error: null,
      errors: [],
      cancel_requested: false,
      lease_duration: null,
      retry_policy: null,
    };
    while (reader.before(end)) {
      const key = reader.key();
      switch (key >>> 3) {
        case 1:
          task.queue = reader.string();
          break;
        case 2:
          task.id = reader.string();
          break;
        case 3:
          task.state = this.taskState(reader.int32());
          break;
        case 4:
          task.payload = reader.bytes();
          break;
        case 5:
          readMapEntry(reader, reader.message(), task.metadata);
          break;
        case 6:
          task.priority = reader.int32();
          break;
        case 7:
          task.attempt = reader.int32();
          break;
        case 8:
          task.max_attempts = reader.int32();
          break;
        case 9:
          task.create_time = readTime(reader, reader.message());
          break;
        case 10:
          task.update_time = readTime(reader, reader.message());
          break;
        case 11:
          task.schedule_time = readTime(reader, reader.message());
          break;
        case 12:
          task.start_time = readTime(reader, reader.message());
          break;
        case 13:
          task.end_time = readTime(reader, reader.message());
          break;
        case 14:
          task.expire_time = readTime(reader, reader.message());
          break;
        case 15:
          task.lease = readLease(reader, reader.message());
          break;
        case 16:
          task.progress = readProgress(reader, reader.message());
          break;
        case 17:
          task.result = reader.bytes();
          break;
        case 18:
          task.error = readTaskError(reader, reader.message());
          break;
        case 19:
          task.errors.push(readTaskError(reader, reader.message()));
          break;
        case 20:
          task.cancel_requested = reader.bool();
          break;
        case 21:
          task.lease_duration = readTime(reader, reader.message());
          break;
        case 22:
          task.retry_policy = readRetryPolicy(reader, reader.message());
          break;
        default:
          reader.skip(key & 7);
      }
    }
    return task;
  }

  private readEvent(reader: WireReader, end: number): TaskEvent__Output {
    const event: TaskEvent__Output = {
      cursor: '',
      type: 'TASK_EVENT_TYPE_UNSPECIFIED',
      time: null,
      queue: '',
      task: null,
      worker_id: '',
      count: 0,
    };
    while (reader.before(end)) {
      const key = reader.key();
      switch (key >>> 3) {
        case 1:
          event.cursor = reader.string();
          break;
        case 2:
          event.type = this.eventType(reader.int32());
          break;
        case 3:
          event.time = readTime(reader, reader.message());
          break;
        case 4:
          event.queue = reader.string();
          break;
        case 5:
          event.task = this.readTask(reader, reader.message());
          break;
        case 6:
          event.worker_id = reader.string();
          break;
        case 7:
          event.count = reader.int64();
          break;
        default:
          reader.skip(key & 7);
      }
    }
    return event;
  }

  private readClaimedTask(reader: WireReader, end: number): ClaimedTask__Output {
    const claimed: ClaimedTask__Output = { task: null, lease_token: '' };
    while (reader.before(end)) {
      const key = reader.key();
      if (key === (1 << 3) + LENGTH_DELIMITED) claimed.task = this.readTask(reader, reader.message());
      else if (key === (2 << 3) + LENGTH_DELIMITED) claimed.lease_token = reader.string();
      else reader.skip(key & 7);
    }
    return claimed;
  }

  private readCompleteResult(reader: WireReader, end: number): CompleteTasksResult__Output {
    const result: CompleteTasksResult__Output = { task_id: '', state: 'TASK_STATE_UNSPECIFIED', task: null, error: null };
    while (reader.before(end)) {
      const key = reader.key();
      if (key === (1 << 3) + LENGTH_DELIMITED) result.task_id = reader.string();
      else if (key === (2 << 3) + VARINT) result.state = this.taskState(reader.int32());
      else if (key === (3 << 3) + LENGTH_DELIMITED) result.task = this.readTask(reader, reader.message());
      else if (key === (4 << 3) + LENGTH_DELIMITED) result.error = readItemError(reader, reader.message());
      else reader.skip(key & 7);
    }
    return result;
  }

  watchTasksResponse(bytes: Buffer): WatchTasksResponse__Output {
    const reader = new WireReader(bytes as NodeBuffer);
    const end = bytes.length;
    const response: WatchTasksResponse__Output = { events: [] };
    while (reader.before(end)) {
      const key = reader.key();
      if (key === (1 << 3) + LENGTH_DELIMITED) response.events.push(this.readEvent(reader, reader.message()));
      else reader.skip(key & 7);
    }
    return response;
  }

  workTasksResponse(bytes: Buffer): WorkTasksResponse__Output {
    const reader = new WireReader(bytes as NodeBuffer);
    const end = bytes.length;
    const response: WorkTasksResponse__Output = { tasks: [], completed: [] };
    while (reader.before(end)) {
      const key = reader.key();
      if (key === (1 << 3) + LENGTH_DELIMITED) response.tasks.push(this.readClaimedTask(reader, reader.message()));
      else if (key === (2 << 3) + LENGTH_DELIMITED) response.completed.push(this.readCompleteResult(reader, reader.message()));
      else reader.skip(key & 7);
    }
    return response;
  }
}

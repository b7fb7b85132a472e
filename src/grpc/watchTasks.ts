import * as grpc from '@grpc/grpc-js';
import type { WatchStart } from '../domain/events.js';
import { encodeCursor } from '../domain/events.js';
import { TASK_EVENT_TYPES } from '../domain/task.js';
import type { TaskEvent, TaskEventType } from '../domain/task.js';
import type { Updates } from '../domain/updates.js';
import type { Logger } from '../log.js';
import { msToTimestamp, taskToProto } from './convert.js';
import type { TaskEvent as TaskEventProto } from './generated/baton/v1/TaskEvent.js';
import type { TaskEventType__Output } from './generated/baton/v1/TaskEventType.js';
import type { WatchTasksRequest__Output } from './generated/baton/v1/WatchTasksRequest.js';
import type { WatchTasksResponse } from './generated/baton/v1/WatchTasksResponse.js';
import { toStatus } from './status.js';
import { WatchBatcher } from './watchBatcher.js';

const QUEUE_EVENTS: Partial<Record<TaskEventType, string>> = {
  paused: 'QUEUE_PAUSED',
  resumed: 'QUEUE_RESUMED',
  purged: 'QUEUE_PURGED',
  queue_updated: 'QUEUE_UPDATED',
};

function typeToProto(type: TaskEventType): TaskEventType__Output {
  return `TASK_EVENT_TYPE_${QUEUE_EVENTS[type] ?? type.toUpperCase()}` as TaskEventType__Output;
}

function typeFromProto(type: TaskEventType__Output): TaskEventType | undefined {
  return TASK_EVENT_TYPES.find((t) => typeToProto(t) === type);
}

export function eventToProto(event: TaskEvent): TaskEventProto {
  return {
    cursor: encodeCursor(event.queue, event.position),
    type: typeToProto(event.type),
    time: msToTimestamp(event.time),
    queue: event.queue,
    task: event.task ? taskToProto(event.task) : null,
    worker_id: event.workerId ?? '',
    count: event.count ?? 0,
  };
}

export interface WatchOptions {
  /** Events a stream may fall behind by before it is ended with RESOURCE_EXHAUSTED. */
  bufferMax: number;
  /** The method's protobuf encoder: each event is encoded once and its bytes written to every watcher. */
  encode: (message: WatchTasksResponse) => Buffer;
}

/**
 * Each event encoded once as a one-event WatchTasksResponse, i.e. one length-delimited `events` entry, shared by
 * every watcher that receives the same event object from the queue's feed; several of them back to back are a
 * WatchTasksResponse holding those events.
 */
const encodedEvents = new WeakMap<TaskEvent, Buffer>();

function startOf(request: WatchTasksRequest__Output): WatchStart {
  if (request.cursor !== '') return { from: 'cursor', cursor: request.cursor };
  return request.start === 'WATCH_START_OLDEST' ? { from: 'oldest' } : { from: 'now' };
}

/**
 * WatchTasks: sends events as they come, several to a message when they come faster than the stream writes
 * (WatchBatcher); a watcher more than `bufferMax` events behind is ended with RESOURCE_EXHAUSTED (it resumes
 * from its cursor), so a stalled client cannot grow the server's memory. Ends cleanly (OK) when the server shuts
 * down.
 */
export function watchTasksHandler(
  updates: Updates,
  shutdown: AbortSignal,
  options: WatchOptions,
  log: Logger,
): grpc.handleServerStreamingCall<WatchTasksRequest__Output, WatchTasksResponse> {
  const { bufferMax, encode } = options;
  const encoded = (event: TaskEvent): Buffer => {
    let bytes = encodedEvents.get(event);
    if (!bytes) {
      bytes = encode({ events: [eventToProto(event)] });
      encodedEvents.set(event, bytes);
    }
    return bytes;
  };
  const method = 'baton.v1.TaskService/WatchTasks';
  return (call) => {
    const stop = new AbortController();
    let ended = false;
    // Messages are Buffers: the method's serializer passes them through (see server.ts).
    const batcher = new WatchBatcher({
      write: (message, written) => call.write(message as unknown as WatchTasksResponse, written),
    });
    const end = (status?: Partial<grpc.StatusObject>): void => {
      if (ended) return;
      ended = true;
      batcher.close();
      stop.abort();
      if (status) call.emit('error', status);
      else call.end();
    };
    const onShutdown = (): void => {
      end();
    };
    shutdown.addEventListener('abort', onShutdown, { once: true });
    call.on('cancelled', () => {
      ended = true;
      batcher.close();
      stop.abort();
    });
    call.on('drain', () => {
      batcher.drain();
    });
    const deliver = (event: TaskEvent): void => {
      if (ended) return;
      batcher.push(encoded(event));
      if (batcher.backlog > bufferMax) {
        end({
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: `this watcher fell more than ${bufferMax} events behind; reconnect with the cursor of the last event it received`,
        });
      }
    };
    const drained = (): Promise<void> => batcher.idle();
    const request = call.request;
    const types = request.event_types.map(typeFromProto).filter((t): t is TaskEventType => t !== undefined);
    updates
      .watch(
        request.queue,
        startOf(request),
        {
          ...(request.task_id === '' ? {} : { taskId: request.task_id }),
          ...(types.length === 0 ? {} : { types: new Set(types) }),
        },
        { deliver, drained },
        AbortSignal.any([stop.signal, shutdown]),
      )
      .then(
        () => {
          end();
        },
        (error: unknown) => {
          end(toStatus(error, method, log));
        },
      )
      .finally(() => {
        shutdown.removeEventListener('abort', onShutdown);
      });
  };
}

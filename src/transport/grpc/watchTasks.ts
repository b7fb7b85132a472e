import * as grpc from '@grpc/grpc-js';
import type { WatchStart } from '../../domain/events.js';
import { encodeCursor } from '../../domain/events.js';
import { TASK_EVENT_TYPES } from '../../domain/task.js';
import type { TaskEvent, TaskEventType } from '../../domain/task.js';
import type { Updates } from '../../domain/updates.js';
import type { Logger } from '../../log.js';
import { msToTimestamp, taskToProto } from './convert.js';
import { WatchTasksResponse } from './contract.js';
import type { TaskEvent as TaskEventProto, TaskEventType as ProtoTaskEventType, WatchTasksRequest } from './contract.js';
import { StreamCall } from './streamCall.js';
import { WatchBatcher } from './watchBatcher.js';

const QUEUE_EVENTS: Partial<Record<TaskEventType, string>> = {
  paused: 'QUEUE_PAUSED',
  resumed: 'QUEUE_RESUMED',
  purged: 'QUEUE_PURGED',
  queue_updated: 'QUEUE_UPDATED',
};

function typeToProto(type: TaskEventType): ProtoTaskEventType {
  return `TASK_EVENT_TYPE_${QUEUE_EVENTS[type] ?? type.toUpperCase()}` as ProtoTaskEventType;
}

function typeFromProto(type: ProtoTaskEventType): TaskEventType | undefined {
  return TASK_EVENT_TYPES.find((t) => typeToProto(t) === type);
}

export function eventToProto(event: TaskEvent): TaskEventProto {
  return {
    cursor: encodeCursor(event.queue, event.position),
    type: typeToProto(event.type),
    time: msToTimestamp(event.time),
    queue: event.queue,
    task: event.task ? taskToProto(event.task) : undefined,
    worker_id: event.workerId ?? '',
    count: event.count ?? 0,
  };
}

export interface WatchOptions {
  /** Events a stream may fall behind by before it is ended with RESOURCE_EXHAUSTED. */
  bufferMax: number;
}

/**
 * Each event encoded once as a one-event WatchTasksResponse, i.e. one length-delimited `events` entry, shared by
 * every watcher that receives the same event object from the queue's feed; several of them back to back are a
 * WatchTasksResponse holding those events.
 */
const encodedEvents = new WeakMap<TaskEvent, Buffer>();

function startOf(request: WatchTasksRequest): WatchStart {
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
): grpc.handleServerStreamingCall<WatchTasksRequest, WatchTasksResponse> {
  const { bufferMax } = options;
  const encoded = (event: TaskEvent): Buffer => {
    let bytes = encodedEvents.get(event);
    if (!bytes) {
      bytes = Buffer.from(WatchTasksResponse.encode({ events: [eventToProto(event)] }).finish());
      encodedEvents.set(event, bytes);
    }
    return bytes;
  };
  const method = 'baton.v1.TaskService/WatchTasks';
  return (call) => {
    const request = call.request;
    const stream = new StreamCall(call, {
      method,
      log,
      shutdown,
      closedLine: {
        message: 'watch stream closed',
        fields: () => ({ queue: request.queue }),
        cancelled: 'cancelled by the watcher or its connection',
        ended: 'ended by the server',
      },
    });
    // Messages are Buffers: the method's serializer passes them through (see server.ts).
    const batcher = new WatchBatcher({
      write: (message, written) => {
        if (call.write(message as unknown as WatchTasksResponse, written)) return true;
        void stream.drained().then(() => {
          batcher.drain();
        });
        return false;
      },
    });
    stream.signal.addEventListener('abort', () => {
      batcher.close();
    }, { once: true });
    const deliver = (event: TaskEvent): void => {
      if (stream.isEnded) return;
      batcher.push(encoded(event));
      if (batcher.backlog > bufferMax) {
        stream.end({
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: `this watcher fell more than ${bufferMax} events behind; reconnect with the cursor of the last event it received`,
        });
      }
    };
    const drained = (): Promise<void> => batcher.idle();
    if (log.enabled('debug')) {
      log.debug('watch stream opened', { queue: request.queue, taskId: request.task_id, cursor: request.cursor, peer: call.getPeer() });
    }
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
        stream.signal,
      )
      .then(
        () => {
          stream.end();
        },
        (error: unknown) => {
          stream.fail(error);
        },
      );
  };
}

import type * as grpc from '@grpc/grpc-js';
import type { TaskLogLine, TaskLogs } from '../../domain/taskLogs.js';
import type { Logger } from '../../log.js';
import { msToTimestamp, stateToProto, timestampToMs } from './convert.js';
import type {
  AppendTaskLogsRequest,
  AppendTaskLogsResponse,
  GetTaskLogsRequest,
  GetTaskLogsResponse,
  TaskLogLine as TaskLogLineProto,
  WatchTaskLogsRequest,
  WatchTaskLogsResponse,
} from './contract.js';
import { StreamCall } from './streamCall.js';
import { unary } from './unary.js';

export function logLineToProto(line: TaskLogLine): TaskLogLineProto {
  return {
    position: line.position,
    time: msToTimestamp(line.timeMs),
    attempt: line.attempt,
    text: line.text,
    truncated: line.truncated,
  };
}

/** WorkerService.AppendTaskLogs. */
export function appendTaskLogsHandler(logs: TaskLogs, log: Logger): grpc.handleUnaryCall<AppendTaskLogsRequest, AppendTaskLogsResponse> {
  return unary('baton.v1.WorkerService/AppendTaskLogs', log, async (request: AppendTaskLogsRequest) => {
    const span = await logs.append({
      queue: request.queue,
      taskId: request.task_id,
      leaseToken: request.lease_token,
      lines: request.lines.map((line) => {
        const timeMs = timestampToMs(line.time);
        return { text: line.text, truncated: line.truncated, ...(timeMs === undefined ? {} : { timeMs }) };
      }),
    });
    return { last_position: span.lastPosition, first_position: span.firstPosition };
  });
}

/** TaskService.GetTaskLogs. */
export function getTaskLogsHandler(logs: TaskLogs, log: Logger): grpc.handleUnaryCall<GetTaskLogsRequest, GetTaskLogsResponse> {
  return unary('baton.v1.TaskService/GetTaskLogs', log, async (request: GetTaskLogsRequest) => {
    const page = await logs.read(request.queue, request.task_id, request.after_position, request.page_size);
    return {
      lines: page.lines.map(logLineToProto),
      first_position: page.firstPosition,
      last_position: page.lastPosition,
      state: stateToProto(page.state),
    };
  });
}

/** Lines sent per message of a WatchTaskLogs stream. */
const LINES_PER_MESSAGE = 100;

/**
 * TaskService.WatchTaskLogs: each batch of lines is written as the client takes it (a slow reader only slows its
 * own stream). Ends OK when the task is finished (or deleted) and its lines sent, or when the server drains.
 */
export function watchTaskLogsHandler(
  logs: TaskLogs,
  shutdown: AbortSignal,
  log: Logger,
): grpc.handleServerStreamingCall<WatchTaskLogsRequest, WatchTaskLogsResponse> {
  const method = 'baton.v1.TaskService/WatchTaskLogs';
  return (call) => {
    const request = call.request;
    const stream = new StreamCall<WatchTaskLogsResponse>(call, {
      method,
      log,
      shutdown,
      closedLine: {
        message: 'task log stream closed',
        fields: () => ({ queue: request.queue, taskId: request.task_id }),
        cancelled: 'cancelled by the reader or its connection',
        ended: 'ended by the server',
      },
    });
    const deliver = async (lines: TaskLogLine[]): Promise<void> => {
      for (let i = 0; i < lines.length && !stream.isEnded; i += LINES_PER_MESSAGE) {
        await stream.send({ lines: lines.slice(i, i + LINES_PER_MESSAGE).map(logLineToProto) });
      }
    };
    logs.follow(request.queue, request.task_id, request.after_position, deliver, stream.signal).then(
      () => {
        stream.end();
      },
      (error: unknown) => {
        stream.fail(error);
      },
    );
  };
}

import { invalidArgument } from '../../domain/errors.js';
import type { Flows } from '../../domain/flows.js';
import type { Lifecycle } from '../../domain/lifecycle.js';
import type { TaskLogs } from '../../domain/taskLogs.js';
import type { Updates } from '../../domain/updates.js';
import type { Logger } from '../../log.js';
import {
  durationToMs,
  stateFromProto,
  submitInputFromProto,
  submitResultsToProto,
  taskToProto,
} from './convert.js';
import type { TaskServiceServer } from './contract.js';
import { flowHandlers } from './flowService.js';
import { submitTasksStreamHandler } from './submitStream.js';
import { getTaskLogsHandler, watchTaskLogsHandler } from './taskLogs.js';
import { unary } from './unary.js';
import { watchTasksHandler } from './watchTasks.js';
import type { WatchOptions } from './watchTasks.js';

const SERVICE = 'baton.v1.TaskService';

export function taskServiceHandlers(
  lifecycle: Lifecycle,
  updates: Updates,
  logs: TaskLogs,
  shutdown: AbortSignal,
  watch: WatchOptions,
  log: Logger,
  flows: Flows,
): TaskServiceServer {
  return {
    ...flowHandlers(flows, log),

    submitTask: unary(`${SERVICE}/SubmitTask`, log, async (request) => {
      const { task, created, debounced } = await lifecycle.submit(submitInputFromProto(request));
      return { task: taskToProto(task), created, debounced: debounced === true };
    }),

    submitTasks: unary(`${SERVICE}/SubmitTasks`, log, async (request) => {
      const outcomes = await lifecycle.submitMany(request.requests.map(submitInputFromProto), request.return_tasks);
      return { results: submitResultsToProto(outcomes, request.return_tasks, `${SERVICE}/SubmitTasks`, log) };
    }),

    submitTasksStream: submitTasksStreamHandler(lifecycle, shutdown, log),

    getTask: unary(`${SERVICE}/GetTask`, log, async (request) => ({
      task: taskToProto(await lifecycle.get(request.queue, request.task_id)),
    })),

    listTasks: unary(`${SERVICE}/ListTasks`, log, async (request) => {
      const state = stateFromProto(request.state);
      const page = await lifecycle.list({
        queue: request.queue,
        ...(state === undefined ? {} : { state }),
        pageSize: request.page_size,
        pageToken: request.page_token,
        includePayload: request.include_payload,
        type: request.type,
        parentId: request.parent_id,
        rootId: request.root_id,
      });
      return { tasks: page.tasks.map(taskToProto), next_page_token: page.nextPageToken };
    }),

    // A parent's cancel cancels its unfinished children too.
    cancelTask: unary(`${SERVICE}/CancelTask`, log, async (request) => ({
      task: taskToProto(await flows.cancel(request.queue, request.task_id)),
    })),

    retryTask: unary(`${SERVICE}/RetryTask`, log, async (request) => ({
      task: taskToProto(await lifecycle.retry(request.queue, request.task_id)),
    })),

    watchTasks: watchTasksHandler(updates, shutdown, watch, log),

    waitTask: unary(`${SERVICE}/WaitTask`, log, async (request, signal) => {
      const outcome = await updates.wait(request.queue, request.task_id, durationToMs(request.timeout) ?? 0, signal);
      return { task: taskToProto(outcome.task), finished: outcome.finished };
    }),

    runTask: unary(`${SERVICE}/RunTask`, log, async (request, signal) => {
      if (!request.task) throw invalidArgument('task', 'is required');
      const outcome = await updates.run(
        submitInputFromProto(request.task),
        durationToMs(request.timeout) ?? 0,
        request.require_worker,
        signal,
      );
      return { task: taskToProto(outcome.task), finished: outcome.finished, created: outcome.created };
    }),

    getTaskLogs: getTaskLogsHandler(logs, log),

    watchTaskLogs: watchTaskLogsHandler(logs, shutdown, log),
  };
}

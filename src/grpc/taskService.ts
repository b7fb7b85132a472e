import { invalidArgument } from '../domain/errors.js';
import type { Lifecycle } from '../domain/lifecycle.js';
import type { Updates } from '../domain/updates.js';
import type { Logger } from '../log.js';
import {
  durationToMs,
  stateFromProto,
  submitInputFromProto,
  submitResultsToProto,
  taskToProto,
} from './convert.js';
import type { TaskServiceHandlers } from './generated/baton/v1/TaskService.js';
import { submitTasksStreamHandler } from './submitStream.js';
import { unary } from './unary.js';
import { watchTasksHandler } from './watchTasks.js';
import type { WatchOptions } from './watchTasks.js';

const SERVICE = 'baton.v1.TaskService';

export function taskServiceHandlers(
  lifecycle: Lifecycle,
  updates: Updates,
  shutdown: AbortSignal,
  watch: WatchOptions,
  log: Logger,
): TaskServiceHandlers {
  return {
    SubmitTask: unary(`${SERVICE}/SubmitTask`, log, async (request) => {
      const { task, created } = await lifecycle.submit(submitInputFromProto(request));
      return { task: taskToProto(task), created };
    }),

    SubmitTasks: unary(`${SERVICE}/SubmitTasks`, log, async (request) => {
      const outcomes = await lifecycle.submitMany(request.requests.map(submitInputFromProto), request.return_tasks);
      return { results: submitResultsToProto(outcomes, request.return_tasks, `${SERVICE}/SubmitTasks`, log) };
    }),

    SubmitTasksStream: submitTasksStreamHandler(lifecycle, shutdown, log),

    GetTask: unary(`${SERVICE}/GetTask`, log, async (request) => ({
      task: taskToProto(await lifecycle.get(request.queue, request.task_id)),
    })),

    ListTasks: unary(`${SERVICE}/ListTasks`, log, async (request) => {
      const state = stateFromProto(request.state);
      const page = await lifecycle.list({
        queue: request.queue,
        ...(state === undefined ? {} : { state }),
        pageSize: request.page_size,
        pageToken: request.page_token,
        includePayload: request.include_payload,
      });
      return { tasks: page.tasks.map(taskToProto), next_page_token: page.nextPageToken };
    }),

    CancelTask: unary(`${SERVICE}/CancelTask`, log, async (request) => ({
      task: taskToProto(await lifecycle.cancel(request.queue, request.task_id)),
    })),

    RetryTask: unary(`${SERVICE}/RetryTask`, log, async (request) => ({
      task: taskToProto(await lifecycle.retry(request.queue, request.task_id)),
    })),

    WatchTasks: watchTasksHandler(updates, shutdown, watch, log),

    WaitTask: unary(`${SERVICE}/WaitTask`, log, async (request, signal) => {
      const outcome = await updates.wait(request.queue, request.task_id, durationToMs(request.timeout) ?? 0, signal);
      return { task: taskToProto(outcome.task), finished: outcome.finished };
    }),

    RunTask: unary(`${SERVICE}/RunTask`, log, async (request, signal) => {
      if (!request.task) throw invalidArgument('task', 'is required');
      const outcome = await updates.run(
        submitInputFromProto(request.task),
        durationToMs(request.timeout) ?? 0,
        request.require_worker,
        signal,
      );
      return { task: taskToProto(outcome.task), finished: outcome.finished, created: outcome.created };
    }),
  };
}

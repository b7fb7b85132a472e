import type { Lifecycle } from '../../domain/lifecycle.js';
import type { TaskLogs } from '../../domain/taskLogs.js';
import type { Logger } from '../../log.js';
import {
  completeInputsFromProto,
  completeResultsToProto,
  durationToMs,
  msToTimestamp,
  submitInputFromProto,
  taskToProto,
} from './convert.js';
import type { WorkerServiceServer } from './contract.js';
import { claimTasksResponse } from './claimedTasksWire.js';
import { giveBack } from './giveBack.js';
import { appendTaskLogsHandler } from './taskLogs.js';
import { unary } from './unary.js';
import { workTasksHandler } from './workTasks.js';

const SERVICE = 'baton.v1.WorkerService';

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** `shutdown`: aborted when the server starts draining; worker sessions end so workers reconnect elsewhere. */
export function workerServiceHandlers(lifecycle: Lifecycle, logs: TaskLogs, shutdown: AbortSignal, log: Logger): WorkerServiceServer {
  return {
    claimTasks: unary(`${SERVICE}/ClaimTasks`, log, async (request, signal) => {
      const claimed = await lifecycle.claim(
        {
          queues: request.queues,
          workerId: request.worker_id,
          maxTasks: request.max_tasks,
          ...optional('leaseDurationMs', durationToMs(request.lease_duration)),
          ...optional('waitTimeoutMs', durationToMs(request.wait_timeout)),
        },
        signal,
      );
      // Cancelled while the claim ran (or while a submit handed it tasks): nobody will run these.
      if (signal.aborted) await giveBack(lifecycle, claimed, log);
      return claimTasksResponse(claimed);
    }),

    startTask: unary(`${SERVICE}/StartTask`, log, async (request) => {
      const started = await lifecycle.start({
        task: submitInputFromProto(request),
        workerId: request.worker_id,
        leaseToken: request.lease_token,
        force: request.force,
        ...optional('leaseDurationMs', durationToMs(request.lease_duration)),
      });
      return { task: taskToProto(started.task), lease_token: started.leaseToken, created: started.created };
    }),

    heartbeat: unary(`${SERVICE}/Heartbeat`, log, async (request) => {
      const result = await lifecycle.heartbeat({
        queue: request.queue,
        taskId: request.task_id,
        leaseToken: request.lease_token,
        ...optional('leaseDurationMs', durationToMs(request.lease_duration)),
        ...(request.progress ? { progress: request.progress } : {}),
      });
      return {
        lease_expire_time: msToTimestamp(result.leaseExpireTime),
        cancel_requested: result.cancelRequested,
      };
    }),

    completeTask: unary(`${SERVICE}/CompleteTask`, log, async (request) => ({
      task: taskToProto(await lifecycle.complete(request.queue, request.task_id, request.lease_token, request.result)),
    })),

    completeTasks: unary(`${SERVICE}/CompleteTasks`, log, async (request) => {
      const outcomes = await lifecycle.completeMany(
        completeInputsFromProto(request.requests),
        request.return_tasks ? 'meta' : 'brief',
      );
      return {
        results: completeResultsToProto(request.requests, outcomes, request.return_tasks, `${SERVICE}/CompleteTasks`, log),
      };
    }),

    workTasks: workTasksHandler(lifecycle, shutdown, log),

    releaseTask: unary(`${SERVICE}/ReleaseTask`, log, async (request) => ({
      task: taskToProto(await lifecycle.release(request.queue, request.task_id, request.lease_token)),
    })),

    failTask: unary(`${SERVICE}/FailTask`, log, async (request) => ({
      task: taskToProto(
        await lifecycle.fail({
          queue: request.queue,
          taskId: request.task_id,
          leaseToken: request.lease_token,
          error: {
            type: request.error?.type ?? '',
            message: request.error?.message ?? '',
            details: request.error?.details ?? '',
          },
          permanent: request.permanent,
          ...optional('retryDelayMs', durationToMs(request.retry_delay)),
        }),
      ),
    })),

    appendTaskLogs: appendTaskLogsHandler(logs, log),
  };
}

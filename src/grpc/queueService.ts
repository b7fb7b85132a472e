import type { QueueAdmin } from '../domain/queues.js';
import type { QueueChanges, QueueInfo } from '../domain/store.js';
import type { TaskState } from '../domain/task.js';
import type { WorkerRegistry, WorkerView } from '../domain/workers.js';
import type { Logger } from '../log.js';
import { durationToMs, msToDuration, msToTimestamp, stateFromProto, taskToProto } from './convert.js';
import type { Queue } from './generated/baton/v1/Queue.js';
import type { QueueServiceHandlers } from './generated/baton/v1/QueueService.js';
import type { QueueSettings__Output } from './generated/baton/v1/QueueSettings.js';
import type { Worker } from './generated/baton/v1/Worker.js';
import { unary } from './unary.js';

const SERVICE = 'baton.v1.QueueService';

function queueToProto(info: QueueInfo): Queue {
  const { counts, settings } = info;
  return {
    name: info.name,
    counts: {
      scheduled: counts.SCHEDULED,
      pending: counts.PENDING,
      active: counts.ACTIVE,
      succeeded: counts.SUCCEEDED,
      failed: counts.FAILED,
      exhausted: counts.EXHAUSTED,
      cancelled: counts.CANCELLED,
      expired: counts.EXPIRED,
    },
    oldest_pending_age: info.oldestPendingAgeMs === undefined ? null : msToDuration(info.oldestPendingAgeMs),
    paused: info.paused,
    last_claim_time: info.lastClaimTime === undefined ? null : msToTimestamp(info.lastClaimTime),
    live_workers: info.liveWorkers,
    settings: {
      max_attempts: settings.maxAttempts,
      lease_duration: msToDuration(settings.leaseDurationMs),
      retention: settings.retentionMs === 0 ? null : msToDuration(settings.retentionMs),
      completed_ring_size: settings.completedRingSize,
      event_retention: settings.eventRetention,
      event_max_age: settings.eventMaxAgeMs === 0 ? null : msToDuration(settings.eventMaxAgeMs),
    },
  };
}

function workerToProto(worker: WorkerView): Worker {
  return {
    worker_id: worker.workerId,
    hostname: worker.hostname ?? '',
    pid: worker.pid ?? 0,
    sdk_name: worker.sdkName ?? '',
    sdk_version: worker.sdkVersion ?? '',
    labels: worker.labels ?? {},
    queues: worker.queues,
    first_seen_time: msToTimestamp(worker.firstSeen),
    last_seen_time: msToTimestamp(worker.lastSeen),
    status: worker.status === 'ALIVE' ? 'WORKER_STATUS_ALIVE' : 'WORKER_STATUS_LOST',
    active_tasks: worker.activeTasks,
    processed_count: worker.processedCount,
    failed_count: worker.failedCount,
  };
}

/** Zero or unset fields of the request are left unchanged. */
function changesFromProto(settings: QueueSettings__Output | null): QueueChanges {
  const changes: QueueChanges = {};
  if (!settings) return changes;
  if (settings.max_attempts !== 0) changes.maxAttempts = settings.max_attempts;
  const lease = durationToMs(settings.lease_duration);
  if (lease !== undefined) changes.leaseDurationMs = lease;
  const retention = durationToMs(settings.retention);
  if (retention !== undefined) changes.retentionMs = retention;
  if (settings.completed_ring_size !== 0) changes.completedRingSize = settings.completed_ring_size;
  if (settings.event_retention !== 0) changes.eventRetention = settings.event_retention;
  const eventMaxAge = durationToMs(settings.event_max_age);
  if (eventMaxAge !== undefined) changes.eventMaxAgeMs = eventMaxAge;
  return changes;
}

export function queueServiceHandlers(queues: QueueAdmin, workers: WorkerRegistry, log: Logger): QueueServiceHandlers {
  return {
    GetQueue: unary(`${SERVICE}/GetQueue`, log, async (request) => ({
      queue: queueToProto(await queues.get(request.queue)),
    })),

    ListQueues: unary(`${SERVICE}/ListQueues`, log, async (request) => {
      const page = await queues.list(request.page_size, request.page_token);
      return { queues: page.queues.map(queueToProto), next_page_token: page.nextPageToken };
    }),

    PauseQueue: unary(`${SERVICE}/PauseQueue`, log, async (request) => ({
      queue: queueToProto(await queues.pause(request.queue)),
    })),

    ResumeQueue: unary(`${SERVICE}/ResumeQueue`, log, async (request) => ({
      queue: queueToProto(await queues.resume(request.queue)),
    })),

    PurgeQueue: unary(`${SERVICE}/PurgeQueue`, log, async (request) => ({
      purged_count: await queues.purge(request.queue, request.include_finished),
    })),

    RetryTasks: unary(`${SERVICE}/RetryTasks`, log, async (request) => {
      const states = request.states
        .map((state) => stateFromProto(state))
        .filter((state): state is TaskState => state !== undefined);
      return { retried_count: await queues.retryTasks(request.queue, states) };
    }),

    UpdateQueue: unary(`${SERVICE}/UpdateQueue`, log, async (request) => ({
      queue: queueToProto(await queues.update(request.queue, changesFromProto(request.settings))),
    })),

    ListActiveTasks: unary(`${SERVICE}/ListActiveTasks`, log, async (request) => {
      if (request.worker_id !== '') await workers.get(request.worker_id);
      const byWorker = await queues.activeTasks(request.queue, request.worker_id);
      return {
        workers: byWorker.map((entry) => ({ worker_id: entry.workerId, tasks: entry.tasks.map(taskToProto) })),
      };
    }),

    ListCompletedTasks: unary(`${SERVICE}/ListCompletedTasks`, log, async (request) => ({
      tasks: (await queues.completedTasks(request.queue, request.limit)).map(taskToProto),
    })),

    RegisterWorker: unary(`${SERVICE}/RegisterWorker`, log, async (request) => {
      const worker = await workers.register(
        request.worker_id,
        {
          ...(request.hostname === '' ? {} : { hostname: request.hostname }),
          ...(request.pid === 0 ? {} : { pid: request.pid }),
          ...(request.sdk_name === '' ? {} : { sdkName: request.sdk_name }),
          ...(request.sdk_version === '' ? {} : { sdkVersion: request.sdk_version }),
          ...(Object.keys(request.labels).length === 0 ? {} : { labels: request.labels }),
        },
        request.queues,
      );
      return { worker: workerToProto(worker) };
    }),

    ListWorkers: unary(`${SERVICE}/ListWorkers`, log, async (request) => {
      const list = await workers.list({
        ...(request.queue === '' ? {} : { queue: request.queue }),
        includeLost: request.include_lost,
      });
      return { workers: list.map(workerToProto) };
    }),

    GetWorker: unary(`${SERVICE}/GetWorker`, log, async (request) => ({
      worker: workerToProto(await workers.get(request.worker_id)),
    })),
  };
}

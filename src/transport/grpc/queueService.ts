import type { QueueAdmin } from '../../domain/queues.js';
import type { QueueChanges, QueueInfo, RateLimit, RateLimitChange } from '../../domain/store.js';
import type { TaskState } from '../../domain/task.js';
import type { WorkerRegistry, WorkerView } from '../../domain/workers.js';
import type { Logger } from '../../log.js';
import { durationToMs, msToDuration, msToTimestamp, stateFromProto, taskToProto } from './convert.js';
import type { Queue, QueueServiceServer, QueueSettings, RateLimit as ProtoRateLimit, Worker } from './contract.js';
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
      waiting_children: counts.WAITING_CHILDREN,
    },
    oldest_pending_age: info.oldestPendingAgeMs === undefined ? undefined : msToDuration(info.oldestPendingAgeMs),
    paused: info.paused,
    last_claim_time: info.lastClaimTime === undefined ? undefined : msToTimestamp(info.lastClaimTime),
    live_workers: info.liveWorkers,
    settings: {
      max_attempts: settings.maxAttempts,
      lease_duration: msToDuration(settings.leaseDurationMs),
      retention: settings.retentionMs === 0 ? undefined : msToDuration(settings.retentionMs),
      completed_ring_size: settings.completedRingSize,
      event_retention: settings.eventRetention,
      event_max_age: settings.eventMaxAgeMs === 0 ? undefined : msToDuration(settings.eventMaxAgeMs),
      max_pending_tasks: settings.maxPendingTasks,
      max_stored_payload_bytes: settings.maxStoredPayloadBytes,
      concurrency_key_limit: settings.concurrencyKeyLimit,
      claim_rate_limit: rateLimitToProto(settings.claimRateLimit),
      key_rate_limit: rateLimitToProto(settings.keyRateLimit),
      partitions: settings.partitions ?? 1,
    },
    stored_payload_bytes: info.storedPayloadBytes,
    unique_keys: info.uniqueKeys,
    top_concurrency_keys: info.topConcurrencyKeys,
    key_limited_tasks: info.keyLimitedTasks,
    throttled_claims: info.throttledClaims,
    throttled_duration: msToDuration(info.throttledMs),
    key_throttled_tasks: info.keyThrottledTasks,
    throttled_keys: info.throttledKeys,
  };
}

function rateLimitToProto(limit: RateLimit | undefined): ProtoRateLimit | undefined {
  return limit === undefined ? undefined : { claims: limit.claims, period: msToDuration(limit.periodMs) };
}

/** Unset: unchanged; claims -1: removed (QueueAdmin.update checks the rest). */
function rateLimitChange(limit: ProtoRateLimit | undefined): RateLimitChange | undefined {
  if (limit === undefined) return undefined;
  return { claims: limit.claims, periodMs: durationToMs(limit.period) ?? 0 };
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
function changesFromProto(settings: QueueSettings | undefined): QueueChanges {
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
  // -1 removes a quota (QueueAdmin.update checks and turns it into the store's 0).
  if (settings.max_pending_tasks !== 0) changes.maxPendingTasks = settings.max_pending_tasks;
  if (settings.max_stored_payload_bytes !== 0) changes.maxStoredPayloadBytes = settings.max_stored_payload_bytes;
  if (settings.concurrency_key_limit !== 0) changes.concurrencyKeyLimit = settings.concurrency_key_limit;
  const claimRateLimit = rateLimitChange(settings.claim_rate_limit);
  if (claimRateLimit !== undefined) changes.claimRateLimit = claimRateLimit;
  const keyRateLimit = rateLimitChange(settings.key_rate_limit);
  if (keyRateLimit !== undefined) changes.keyRateLimit = keyRateLimit;
  if (settings.partitions !== 0) changes.partitions = settings.partitions;
  return changes;
}

export function queueServiceHandlers(queues: QueueAdmin, workers: WorkerRegistry, log: Logger): QueueServiceServer {
  return {
    getQueue: unary(`${SERVICE}/GetQueue`, log, async (request) => ({
      queue: queueToProto(await queues.get(request.queue)),
    })),

    listQueues: unary(`${SERVICE}/ListQueues`, log, async (request) => {
      const page = await queues.list(request.page_size, request.page_token);
      return { queues: page.queues.map(queueToProto), next_page_token: page.nextPageToken };
    }),

    pauseQueue: unary(`${SERVICE}/PauseQueue`, log, async (request) => ({
      queue: queueToProto(await queues.pause(request.queue)),
    })),

    resumeQueue: unary(`${SERVICE}/ResumeQueue`, log, async (request) => ({
      queue: queueToProto(await queues.resume(request.queue)),
    })),

    purgeQueue: unary(`${SERVICE}/PurgeQueue`, log, async (request) => ({
      purged_count: await queues.purge(request.queue, request.include_finished),
    })),

    deleteQueue: unary(`${SERVICE}/DeleteQueue`, log, async (request) => ({
      deleted_task_count: await queues.delete(request.queue, request.force),
    })),

    retryTasks: unary(`${SERVICE}/RetryTasks`, log, async (request) => {
      const states = request.states
        .map((state) => stateFromProto(state))
        .filter((state): state is TaskState => state !== undefined);
      return { retried_count: await queues.retryTasks(request.queue, states) };
    }),

    updateQueue: unary(`${SERVICE}/UpdateQueue`, log, async (request) => ({
      queue: queueToProto(await queues.update(request.queue, changesFromProto(request.settings))),
    })),

    listActiveTasks: unary(`${SERVICE}/ListActiveTasks`, log, async (request) => {
      if (request.worker_id !== '') await workers.get(request.worker_id);
      const byWorker = await queues.activeTasks(request.queue, request.worker_id);
      return {
        workers: byWorker.map((entry) => ({ worker_id: entry.workerId, tasks: entry.tasks.map(taskToProto) })),
      };
    }),

    listCompletedTasks: unary(`${SERVICE}/ListCompletedTasks`, log, async (request) => ({
      tasks: (await queues.completedTasks(request.queue, request.limit)).map(taskToProto),
    })),

    registerWorker: unary(`${SERVICE}/RegisterWorker`, log, async (request) => {
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

    listWorkers: unary(`${SERVICE}/ListWorkers`, log, async (request) => {
      const page = await workers.listPage(
        { ...(request.queue === '' ? {} : { queue: request.queue }), includeLost: request.include_lost },
        request.page_size,
        request.page_token,
      );
      return { workers: page.workers.map(workerToProto), next_page_token: page.nextPageToken };
    }),

    getWorker: unary(`${SERVICE}/GetWorker`, log, async (request) => ({
      worker: workerToProto(await workers.get(request.worker_id)),
    })),
  };
}

import type {
  ClaimOutcome,
  Expiries,
  SubmitOutcome,
  Completion,
  EventBounds,
  EventReader,
  QueueChanges,
  QueueInfo,
  QueueWorkerStats,
  ReapSettings,
  WorkerDescription,
  WorkerRecord,
  TaskView,
  ItemOutcome,
  ClaimQuery,
  HeartbeatUpdate,
  ListQuery,
  ReapOutcome,
  StartOutcome,
  StartQuery,
  TaskStore,
} from '../domain/store.js';
import { TASK_STATES } from '../domain/task.js';
import type {
  ClaimedTask,
  FailureReport,
  HeartbeatResult,
  ListTasksPage,
  NewTask,
  Task,
  TaskEvent,
  TaskState,
} from '../domain/task.js';
import { BatonError } from '../domain/errors.js';
import { randomBytesPooled } from '../domain/ids.js';
import { QUEUES_KEY, WAKE_CHANNEL, eventsKey, queueKeys, queueOfTasksKey, registryKeys } from './keys.js';
import type { RedisClient } from './redis.js';
import { scriptError, translateRedisError } from './redisErrors.js';
import {
  RETRY_DEFAULTS_ARGV,
  asArray,
  asNumber,
  asString,
  decodeEvent,
  decodeTask,
  decodeTaskRecord,
  encodeNewTask,
  mapTriples,
  stateNumber,
} from './taskCodec.js';
import type { Reply } from './taskCodec.js';

/** A registry entry as registerWorker.lua stores it (cjson turns an empty labels map into []). */
interface StoredWorker {
  hostname?: string;
  pid?: number;
  sdk_name?: string;
  sdk_version?: string;
  labels?: Record<string, string> | [];
  queues?: string[];
  first_seen: number;
}

/** Lease tokens are unguessable: 128 random bits, minted per claim call. */
function newTokenNonce(): string {
  // A letter first: base64url may start with '-', which a command line would read as an option.
  return `t${randomBytesPooled(16).toString('base64url')}`;
}

/** Leased tasks as claim.lua and submit.lua reply them: token, task id, record, for each. */
function decodeClaimed(queue: string, reply: Reply): ClaimedTask[] {
  return mapTriples(reply, (token, id, record) => ({ leaseToken: asString(token), task: decodeTaskRecord(queue, id, record) }));
}

/** An expiry tally (see expiryTally in lua/includes/queue.lua). */
function decodeExpiries(reply: Reply): Expiries {
  const [leasesExpired = 0, leasesExhausted = 0, leasesCancelled = 0, tasksExpired = 0] = asArray(reply).map(asNumber);
  return { leasesExpired, leasesExhausted, leasesCancelled, tasksExpired };
}

export class RedisTaskStore implements TaskStore {
  private readonly rememberedQueues = new Map<string, Promise<void>>();

  constructor(
    private readonly client: RedisClient,
    /** Opens a separate connection: for subscribing, or for blocking reads of events. */
    private readonly openConnection: (purpose: 'subscriber' | 'events') => RedisClient,
    /**
     * Every round trip fails with UNAVAILABLE after this long. ioredis's own command timeout starts only once a
     * command is sent; with every cluster node down, commands wait in its offline queue and would never time out.
     */
    private readonly timeoutMs: number,
  ) {}

  /** One Redis round trip: bounded in time, its errors translated for the domain. */
  private async run<T>(queue: string, id: string, operation: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new BatonError('UNAVAILABLE', `Redis did not answer within ${this.timeoutMs}ms`));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([operation(), timeout]);
    } catch (error) {
      throw error instanceof BatonError ? error : translateRedisError(error, queue, id);
    } finally {
      clearTimeout(timer);
    }
  }

  private async call(queue: string, id: string, invoke: (keys: string[]) => Promise<unknown>): Promise<Reply> {
    return (await this.run(queue, id, () => invoke(queueKeys(queue)))) as Reply;
  }

  async submit(queue: string, tasks: NewTask[], returnTasks: boolean, handoff?: ClaimQuery): Promise<SubmitOutcome> {
    const args = tasks.flatMap(encodeNewTask);
    const taker = handoff ? [handoff.workerId, handoff.maxTasks, handoff.leaseDurationMs, newTokenNonce()] : ['', 0, 0, ''];
    const reply = await this.call(queue, '', (keys) =>
      this.client.batonSubmitBuffer(...keys, tasks.length, returnTasks ? '1' : '0', ...taker, ...args),
    );
    const [results, handedOff, tally, pendingLeft] = asArray(reply);
    return {
      results: mapTriples(results ?? null, (created, id, record) => ({
        created: asNumber(created) === 1,
        task: decodeTaskRecord(queue, id, record),
      })),
      handedOff: decodeClaimed(queue, handedOff ?? null),
      expiries: decodeExpiries(tally ?? null),
      pendingLeft: asNumber(pendingLeft ?? null),
    };
  }

  async get(queue: string, id: string): Promise<Task | undefined> {
    const reply = await this.call(queue, id, (keys) => this.client.batonGetBuffer(...keys, id));
    return reply === null ? undefined : decodeTask(queue, reply);
  }

  async list(queue: string, query: ListQuery): Promise<ListTasksPage> {
    const reply = await this.call(queue, '', (keys) =>
      this.client.batonListBuffer(
        ...keys,
        query.state === undefined ? 0 : stateNumber(query.state),
        query.pageSize,
        query.cursor ?? '+inf',
        Math.min(10_000, query.pageSize * 10),
        query.includePayload ? '1' : '0',
      ),
    );
    const [next, tasks] = asArray(reply);
    const nextCursor = asString(next);
    const page: ListTasksPage = { tasks: asArray(tasks ?? null).map((t) => decodeTask(queue, t)) };
    if (nextCursor !== '') page.nextCursor = nextCursor;
    return page;
  }

  async claim(queue: string, request: ClaimQuery): Promise<ClaimOutcome> {
    const reply = await this.call(queue, '', (keys) =>
      this.client.batonClaimBuffer(
        ...keys,
        request.workerId,
        request.maxTasks,
        request.leaseDurationMs,
        newTokenNonce(),
      ),
    );
    const [nextDue, claimed, tally] = asArray(reply);
    const outcome = { claimed: decodeClaimed(queue, claimed ?? null), expiries: decodeExpiries(tally ?? null) };
    const nextDueTime = asNumber(nextDue);
    return nextDueTime < 0 ? outcome : { ...outcome, nextDueTime };
  }

  async start(task: NewTask, request: StartQuery): Promise<StartOutcome> {
    const reply = await this.call(task.queue, task.id, (keys) =>
      this.client.batonStartBuffer(
        ...keys,
        request.workerId,
        request.leaseDurationMs,
        request.leaseToken,
        request.force ? '1' : '0',
        newTokenNonce(),
        ...encodeNewTask(task),
      ),
    );
    const [tally, created, token, taskReply] = asArray(reply);
    const expiries = decodeExpiries(tally ?? null);
    // A refusal is its error code and arguments where a start has its created flag.
    if (Buffer.isBuffer(created)) return { expiries, refused: scriptError(created.toString(), task.queue, task.id) };
    return {
      expiries,
      started: {
        created: asNumber(created) === 1,
        leaseToken: asString(token),
        task: decodeTask(task.queue, taskReply ?? null),
      },
    };
  }

  async heartbeat(queue: string, id: string, leaseToken: string, update: HeartbeatUpdate): Promise<HeartbeatResult> {
    const progress = update.progress;
    const progressArgs = progress ? ['1', progress.current, progress.total, progress.message] : ['0'];
    const reply = await this.call(queue, id, (keys) =>
      this.client.batonHeartbeatBuffer(...keys, id, leaseToken, update.leaseDurationMs, ...progressArgs),
    );
    const [leaseExpiry, cancelRequested] = asArray(reply);
    return { leaseExpireTime: asNumber(leaseExpiry), cancelRequested: asNumber(cancelRequested) === 1 };
  }

  async complete(queue: string, items: readonly Completion[], view: TaskView): Promise<ItemOutcome[]> {
    const args = items.flatMap((item) => [item.id, item.leaseToken, item.result]);
    const reply = await this.call(queue, items.length === 1 ? (items[0]?.id ?? '') : '', (keys) =>
      this.client.batonCompleteBuffer(...keys, items.length, view, ...args),
    );
    return mapTriples(
      reply,
      (ok, idOrCode, record, i): ItemOutcome =>
        asNumber(ok) === 1
          ? { task: decodeTaskRecord(queue, idOrCode, record) }
          : { error: scriptError(asString(idOrCode), queue, items[i]?.id ?? '') },
    );
  }

  async fail(queue: string, id: string, leaseToken: string, failure: FailureReport): Promise<Task> {
    const reply = await this.call(queue, id, (keys) =>
      this.client.batonFailBuffer(
        ...keys,
        id,
        leaseToken,
        failure.type,
        failure.message,
        failure.details,
        failure.permanent ? '1' : '0',
        failure.retryDelayMs ?? -1,
        Math.random(),
        ...RETRY_DEFAULTS_ARGV,
      ),
    );
    return decodeTask(queue, reply);
  }

  async release(queue: string, id: string, leaseToken: string): Promise<Task> {
    return decodeTask(queue, await this.call(queue, id, (keys) => this.client.batonReleaseBuffer(...keys, id, leaseToken)));
  }

  async cancel(queue: string, id: string): Promise<Task> {
    return decodeTask(queue, await this.call(queue, id, (keys) => this.client.batonCancelBuffer(...keys, id)));
  }

  async retry(queue: string, id: string): Promise<Task> {
    return decodeTask(queue, await this.call(queue, id, (keys) => this.client.batonRetryBuffer(...keys, id)));
  }

  async reap(queue: string, settings: ReapSettings): Promise<ReapOutcome> {
    const reply = await this.call(queue, '', (keys) =>
      this.client.batonReapBuffer(...keys, settings.limit, settings.retentionMs, settings.workerRetentionMs),
    );
    const [leasesExpired, leasesExhausted, leasesCancelled, tasksExpired, tasksPromoted, tasksDeleted, nextDue] =
      asArray(reply).map(asNumber);
    const outcome: ReapOutcome = {
      leasesExpired: leasesExpired ?? 0,
      leasesExhausted: leasesExhausted ?? 0,
      leasesCancelled: leasesCancelled ?? 0,
      tasksExpired: tasksExpired ?? 0,
      tasksPromoted: tasksPromoted ?? 0,
      tasksDeleted: tasksDeleted ?? 0,
    };
    if (nextDue !== undefined && nextDue >= 0) outcome.nextDueInMs = nextDue;
    return outcome;
  }

  async queueExists(queue: string): Promise<boolean> {
    return (await this.run(queue, '', () => this.client.sismember(QUEUES_KEY, queue))) === 1;
  }

  async getQueue(queue: string, liveWindowMs: number): Promise<QueueInfo> {
    const reply = asArray(await this.call(queue, '', (keys) => this.client.batonGetQueueBuffer(...keys, liveWindowMs)));
    const n = (i: number): number => asNumber(reply[i]);
    const counts = Object.fromEntries(TASK_STATES.map((state, i) => [state, n(i)])) as Record<TaskState, number>;
    const info: QueueInfo = {
      name: queue,
      counts,
      paused: n(9) === 1,
      settings: {
        maxAttempts: n(10),
        leaseDurationMs: n(11),
        retentionMs: n(12),
        completedRingSize: n(13),
        eventRetention: n(16),
        eventMaxAgeMs: n(17),
      },
      liveWorkers: n(15),
    };
    if (n(8) >= 0) info.oldestPendingAgeMs = n(8);
    if (n(14) > 0) info.lastClaimTime = n(14);
    return info;
  }

  async activeTasks(queue: string, workerId: string, limit: number): Promise<Task[]> {
    const reply = await this.call(queue, '', (keys) => this.client.batonActiveTasksBuffer(...keys, workerId, limit));
    return asArray(reply).map((task) => decodeTask(queue, task));
  }

  async completedTasks(queue: string, limit: number): Promise<Task[]> {
    const reply = await this.call(queue, '', (keys) => this.client.batonCompletedTasksBuffer(...keys, limit));
    return asArray(reply).map((task) => decodeTask(queue, task));
  }

  async workerStats(queue: string): Promise<QueueWorkerStats[]> {
    const flat = asArray(await this.call(queue, '', (keys) => this.client.batonWorkerStatsBuffer(...keys)));
    const stats: QueueWorkerStats[] = [];
    for (let i = 0; i + 4 < flat.length; i += 5) {
      stats.push({
        workerId: asString(flat[i]),
        lastSeen: asNumber(flat[i + 1]),
        completed: asNumber(flat[i + 2]),
        failed: asNumber(flat[i + 3]),
        active: asNumber(flat[i + 4]),
      });
    }
    return stats;
  }

  async purge(queue: string, includeFinished: boolean, limit: number): Promise<{ deleted: number; more: boolean }> {
    const reply = asArray(
      await this.call(queue, '', (keys) => this.client.batonPurgeBuffer(...keys, includeFinished ? '1' : '0', limit)),
    );
    return { deleted: asNumber(reply[0]), more: asNumber(reply[1]) === 1 };
  }

  async retryMany(
    queue: string,
    states: readonly TaskState[],
    limit: number,
    offset: number,
  ): Promise<{ retried: number; offset: number; more: boolean }> {
    const reply = asArray(
      await this.call(queue, '', (keys) =>
        this.client.batonRetryManyBuffer(...keys, states.map(stateNumber).join(','), limit, offset),
      ),
    );
    return { retried: asNumber(reply[0]), offset: asNumber(reply[1]), more: asNumber(reply[2]) === 1 };
  }

  async updateQueue(queue: string, changes: QueueChanges): Promise<void> {
    const fields: (string | number)[] = [];
    if (changes.paused !== undefined) fields.push('paused', changes.paused ? 1 : 0);
    if (changes.maxAttempts !== undefined) fields.push('ma', changes.maxAttempts);
    if (changes.leaseDurationMs !== undefined) fields.push('ld', changes.leaseDurationMs);
    if (changes.retentionMs !== undefined) fields.push('rt', changes.retentionMs);
    if (changes.completedRingSize !== undefined) fields.push('ring', changes.completedRingSize);
    if (changes.eventRetention !== undefined) fields.push('er', changes.eventRetention);
    if (changes.eventMaxAgeMs !== undefined) fields.push('ea', changes.eventMaxAgeMs);
    if (fields.length === 0) return;
    await this.call(queue, '', (keys) => this.client.batonUpdateQueueBuffer(...keys, ...fields));
  }

  async registerWorker(
    workerId: string,
    description: WorkerDescription | undefined,
    queues: readonly string[],
  ): Promise<number> {
    const stored = description && {
      hostname: description.hostname,
      pid: description.pid,
      sdk_name: description.sdkName,
      sdk_version: description.sdkVersion,
      labels: description.labels,
    };
    const reply = await this.run('', '', () =>
      this.client.batonRegisterWorkerBuffer(
        ...registryKeys(),
        workerId,
        stored ? JSON.stringify(stored) : '',
        JSON.stringify(queues),
      ),
    );
    return asNumber(reply as Reply);
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    const [workersKey = '', seenKey = ''] = registryKeys();
    const [stored, seen] = await this.run('', '', () =>
      Promise.all([this.client.hgetall(workersKey), this.client.zrange(seenKey, 0, -1, 'WITHSCORES')]),
    );
    const lastSeen = new Map<string, number>();
    for (let i = 0; i + 1 < seen.length; i += 2) lastSeen.set(seen[i] ?? '', Number(seen[i + 1]));
    return Object.entries(stored).map(([workerId, json]) => {
      const w = JSON.parse(json) as StoredWorker;
      const record: WorkerRecord = {
        workerId,
        queues: Array.isArray(w.queues) ? w.queues : [],
        firstSeen: w.first_seen,
        lastSeen: lastSeen.get(workerId) ?? w.first_seen,
      };
      if (w.hostname !== undefined) record.hostname = w.hostname;
      if (w.pid !== undefined) record.pid = w.pid;
      if (w.sdk_name !== undefined) record.sdkName = w.sdk_name;
      if (w.sdk_version !== undefined) record.sdkVersion = w.sdk_version;
      if (w.labels !== undefined && !Array.isArray(w.labels)) record.labels = w.labels;
      return record;
    });
  }

  async reapWorkers(retentionMs: number): Promise<number> {
    return asNumber((await this.run('', '', () => this.client.batonReapWorkersBuffer(...registryKeys(), retentionMs))) as Reply);
  }

  async readEvents(queue: string, position: string, count: number): Promise<TaskEvent[]> {
    const entries = await this.run(queue, '', () =>
      this.client.xrangeBuffer(eventsKey(queue), `(${position}`, '+', 'COUNT', count),
    );
    return entries.map(([position, fields]) => decodeEvent(queue, position.toString(), fields));
  }

  async eventBounds(queue: string): Promise<EventBounds | undefined> {
    const reply = await this.call(queue, '', (keys) => this.client.batonEventBoundsBuffer(...keys));
    if (reply === null) return undefined;
    const [last = '0-0', first = ''] = asArray(reply).map(asString);
    return first === '' ? { last } : { last, first };
  }

  openEventReader(queue: string): EventReader {
    const connection = this.openConnection('events');
    connection.on('error', () => undefined);
    const key = eventsKey(queue);
    return {
      next: async (position, blockMs) => {
        const reply = await connection.xreadBuffer('COUNT', 1000, 'BLOCK', blockMs, 'STREAMS', key, position);
        const entries = reply?.[0]?.[1] ?? [];
        return entries.map(([id, fields]) => decodeEvent(queue, id.toString(), fields));
      },
      close: () => {
        connection.disconnect();
      },
    };
  }

  async knownQueues(): Promise<string[]> {
    return this.run('', '', () => this.client.smembers(QUEUES_KEY));
  }

  rememberQueue(queue: string): Promise<void> {
    let remembered = this.rememberedQueues.get(queue);
    if (!remembered) {
      // Shared, so submits that wait for it go on in the order they came: a stream's submits keep their order.
      remembered = this.run(queue, '', () => this.client.sadd(QUEUES_KEY, queue)).then(() => undefined);
      this.rememberedQueues.set(queue, remembered);
      remembered.catch(() => this.rememberedQueues.delete(queue));
    }
    return remembered;
  }

  async subscribeToWakeups(onWake: (queue: string) => void): Promise<() => Promise<void>> {
    const subscriber = this.openConnection('subscriber');
    subscriber.on('message', (_channel: string, tasksKey: string) => {
      const queue = queueOfTasksKey(tasksKey);
      if (queue !== undefined) onWake(queue);
    });
    // Swallow connection errors here: ioredis reconnects and resubscribes on its own.
    subscriber.on('error', () => undefined);
    await subscriber.subscribe(WAKE_CHANNEL);
    return async () => {
      subscriber.disconnect();
      await Promise.resolve();
    };
  }
}

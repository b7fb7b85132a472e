import type {
  ChangeListener,
  ChangeSubscription,
  DueClaim,
  SweepStretch,
  EventBounds,
  QueueChanges,
  QueueInfo,
  QueueStore,
  ReapOutcome,
  ReapSettings,
} from '../domain/store.js';
import { CHILD_NOTICE_GRACE_MS } from '../domain/limits.js';
import { TASK_STATES } from '../domain/task.js';
import type { Task, TaskEvent, TaskState } from '../domain/task.js';
import type { Keyspace } from './keys.js';
import { perNodePipelines } from './nodePipelines.js';
import type { RedisClient } from './redis.js';
import { QueueRegistry } from './queueRegistry.js';
import type { RedisCalls, WriteTarget } from './redisCalls.js';
import { translateRedisError } from './redisErrors.js';
import { asArray, asNumber, asString, decodeEvent, decodeTask, mapTriples, stateNumber } from './taskCodec.js';
import type { Reply } from './taskCodec.js';

/** Queues on Redis as operators, maintenance and event readers see them. */
export class RedisQueueStore implements QueueStore {
  private readonly client: RedisClient;
  private readonly keys: Keyspace;

  constructor(
    private readonly redis: RedisCalls,
    /** Opens the separate connection that subscribes. */
    private readonly openSubscriber: () => RedisClient,
    private readonly registry = new QueueRegistry(redis),
  ) {
    this.client = redis.client;
    this.keys = redis.keys;
  }

  async reap(queue: string, settings: ReapSettings): Promise<ReapOutcome> {
    const reply = await this.redis.write('reap', queue, '', (target, keys, deadline) =>
      target.batonReapBuffer(...keys, settings.limit, settings.retentionMs, settings.workerRetentionMs, CHILD_NOTICE_GRACE_MS, settings.childGraceMs, deadline),
    );
    const [leasesExpired, leasesExhausted, leasesCancelled, tasksExpired, tasksPromoted, tasksDeleted, nextDue, untold, uncheckedParent] =
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
    if (untold) outcome.untoldChildren = untold;
    if (uncheckedParent) outcome.uncheckedParents = true;
    return outcome;
  }

  async queueExists(queue: string): Promise<boolean> {
    return (await this.redis.run('sismember', queue, '', () => this.client.sismember(this.keys.queues, queue))) === 1;
  }

  async getQueue(queue: string, liveWindowMs: number): Promise<QueueInfo> {
    const reply = await this.redis.script('getQueue', queue, '', (keys) => this.client.batonGetQueueBuffer(...keys, liveWindowMs));
    return decodeQueue(queue, reply);
  }

  async getQueues(queues: readonly string[], liveWindowMs: number): Promise<QueueInfo[]> {
    const replies = await this.redis.run('getQueue', '', '', () =>
      perNodePipelines<Reply>(this.client, queues, (queue) => this.keys.activeKey(queue), (pipeline, queue) =>
        (pipeline as unknown as WriteTarget).batonGetQueueBuffer(...this.keys.queueKeys(queue), liveWindowMs),
      ),
    );
    return queues.map((queue, i) => {
      const reply = replies[i];
      if (reply instanceof Error) throw translateRedisError(reply, queue, '');
      return decodeQueue(queue, reply ?? null);
    });
  }

  async activeTasks(queue: string, workerId: string, limit: number): Promise<Task[]> {
    const reply = await this.redis.script('activeTasks', queue, '', (keys) =>
      this.client.batonActiveTasksBuffer(...keys, workerId, limit),
    );
    return asArray(reply).map((task) => decodeTask(queue, task));
  }

  async withLiveLeases(queues: readonly string[]): Promise<string[]> {
    const now = Date.now();
    const counts = await this.redis.run('countLiveLeases', '', '', () =>
      perNodePipelines<number>(this.client, queues, (queue) => this.keys.activeKey(queue), (pipeline, queue) =>
        pipeline.zcount(this.keys.activeKey(queue), `(${now}`, '+inf'),
      ),
    );
    // A queue whose count failed is kept: its script says what it holds.
    return queues.filter((_, i) => {
      const count = counts[i];
      return count instanceof Error || (count ?? 0) > 0;
    });
  }

  async completedTasks(queue: string, limit: number): Promise<Task[]> {
    const reply = await this.redis.script('completedTasks', queue, '', (keys) =>
      this.client.batonCompletedTasksBuffer(...keys, limit),
    );
    return asArray(reply).map((task) => decodeTask(queue, task));
  }

  async purge(queue: string, includeFinished: boolean, limit: number): Promise<{ deleted: number; more: boolean }> {
    const reply = asArray(
      await this.redis.write('purge', queue, '', (target, keys, deadline) =>
        target.batonPurgeBuffer(...keys, includeFinished ? '1' : '0', limit, deadline),
      ),
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
      await this.redis.write('retryMany', queue, '', (target, keys, deadline) =>
        target.batonRetryManyBuffer(...keys, states.map(stateNumber).join(','), limit, offset, deadline),
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
    if (changes.maxPendingTasks !== undefined) fields.push('qp', changes.maxPendingTasks);
    if (changes.maxStoredPayloadBytes !== undefined) fields.push('qb', changes.maxStoredPayloadBytes);
    if (changes.concurrencyKeyLimit !== undefined) fields.push('kl', changes.concurrencyKeyLimit);
    // 0 removes a setting (updateQueue.lua).
    if (changes.claimRateLimit !== undefined) fields.push('rc', changes.claimRateLimit?.claims ?? 0, 'rp', changes.claimRateLimit?.periodMs ?? 0);
    if (changes.keyRateLimit !== undefined) fields.push('kc', changes.keyRateLimit?.claims ?? 0, 'kp', changes.keyRateLimit?.periodMs ?? 0);
    if (changes.partitionHistory !== undefined) fields.push('ph', changes.partitionHistory.join(','));
    // Settings may come before the first task: the queue then exists from now on.
    await this.registry.write(queue, (registration) =>
      this.redis.write('updateQueue', queue, '', (target, keys, deadline) =>
        target.batonUpdateQueueBuffer(...keys, registration, ...fields, deadline),
      ),
    );
  }

  async deleteQueue(queue: string, force: boolean): Promise<number> {
    const deleted = await this.redis.write('deleteQueue', queue, '', (target, keys, deadline) =>
      target.batonDeleteQueueBuffer(...keys, force ? '1' : '0', deadline),
    );
    await this.registry.unregister(queue);
    return asNumber(deleted);
  }

  async readEvents(queue: string, position: string, count: number): Promise<TaskEvent[]> {
    const entries = await this.redis.run('readEvents', queue, '', () =>
      this.client.xrangeBuffer(this.keys.eventsKey(queue), `(${position}`, '+', 'COUNT', count),
    );
    return entries.map(([position, fields]) => decodeEvent(queue, position.toString(), fields));
  }

  async eventBounds(queue: string): Promise<EventBounds | undefined> {
    const reply = await this.redis.script('eventBounds', queue, '', (keys) =>
      this.client.batonEventBoundsBuffer(...keys),
    );
    if (reply === null) return undefined;
    const [last = '0-0', first = '', trimmed = '0-0'] = asArray(reply).map(asString);
    return first === '' ? { last, trimmed } : { last, first, trimmed };
  }

  async noteDue(dues: ReadonlyMap<string, number>): Promise<void> {
    if (dues.size === 0) return;
    const args = [...dues].flatMap(([queue, at]) => [Math.floor(at), queue]);
    // A hint, not state: it waits for no replica (a due time lost in a failover is found by the slow sweep).
    await this.redis.run('noteDue', '', '', () => this.client.zadd(this.keys.due, 'LT', ...args));
  }

  async claimDue(now: number, limit: number, claimMs: number): Promise<DueClaim> {
    // Hints, not state, like noteDue: no replica waits for them.
    const reply = await this.redis.run('claimDue', '', '', (deadline) =>
      this.client.batonClaimDueBuffer(this.keys.due, this.keys.dueClaims, Math.floor(now), limit, claimMs, this.redis.clock.toRedisTime(deadline)),
    );
    const [claimedUntil, ...queues] = asArray(reply as Reply);
    return { claimedUntil: asNumber(claimedUntil), queues: queues.map(asString) };
  }

  async anyDue(now: number): Promise<boolean> {
    const at = Math.floor(now);
    // The index and its claims share a slot: one round trip to one node.
    const replies = await this.redis.run('anyDue', '', '', () =>
      this.client
        .pipeline()
        .zrangebyscore(this.keys.due, '-inf', at, 'LIMIT', 0, 1)
        .zrangebyscore(this.keys.dueClaims, '-inf', at, 'LIMIT', 0, 1)
        .exec(),
    );
    return (replies ?? []).some(([error, found]) => {
      if (error) throw error;
      return Array.isArray(found) && found.length > 0;
    });
  }

  async reschedule(queue: string, claimedUntil: number, nextDueAt: number | undefined): Promise<void> {
    await this.redis.run('reschedule', '', '', (deadline) =>
      this.client.batonRescheduleBuffer(
        this.keys.due,
        this.keys.dueClaims,
        queue,
        claimedUntil,
        nextDueAt === undefined ? '' : Math.floor(nextDueAt),
        this.redis.clock.toRedisTime(deadline),
      ),
    );
  }

  async claimSweep(queueCount: number, intervalMs: number, perSecondMax: number, most: number): Promise<SweepStretch> {
    const reply = await this.redis.run('claimSweep', '', '', (deadline) =>
      this.client.batonClaimSweepBuffer(this.keys.sweep, queueCount, intervalMs, perSecondMax, most, this.redis.clock.toRedisTime(deadline)),
    );
    const [start, count] = asArray(reply as Reply).map(asNumber);
    return { start: start ?? 0, count: count ?? 0 };
  }

  async partitionHistory(queue: string): Promise<number[]> {
    const [meta = ''] = this.keys.queueKeys(queue).slice(7, 8);
    const text = await this.redis.run('partitionHistory', queue, '', () => this.client.hget(meta, 'ph'));
    return parseHistory(text ?? '');
  }

  partitionAddresses(queue: string, history: readonly number[]): string[] {
    return this.keys.partitionAddresses(queue, history);
  }

  /** Tells every replica that the queue's partition count changed. */
  async announcePartitions(queue: string): Promise<void> {
    await this.redis.run('publish', queue, '', () => this.client.publish(this.keys.partitionsChannel, queue));
  }

  async knownQueues(): Promise<string[]> {
    return this.redis.run('smembers', '', '', () => this.client.smembers(this.keys.queues));
  }

  async subscribeToChanges(listener: ChangeListener): Promise<ChangeSubscription> {
    const subscriber = this.openSubscriber();
    subscriber.on('message', (channel: string, key: string) => {
      if (channel === this.keys.wakeChannel) {
        const queue = this.keys.queueOfTasksKey(key);
        if (queue !== undefined) listener.wake(queue);
      } else if (channel === this.keys.eventsChannel) {
        const queue = this.keys.queueOfEventsKey(key);
        if (queue !== undefined) listener.eventsAdded(queue);
      } else if (channel === this.keys.partitionsChannel) {
        listener.partitionsChanged?.(key);
      }
    });
    // Swallow connection errors here: ioredis reconnects and resubscribes on its own; what was published in
    // between is lost, which the listener is told.
    subscriber.on('error', () => undefined);
    await subscriber.subscribe(this.keys.wakeChannel, this.keys.partitionsChannel);
    subscriber.on('ready', () => {
      listener.resubscribed();
    });
    return {
      followEvents: async (following) => {
        await (following ? subscriber.subscribe(this.keys.eventsChannel) : subscriber.unsubscribe(this.keys.eventsChannel));
      },
      close: async () => {
        subscriber.disconnect();
        await Promise.resolve();
      },
    };
  }
}

/** A partition count history as the meta field `ph` keeps it ('1,6'); empty: never partitioned. */
function parseHistory(text: string): number[] {
  const counts = text === '' ? [] : text.split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 1);
  return counts.length === 0 ? [1] : counts;
}

function decodeQueue(queue: string, queueReply: Reply): QueueInfo {
  const reply = asArray(queueReply);
  const n = (i: number): number => asNumber(reply[i]);
  // The counts of the first eight states lead the reply; WAITING_CHILDREN's, added later, ends it.
  const counts = Object.fromEntries(TASK_STATES.map((state, i) => [state, i < 8 ? n(i) : Number(reply[22] ?? 0)])) as Record<TaskState, number>;
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
      maxPendingTasks: n(18),
      maxStoredPayloadBytes: n(19),
      concurrencyKeyLimit: n(23),
      ...(n(26) > 0 ? { claimRateLimit: { claims: n(26), periodMs: n(27) } } : {}),
      ...(n(28) > 0 ? { keyRateLimit: { claims: n(28), periodMs: n(29) } } : {}),
    },
    liveWorkers: n(15),
    storedPayloadBytes: n(20),
    uniqueKeys: n(21),
    keyLimitedTasks: n(24),
    throttledClaims: n(30),
    throttledMs: n(31),
    keyThrottledTasks: n(32),
    throttledKeys: n(33),
    partitionHistory: parseHistory(reply[34] === undefined ? '' : asString(reply[34])),
    topConcurrencyKeys: mapTriples(reply[25] ?? [], (key, active, waiting) => ({
      key: asString(key),
      active: asNumber(active),
      waiting: asNumber(waiting),
    })),
  };
  if (n(8) >= 0) info.oldestPendingAgeMs = n(8);
  if (n(14) > 0) info.lastClaimTime = n(14);
  return info;
}

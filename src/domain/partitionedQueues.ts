import { BatonError } from './errors.js';
import { mergeBounds, mergeEvents, splitPosition } from './partitionEvents.js';
import { isPartitionAddress, queueOfAddress } from './partitions.js';
import type { PartitionDirectory } from './partitions.js';
import type {
  ChangeListener,
  ChangeSubscription,
  DueClaim,
  EventBounds,
  QueueChanges,
  QueueInfo,
  QueueStore,
  ReapOutcome,
  ReapSettings,
  SweepStretch,
} from './store.js';
import type { Task, TaskEvent, TaskState } from './task.js';

/** A bulk retry's offset past partition 0 counts this much per partition (a partition's own offset stays below). */
const OFFSET_PER_PARTITION = 1e12;

/** The settings a new partition copies from partition 0 before it takes any task. */
function settingsOf(info: QueueInfo): QueueChanges {
  const { settings } = info;
  // Only what differs from a new partition's own state: a pause or a key rate written as "none" would be
  // announced on its stream as a change.
  return {
    ...(info.paused ? { paused: true } : {}),
    ...(settings.keyRateLimit ? { keyRateLimit: settings.keyRateLimit } : {}),
    maxAttempts: settings.maxAttempts,
    leaseDurationMs: settings.leaseDurationMs,
    retentionMs: settings.retentionMs,
    completedRingSize: settings.completedRingSize,
    eventRetention: settings.eventRetention,
    eventMaxAgeMs: settings.eventMaxAgeMs,
    concurrencyKeyLimit: settings.concurrencyKeyLimit,
  };
}

/** A queue's view summed over its partitions: settings are partition 0's (every partition has the same). */
function mergeInfo(first: QueueInfo, others: readonly QueueInfo[]): QueueInfo {
  const info: QueueInfo = { ...first, counts: { ...first.counts }, topConcurrencyKeys: [...first.topConcurrencyKeys] };
  info.settings = { ...first.settings, partitions: first.partitionHistory?.at(-1) ?? 1 };
  for (const other of others) {
    for (const state of Object.keys(info.counts) as TaskState[]) info.counts[state] += other.counts[state];
    if (other.oldestPendingAgeMs !== undefined) info.oldestPendingAgeMs = Math.max(info.oldestPendingAgeMs ?? 0, other.oldestPendingAgeMs);
    if (other.lastClaimTime !== undefined) info.lastClaimTime = Math.max(info.lastClaimTime ?? 0, other.lastClaimTime);
    // Workers are counted per partition; one worker claiming from several is counted once by taking the most.
    info.liveWorkers = Math.max(info.liveWorkers, other.liveWorkers);
    info.storedPayloadBytes += other.storedPayloadBytes;
    info.uniqueKeys += other.uniqueKeys;
    info.keyLimitedTasks += other.keyLimitedTasks;
    info.throttledClaims += other.throttledClaims;
    info.throttledMs += other.throttledMs;
    info.keyThrottledTasks += other.keyThrottledTasks;
    info.throttledKeys += other.throttledKeys;
    info.topConcurrencyKeys.push(...other.topConcurrencyKeys);
  }
  info.topConcurrencyKeys.sort((a, b) => b.active - a.active).splice(10);
  return info;
}

/**
 * The queue store over partitioned queues (see partitions.ts): operators, views and event readers see each queue
 * once, by name, with its partitions summed, merged or changed together. Maintenance uses the store below it,
 * where every partition is a queue of its own (its due times, its sweep, its reap).
 */
export class PartitionedQueueStore implements QueueStore {
  constructor(
    private readonly store: QueueStore,
    private readonly directory: PartitionDirectory,
  ) {}

  reap(queue: string, settings: ReapSettings): Promise<ReapOutcome> {
    return this.store.reap(queue, settings);
  }

  queueExists(queue: string): Promise<boolean> {
    return this.store.queueExists(queue);
  }

  async getQueue(queue: string, liveWindowMs: number): Promise<QueueInfo> {
    const first = await this.store.getQueue(queue, liveWindowMs);
    const history = first.partitionHistory ?? [1];
    if ((history.at(-1) ?? 1) === 1) return mergeInfo(first, []);
    const addresses = this.directory.layout.partitionAddresses(queue, history).slice(1);
    return mergeInfo(first, await this.store.getQueues(addresses, liveWindowMs));
  }

  async getQueues(queues: readonly string[], liveWindowMs: number): Promise<QueueInfo[]> {
    const firsts = await this.store.getQueues(queues, liveWindowMs);
    const more = firsts.map((info) =>
      (info.partitionHistory?.at(-1) ?? 1) === 1 ? [] : this.directory.layout.partitionAddresses(info.name, info.partitionHistory ?? [1]).slice(1),
    );
    const others = more.some((addresses) => addresses.length > 0) ? await this.store.getQueues(more.flat(), liveWindowMs) : [];
    let next = 0;
    return firsts.map((info, i) => {
      const count = more[i]?.length ?? 0;
      next += count;
      return mergeInfo(info, others.slice(next - count, next));
    });
  }

  async activeTasks(queue: string, workerId: string, limit: number): Promise<Task[]> {
    const { addresses } = await this.directory.of(queue);
    const tasks = (await Promise.all(addresses.map((address) => this.store.activeTasks(address, workerId, limit)))).flat();
    return tasks.slice(0, limit);
  }

  async withLiveLeases(queues: readonly string[]): Promise<string[]> {
    const wanted = new Set(queues);
    const partitions = (await this.store.knownQueues()).filter((name) => isPartitionAddress(name) && wanted.has(queueOfAddress(name)));
    const live = await this.store.withLiveLeases([...queues, ...partitions]);
    return [...new Set(live.map(queueOfAddress))];
  }

  async completedTasks(queue: string, limit: number): Promise<Task[]> {
    const { addresses } = await this.directory.of(queue);
    if (addresses.length === 1) return this.store.completedTasks(queue, limit);
    const tasks = (await Promise.all(addresses.map((address) => this.store.completedTasks(address, limit)))).flat();
    return tasks.sort((a, b) => (b.endTime ?? 0) - (a.endTime ?? 0)).slice(0, limit);
  }

  async purge(queue: string, includeFinished: boolean, limit: number): Promise<{ deleted: number; more: boolean }> {
    const { addresses } = await this.directory.of(queue);
    const steps = await Promise.all(addresses.map((address) => this.store.purge(address, includeFinished, limit)));
    return { deleted: steps.reduce((sum, step) => sum + step.deleted, 0), more: steps.some((step) => step.more) };
  }

  async retryMany(queue: string, states: readonly TaskState[], limit: number, offset: number): Promise<{ retried: number; offset: number; more: boolean }> {
    const { addresses } = await this.directory.of(queue);
    if (addresses.length === 1) return this.store.retryMany(queue, states, limit, offset);
    // Partition by partition: the offset names the partition and the place in it.
    const partition = Math.floor(offset / OFFSET_PER_PARTITION);
    const step = await this.store.retryMany(addresses[partition] ?? queue, states, limit, offset % OFFSET_PER_PARTITION);
    if (step.more) return { ...step, offset: partition * OFFSET_PER_PARTITION + step.offset };
    const more = partition + 1 < addresses.length;
    return { retried: step.retried, offset: more ? (partition + 1) * OFFSET_PER_PARTITION : step.offset, more };
  }

  /**
   * Changes every partition's settings, one script each (a claim may take from a partition not yet paused while the
   * change is under way; none does once it returned). Raising the count sets up the new partitions with partition
   * 0's settings first, then records the new count in every partition, partition 0 last, and tells every replica.
   */
  async updateQueue(queue: string, changes: QueueChanges): Promise<void> {
    const { partitions, ...rest } = changes;
    const current = await this.directory.fresh(queue);
    const count = current.addresses.length;
    const changed = Object.keys(rest).length > 0;
    if (partitions === undefined || partitions === count) {
      if (!changed && partitions === undefined) return;
      // Partitions after 0 first: partition 0 exists (registers the queue) in any case.
      for (const address of [...current.addresses.slice(1), queue]) await this.store.updateQueue(address, rest);
      return;
    }
    if (partitions < count) throw new BatonError('FAILED_PRECONDITION', `settings.partitions: cannot be lowered from ${count} to ${partitions}`);
    if (changed) for (const address of current.addresses) await this.store.updateQueue(address, rest);
    const first = await this.store.getQueue(queue, 0);
    // A queue holding no task yet has no task to find under its old count: it starts from the new one, and a task
    // id of the caller's is then looked for in one place only.
    const empty = count === 1 && Object.values(first.counts).every((n) => n === 0);
    const partitionHistory = empty ? [partitions] : [...current.history, partitions];
    const addresses = this.directory.layout.partitionAddresses(queue, partitionHistory);
    const base = settingsOf(first);
    for (const address of addresses.slice(count)) await this.store.updateQueue(address, { ...base, partitionHistory });
    for (const address of [...addresses.slice(1, count), queue]) await this.store.updateQueue(address, { partitionHistory });
    this.directory.forget(queue);
    await this.directory.layout.announcePartitions(queue);
  }

  noteDue(dues: ReadonlyMap<string, number>): Promise<void> {
    return this.store.noteDue(dues);
  }

  claimDue(now: number, limit: number, claimMs: number): Promise<DueClaim> {
    return this.store.claimDue(now, limit, claimMs);
  }

  anyDue(now: number): Promise<boolean> {
    return this.store.anyDue(now);
  }

  reschedule(queue: string, claimedUntil: number, nextDueAt: number | undefined): Promise<void> {
    return this.store.reschedule(queue, claimedUntil, nextDueAt);
  }

  claimSweep(queueCount: number, intervalMs: number, perSecondMax: number, most: number): Promise<SweepStretch> {
    return this.store.claimSweep(queueCount, intervalMs, perSecondMax, most);
  }

  /** Deletes the partitions after 0 first, so the queue stays known until its last keys are gone. */
  async deleteQueue(queue: string, force: boolean): Promise<number> {
    const { addresses } = await this.directory.fresh(queue);
    if (addresses.length === 1) return this.store.deleteQueue(queue, force);
    if (!force) {
      // Refused before anything is deleted: the partition holding leases says so.
      const [leased] = await this.store.withLiveLeases(addresses);
      if (leased !== undefined) await this.store.deleteQueue(leased, false);
    }
    let deleted = 0;
    for (const address of [...addresses.slice(1), queue]) deleted += await this.store.deleteQueue(address, force);
    this.directory.forget(queue);
    await this.directory.layout.announcePartitions(queue);
    return deleted;
  }

  /** The queues by name: partitions after 0 are not queues of their own. */
  async knownQueues(): Promise<string[]> {
    return (await this.store.knownQueues()).filter((name) => !isPartitionAddress(name));
  }

  async readEvents(queue: string, position: string, count: number): Promise<TaskEvent[]> {
    const { addresses } = await this.directory.of(queue);
    if (addresses.length === 1 && !position.includes('~')) return this.store.readEvents(queue, position, count);
    const { parts } = splitPosition(position, addresses.length);
    const pages = await Promise.all(addresses.map((address, p) => this.store.readEvents(address, parts[p] ?? '0-0', count)));
    return mergeEvents(position, pages, count);
  }

  async eventBounds(queue: string): Promise<EventBounds | undefined> {
    const { addresses } = await this.directory.of(queue);
    if (addresses.length === 1) return this.store.eventBounds(queue);
    return mergeBounds(await Promise.all(addresses.map((address) => this.store.eventBounds(address))));
  }

  subscribeToChanges(listener: ChangeListener): Promise<ChangeSubscription> {
    return this.store.subscribeToChanges({
      wake: (queue) => {
        listener.wake(queue);
      },
      eventsAdded: (queue) => {
        listener.eventsAdded(queue);
      },
      partitionsChanged: (queue) => {
        this.directory.forget(queue);
        listener.partitionsChanged?.(queue);
      },
      resubscribed: () => {
        this.directory.clear();
        listener.resubscribed();
      },
    });
  }
}

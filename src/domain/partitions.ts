/**
 * Partitioned queues. A queue with P partitions is P sets of keys, each in its own cluster slot, so one busy queue
 * spreads its Redis work over several masters. Partition 0 is the queue as it always was; the storage layer names
 * partition p > 0 by an address, `<queue>@<tag>`, where the tag picks the partition's slot (see
 * store/partitionSlots.ts). Everything above the stores speaks of queues by name; the partitioned stores
 * (partitionedTasks.ts, partitionedQueues.ts) turn a name into the addresses of its partitions.
 *
 * Where a task lives:
 * - A task id Baton generates in partition p > 0 is the ULID with `.<p>` after it, so a per-task call goes straight
 *   to its partition; partition 0's ids stay plain ULIDs. Any id of that form routes to that partition if the queue
 *   has it.
 * - A task with a concurrency key or a unique key lives in the partition its key hashes to, so the key's limits
 *   and its uniqueness are exact (each is kept by one partition). A partition key, when given, places it the same way.
 * - Any other task with an id of the caller's lives where its id hashes to.
 * - Baton-generated ids without any key go round-robin, one partition per submit call.
 *
 * The count can only grow, and the queue keeps every count it has had (its history), so a task placed by a hash
 * under an older count is still found: a per-task call tries the current mapping, then the older ones, then every
 * other partition, and stops at the first that has the task.
 */
import type { LifecycleObserver } from './observer.js';

/** Between a queue's name and a partition's tag in a partition's address; never in a queue name. */
export const ADDRESS_SEPARATOR = '@';

/** The queue a partition address belongs to (a plain name is its own queue's partition 0). */
export function queueOfAddress(address: string): string {
  const at = address.indexOf(ADDRESS_SEPARATOR);
  return at < 0 ? address : address.slice(0, at);
}

/** Whether `name` addresses a partition other than 0. */
export function isPartitionAddress(name: string): boolean {
  return name.includes(ADDRESS_SEPARATOR);
}

const GENERATED_ID = /^[0-9A-HJKMNP-TV-Z]{26}\.([1-9]\d{0,2})$/;

/** A generated id placed in partition `partition`: partition 0 keeps the plain ULID. */
export function idInPartition(ulid: string, partition: number): string {
  return partition === 0 ? ulid : `${ulid}.${partition}`;
}

/** The partition a generated id names (undefined: the id names none). */
export function partitionOfId(id: string): number | undefined {
  const match = GENERATED_ID.exec(id);
  return match ? Number(match[1]) : undefined;
}

/** FNV-1a over UTF-16 code units: stable across processes and releases, which placement by hash needs. */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The partition a key (concurrency, unique, partition key, or a caller's id) hashes to among `count`. */
export function partitionOfKey(key: string, count: number): number {
  return count <= 1 ? 0 : hashText(key) % count;
}

/** What the partitioned stores need from storage about a queue's partitions. */
export interface PartitionLayout {
  /** Every partition count the queue has had, oldest first (one entry, 1, for a queue never partitioned). */
  partitionHistory(queue: string): Promise<number[]>;
  /** The addresses of the queue's partitions under that history, partition 0 (the queue's name) first. */
  partitionAddresses(queue: string, history: readonly number[]): string[];
  /** Tells every replica that the queue's partition count changed (they forget what they knew of it). */
  announcePartitions(queue: string): Promise<void>;
}

/** A queue's partitions as a replica knows them. */
export interface Partitioning {
  history: readonly number[];
  /** Partition p's address at index p. */
  addresses: readonly string[];
}

/** How long a replica trusts what it knows of a queue's partitions before it reads them again (a lost notice). */
const PARTITIONS_TRUSTED_MS = 10_000;

/**
 * What this replica knows of each queue's partitions. A change of count is announced to every replica (the store's
 * change notices), which forget what they knew; a lost notice costs at most PARTITIONS_TRUSTED_MS of a stale count,
 * and a per-task call that misses reads the count again before it gives up.
 */
export class PartitionDirectory {
  private readonly known = new Map<string, { partitioning: Promise<Partitioning>; at: number }>();

  constructor(readonly layout: PartitionLayout) {}

  async of(queue: string): Promise<Partitioning> {
    const entry = this.known.get(queue);
    const now = Date.now();
    if (entry && now - entry.at < PARTITIONS_TRUSTED_MS) return entry.partitioning;
    const partitioning = this.layout.partitionHistory(queue).then((history) => ({
      history,
      addresses: this.layout.partitionAddresses(queue, history),
    }));
    // What was known stays in use while the new read is under way; a failed read is tried again next time.
    this.known.set(queue, { partitioning, at: now });
    partitioning.catch(() => {
      if (this.known.get(queue)?.partitioning === partitioning) this.known.delete(queue);
    });
    return entry ? entry.partitioning.catch(() => partitioning) : partitioning;
  }

  /** Reads the queue's partitions again, now. */
  async fresh(queue: string): Promise<Partitioning> {
    this.forget(queue);
    return this.of(queue);
  }

  forget(queue: string): void {
    this.known.delete(queue);
  }

  /** Forgets every queue (notices may have been missed). */
  clear(): void {
    this.known.clear();
  }
}

/**
 * An observer told of partitions (by the stores below the partitioned ones, and maintenance) that tells `observer`
 * of their queues: metrics count a queue once, by name, whatever its partitions.
 */
export function observingQueues(observer: LifecycleObserver): LifecycleObserver {
  return {
    queuesKnown: (queues) => {
      observer.queuesKnown(queues.filter((name) => !isPartitionAddress(name)));
    },
    tasksCreated: (queue, tasks) => {
      observer.tasksCreated(queueOfAddress(queue), tasks);
    },
    submitsDeduplicated: (queue, existing, debounced) => {
      observer.submitsDeduplicated(queueOfAddress(queue), existing, debounced);
    },
    tasksLeased: (queue, tasks, via) => {
      observer.tasksLeased(queueOfAddress(queue), tasks, via);
    },
    tasksCompleted: (queue, tasks) => {
      observer.tasksCompleted(queueOfAddress(queue), tasks);
    },
    taskFailed: (task) => {
      observer.taskFailed(task);
    },
    taskCancelled: (task) => {
      observer.taskCancelled(task);
    },
    expiriesHandled: (queue, expiries) => {
      observer.expiriesHandled(queueOfAddress(queue), expiries);
    },
  };
}

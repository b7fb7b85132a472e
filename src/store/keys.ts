/**
 * Redis key and channel names. Each partition of a queue has keys sharing one hash tag, so every script runs on one
 * cluster slot: partition 0 (the queue's name) has {q:<queue>:0}, partition p > 0 (the address `<queue>@<tag>`, see
 * domain/partitions.ts) has {q:<queue>:<tag>}, the tag chosen to spread the partitions over the slots
 * (partitionSlots.ts).
 *
 * A namespace lets several Baton installs share one Redis: every key and channel of an install named `ns` starts
 * with `baton:ns:` and every hash tag starts with `ns:` ({ns:q:<queue>:0}), so installs neither read each other's
 * keys nor crowd into each other's slots. Without a namespace the names are Baton's original ones (`baton:`, {q:..}),
 * so existing data stays readable. Every name is made here, by the install's Keyspace: a new key belongs here too.
 */

/** Characters and length a namespace may have: part of every key, so no hash-tag braces, no separator. */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** Why `namespace` cannot be one (a message for the user), or undefined when it can. */
export function namespaceProblem(namespace: string): string | undefined {
  return NAMESPACE_PATTERN.test(namespace) ? undefined : `"${namespace}" is not 1 to 32 letters, digits, '_' or '-'`;
}

import { ADDRESS_SEPARATOR } from '../domain/partitions.js';
import { partitionTags, slotOfTagContent } from './partitionSlots.js';

export const QUEUE_KEY_COUNT = 22;
export const REGISTRY_KEY_COUNT = 2;
export const SCHEDULE_KEY_COUNT = 3;

/** Partitioned queues whose partition addresses a Keyspace remembers (computing them searches for slots). */
const ADDRESS_CACHE_MAX = 10_000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every key and channel name of one Baton install. */
export class Keyspace {
  /** What every key and channel name starts with: `baton:`, or `baton:<namespace>:`. */
  readonly prefix: string;
  /** Names of all queues ever used (its own slot; written once per queue per process). */
  readonly queues: string;
  /** Queues with something due (a lease, a delay, a deadline), by when: what maintenance reaps. */
  readonly due: string;
  /** Queues a replica's maintenance is reaping, by when its claim lapses (claimDue.lua): in the slot of `due`. */
  readonly dueClaims: string;
  /** Where the slow maintenance sweep has got to, shared by the replicas (its own slot). */
  readonly sweep: string;
  /** appendLogs.lua publishes `<logs key> <task id>` here when it appended lines (log followers wait for it). */
  readonly logsChannel: string;
  /** Scripts publish a queue's tasks key here when tasks may have become claimable. */
  readonly wakeChannel: string;
  /** Scripts publish a queue's events key here, once per run that appended events to it. */
  readonly eventsChannel: string;
  /** A queue's name is published here when its partition count changes (replicas read it again). */
  readonly partitionsChannel: string;
  /** Schedule names, in order (see scheduleKeys). */
  readonly scheduleIds: string;
  /** Schedules by when they next fire. */
  readonly schedulesDue: string;

  private readonly tagStart: string;
  private readonly addressCache = new Map<string, string[]>();
  private readonly schedules: string;
  private readonly tasksKeyPattern: RegExp;
  private readonly eventsKeyPattern: RegExp;
  private readonly logsMessagePattern: RegExp;

  /** `namespace` '' is no namespace: Baton's original names. Others must pass namespaceProblem. */
  constructor(readonly namespace = '') {
    const problem = namespace === '' ? undefined : namespaceProblem(namespace);
    if (problem !== undefined) throw new Error(`namespace ${problem}`);
    // The scripts name their channels by this prefix too (the part of a key before its hash tag, see
    // lua/includes/channels.lua): it must never contain '{'.
    this.prefix = namespace === '' ? 'baton:' : `baton:${namespace}:`;
    this.tagStart = namespace === '' ? '{' : `{${namespace}:`;
    this.queues = `${this.prefix}queues`;
    // Without a namespace the due index keeps its original name; its claims join its slot by a hash tag that is
    // that whole name.
    this.due = namespace === '' ? 'baton:due' : `${this.prefix}{${namespace}:m}:due`;
    this.dueClaims = namespace === '' ? 'baton:{baton:due}:claims' : `${this.prefix}{${namespace}:m}:claims`;
    this.sweep = `${this.prefix}sweep`;
    this.logsChannel = `${this.prefix}logs`;
    this.wakeChannel = `${this.prefix}wake`;
    this.eventsChannel = `${this.prefix}events`;
    this.partitionsChannel = `${this.prefix}partitions`;
    // Schedules: all in one slot, so each change is one script.
    this.schedules = `${this.prefix}${this.tagStart}s}`;
    this.scheduleIds = `${this.schedules}:ids`;
    this.schedulesDue = `${this.schedules}:due`;
    // Any partition's keys name their queue: a partition's tag has neither ':' nor '}'.
    const queueTag = `${escapeRegExp(this.prefix + this.tagStart)}q:(.+):[^:}]+\\}`;
    this.tasksKeyPattern = new RegExp(`^${queueTag}:tasks$`);
    this.eventsKeyPattern = new RegExp(`^${queueTag}:events$`);
    this.logsMessagePattern = new RegExp(`^${queueTag}:logs (\\S+)$`);
  }

  /**
   * The keyset every lifecycle script receives as KEYS, in this order (see lua/includes/keys.lua), for a queue's
   * partition 0 (its name) or another partition (its address).
   */
  queueKeys(queue: string): string[] {
    const base = this.queueBase(queue);
    return [
      `${base}:tasks`,
      `${base}:pending`,
      `${base}:scheduled`,
      `${base}:active`,
      `${base}:deadlines`,
      `${base}:done`,
      `${base}:index`,
      `${base}:meta`,
      `${base}:completed`,
      `${base}:workers`,
      `${base}:events`,
      `${base}:logs`,
      `${base}:unique`,
      `${base}:uniqueEnds`,
      `${base}:waiting`,
      `${base}:flows`,
      `${base}:notices`,
      `${base}:keyWaiting`,
      `${base}:keyHeld`,
      `${base}:keyActive`,
      `${base}:keyRates`,
      `${base}:keyThrottled`,
    ];
  }

  /** The queue's tasks under lease, by lease expiry (the fourth key of its keyset). */
  activeKey(queue: string): string {
    return `${this.queueBase(queue)}:active`;
  }

  /** The queue's event stream (the events key of its keyset). */
  eventsKey(queue: string): string {
    return `${this.queueBase(queue)}:events`;
  }

  /** The worker registry: its own slot, written once per worker per second at most by each replica. */
  registryKeys(): string[] {
    const base = `${this.prefix}${this.tagStart}w}`;
    return [`${base}:workers`, `${base}:seen`];
  }

  /** The keyset every schedule script receives as KEYS: the name index, the due set, the schedule's record. */
  scheduleKeys(name: string): string[] {
    return [this.scheduleIds, this.schedulesDue, `${this.schedules}:schedule:${name}`];
  }

  queueOfTasksKey(key: string): string | undefined {
    return this.tasksKeyPattern.exec(key)?.[1];
  }

  queueOfEventsKey(key: string): string | undefined {
    return this.eventsKeyPattern.exec(key)?.[1];
  }

  /** The queue and task a message on the logs channel names. */
  taskOfLogsMessage(message: string): { queue: string; id: string } | undefined {
    const match = this.logsMessagePattern.exec(message);
    return match ? { queue: match[1] ?? '', id: match[2] ?? '' } : undefined;
  }

  /** The addresses of a queue's partitions under its count history (see partitionSlots.ts), partition 0 first. */
  partitionAddresses(queue: string, history: readonly number[]): string[] {
    const cacheKey = `${queue} ${history.join(',')}`;
    let addresses = this.addressCache.get(cacheKey);
    if (!addresses) {
      const tagStart = this.tagStart.slice(1);
      const tags = partitionTags(history, (tag) => slotOfTagContent(`${tagStart}q:${queue}:${tag}`));
      addresses = tags.map((tag, p) => (p === 0 ? queue : `${queue}${ADDRESS_SEPARATOR}${tag}`));
      if (this.addressCache.size >= ADDRESS_CACHE_MAX) this.addressCache.clear();
      this.addressCache.set(cacheKey, addresses);
    }
    return addresses;
  }

  private queueBase(address: string): string {
    const at = address.indexOf(ADDRESS_SEPARATOR);
    const [queue, tag] = at < 0 ? [address, '0'] : [address.slice(0, at), address.slice(at + 1)];
    return `${this.prefix}${this.tagStart}q:${queue}:${tag}}`;
  }
}

/** The keys of an install without a namespace (Baton's original names), for tools and tests. */
export const DEFAULT_KEYSPACE = new Keyspace();

/** A schedule is named "<queue>/<id>" (a queue name has no '/'), which orders them by queue, then id. */
export function scheduleName(queue: string, id: string): string {
  return `${queue}/${id}`;
}

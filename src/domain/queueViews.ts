/** What operators see of a queue and may change of it: its settings, counts and flow control, per worker. */
import type { TaskState } from './task.js';

export interface QueueSettings {
  maxAttempts: number;
  leaseDurationMs: number;
  /** 0: the server's default. */
  retentionMs: number;
  completedRingSize: number;
  /** About how many events the queue's stream keeps. */
  eventRetention: number;
  /** About how long the queue's stream keeps an event; 0: no age limit. */
  eventMaxAgeMs: number;
  /** Quota: most scheduled and pending tasks; 0: no limit. */
  maxPendingTasks: number;
  /** Quota: most payload bytes stored in the queue's tasks; 0: no limit. */
  maxStoredPayloadBytes: number;
  /** Most tasks of one concurrency key ACTIVE at once; 0: no limit. */
  concurrencyKeyLimit: number;
  /** Most claims of the queue's tasks per period; undefined: no limit. */
  claimRateLimit?: RateLimit;
  /** Most claims of one concurrency key's tasks per period; undefined: no limit. */
  keyRateLimit?: RateLimit;
  /** How many partitions the queue is spread over (domain/partitions.ts); absent or 1: not partitioned. */
  partitions?: number;
}

/** At most `claims` claims per `periodMs`. */
export interface RateLimit {
  claims: number;
  periodMs: number;
}

/** A change of a rate limit: a new one, or null to remove it. */
export type RateLimitChange = RateLimit | null;

/** One concurrency key's use of its slots. */
export interface ConcurrencyKeyUsage {
  key: string;
  active: number;
  waiting: number;
}

export type QueueChanges = Partial<Omit<QueueSettings, 'claimRateLimit' | 'keyRateLimit'>> & {
  paused?: boolean;
  /** Every partition count the queue has had, the new one last: what each partition's settings record. */
  partitionHistory?: readonly number[];
  claimRateLimit?: RateLimitChange;
  keyRateLimit?: RateLimitChange;
};

export interface QueueInfo {
  name: string;
  /** Every partition count the queue has had, oldest first; absent: [1], never partitioned. */
  partitionHistory?: number[];
  counts: Record<TaskState, number>;
  /** Undefined when nothing is pending. */
  oldestPendingAgeMs?: number;
  paused: boolean;
  settings: QueueSettings;
  lastClaimTime?: number;
  /** Workers seen in this queue within the live window. */
  liveWorkers: number;
  /** Payload bytes of the queue's tasks (those created since the count existed). */
  storedPayloadBytes: number;
  /** Unique keys stored: held, or not yet dropped (see lua/includes/uniqueKeys.lua). */
  uniqueKeys: number;
  /** The concurrency keys with the most ACTIVE tasks, most first (a few). */
  topConcurrencyKeys: ConcurrencyKeyUsage[];
  /** PENDING tasks waiting for a slot of their concurrency key (or a token of its rate limit). */
  keyLimitedTasks: number;
  /** Claims the queue's rate limit cut short. */
  throttledClaims: number;
  /** How long in all the queue's rate limit held claimable tasks back (ms). */
  throttledMs: number;
  /** Times a task was held back for want of a token of its key's rate limit. */
  keyThrottledTasks: number;
  /** Keys waiting for a token of their rate limit now. */
  throttledKeys: number;
}

export interface QueueWorkerStats {
  workerId: string;
  lastSeen: number;
  completed: number;
  failed: number;
  active: number;
}

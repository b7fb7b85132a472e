import type { MetadataEntry, TaskState, TraceContext } from './task.js';

/** What callers ask for, before validation. Optional fields are unset when absent from the request. */

export interface RetryPolicyInput {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** 0: the default. */
  multiplier: number;
  jitter: number;
}

export interface SubmitInput {
  queue: string;
  /** Empty: generate one. */
  taskId: string;
  payload: Buffer;
  metadata: Record<string, string>;
  priority: number;
  delayMs?: number;
  scheduleTime?: number;
  /** 0: the default. */
  maxAttempts: number;
  leaseDurationMs?: number;
  expireTime?: number;
  retryPolicy?: RetryPolicyInput;
  /** Empty: untyped. */
  type: string;
  /** The producer's W3C trace context, when it sent one. */
  traceContext?: TraceContext;
  /** Empty or absent: an ordinary submit. With it, exactly one of uniqueForMs, uniqueUntilFinished, debounceMs. */
  uniqueKey?: string;
  uniqueForMs?: number;
  uniqueUntilFinished?: boolean;
  debounceMs?: number;
  /** Empty or absent: none. */
  concurrencyKey?: string;
  /** Places the task in a partitioned queue by this key's hash; empty or absent: none. */
  partitionKey?: string;
}

export interface ClaimInput {
  queues: string[];
  workerId: string;
  /** 0: one. */
  maxTasks: number;
  leaseDurationMs?: number;
  waitTimeoutMs?: number;
}

export interface StartInput {
  task: SubmitInput;
  workerId: string;
  leaseDurationMs?: number;
  leaseToken: string;
  force: boolean;
}

export interface HeartbeatInput {
  queue: string;
  taskId: string;
  leaseToken: string;
  leaseDurationMs?: number;
  progress?: { current: number; total: number; message: string };
}

export interface CompleteInput {
  queue: string;
  taskId: string;
  leaseToken: string;
  result: Buffer;
}

export interface FailInput {
  queue: string;
  taskId: string;
  leaseToken: string;
  error: { type: string; message: string; details: string };
  permanent: boolean;
  retryDelayMs?: number;
}

export interface ListInput {
  queue: string;
  state?: TaskState;
  /** 0: the default. */
  pageSize: number;
  pageToken: string;
  includePayload: boolean;
  /** Empty: any type. */
  type: string;
  /** Only tasks whose metadata holds this entry. */
  metadata?: MetadataEntry;
  /** Only children of this parent; empty: any. */
  parentId?: string;
  /** Only tasks of the flow with this root; empty: any. */
  rootId?: string;
}

import type { TaskState } from './task.js';

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
}

import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { Task as Task, TaskError } from './contract.js';
import type { BatonClient } from './client.js';
import type { CompletionBatcher } from './completions.js';
import { LeaseLostError, PermanentError, RetryError, statusOf } from './errors.js';
import { durationFromMs } from './time.js';
import { LEASE_GONE_CODES } from './heartbeats.js';
import type { LeaseKeeper, LeasedTask } from './heartbeats.js';

/** What a handler came to: the bytes it returned, or what it threw. */
export type Outcome = { ok: true; result: Buffer } | { ok: false; error: unknown };

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;

/** How long to wait before retry number `attempt` (from 0): doubling from 100 ms up to 5 s, with jitter. */
export function backoff(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toTaskError(error: unknown): Pick<TaskError, 'type' | 'message' | 'details'> {
  if (error instanceof Error) return { type: error.name, message: error.message, details: error.stack ?? '' };
  return { type: typeof error, message: String(error), details: '' };
}

/**
 * Records outcomes with the server: a completion together with the others of its event-loop turn
 * (CompletionBatcher), a failure with FailTask; retried while the server is unreachable and the lease may hold.
 */
export class OutcomeReporter<T extends LeasedTask> {
  constructor(
    private readonly client: BatonClient,
    private readonly completions: CompletionBatcher,
    private readonly leases: LeaseKeeper<T>,
    private readonly report: (error: unknown) => void,
  ) {}

  /**
   * Returns the server's copy of the task afterwards, or undefined when the outcome could not be recorded.
   * `refused`: the answer to a try the caller made already.
   */
  async record(entry: T, outcome: Outcome, refused?: { error: unknown }): Promise<Task | undefined> {
    let failedTry = refused;
    for (let attempt = 0; ; attempt++) {
      if (!failedTry) {
        if (entry.lease.lost) return undefined;
        try {
          return await this.send(entry, outcome);
        } catch (error) {
          failedTry = { error };
        }
      }
      const { error } = failedTry;
      failedTry = undefined;
      const code = statusOf(error);
      if (code === grpc.status.ABORTED && attempt > 0 && !outcome.ok) return undefined; // an earlier try got through
      if (code !== undefined && LEASE_GONE_CODES.has(code)) {
        this.leases.lose(entry, new LeaseLostError(`the server refused the outcome: ${describe(error)}`, { cause: error }));
        return undefined;
      }
      // Repeating a complete is safe even if the first one got through; repeating a fail only when it did not.
      const transient = code === grpc.status.UNAVAILABLE || (code === grpc.status.DEADLINE_EXCEEDED && outcome.ok);
      const wait = backoff(attempt);
      if (!transient || performance.now() + wait >= entry.lease.deadline) {
        this.report(error);
        return undefined; // the lease runs out and the server requeues the task
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** One try; throws what the server refused it with. */
  private async send(entry: T, outcome: Outcome): Promise<Task | undefined> {
    const { task, token } = entry;
    if (outcome.ok) {
      const completion = await this.completions.complete(task, token, outcome.result);
      if ('error' in completion) throw completion.error;
      return completion.task;
    }
    const failed = await this.client.failTask(
      {
        queue: task.queue,
        task_id: task.id,
        lease_token: token,
        error: toTaskError(outcome.error),
        // A cancelled task ends CANCELLED whatever the flag says; a PermanentError ends it FAILED.
        permanent: entry.lease.cancelRequested || outcome.error instanceof PermanentError,
        ...(outcome.error instanceof RetryError ? { retry_delay: durationFromMs(outcome.error.retryDelay) } : {}),
      },
      { retry: false },
    );
    return failed.task ?? undefined;
  }
}

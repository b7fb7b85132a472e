import * as grpc from '@grpc/grpc-js';
import { statusOf } from './errors.js';

export interface CallOptions {
  /** Milliseconds until the call fails with DEADLINE_EXCEEDED, retries included. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Retry on UNAVAILABLE (with backoff, within the deadline). Each method defaults to what is safe for it: reads,
   * cancels, heartbeats, completes, claims, submits that name their task ids and the idempotent queue controls
   * (pause, resume, update, register) retry; the rest (purge, bulk retry, ...) do not.
   */
  retry?: boolean;
}

/** Calls that wait on the server get this much on top of their wait. */
export const DEFAULT_TIMEOUT_MS = 10_000;
const RETRY_FIRST_DELAY_MS = 50;
const RETRY_MAX_DELAY_MS = 2_000;

/** Starts one unary call: a grpc-js client method with its request already bound. */
export type Invoke<Response> = (options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<Response>) => grpc.ClientUnaryCall;

function callOnce<Response>(invoke: Invoke<Response>, deadline: Date, signal: AbortSignal | undefined): Promise<Response> {
  return new Promise((resolve, reject) => {
    const pending = invoke({ deadline }, (error, response) => {
      signal?.removeEventListener('abort', cancel);
      if (error) reject(error);
      else if (response === undefined) reject(new Error('empty response'));
      else resolve(response);
    });
    const cancel = (): void => {
      pending.cancel();
    };
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** What a call needs of its client to try the next server after UNAVAILABLE (see BatonClient.failover). */
export interface Failover {
  readonly generation: number;
  failover(from: number): void;
}

export async function call<Response>(
  client: Failover,
  invoke: Invoke<Response>,
  options: CallOptions,
  retrySafe: boolean,
): Promise<Response> {
  const deadlineMs = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const retry = options.retry ?? retrySafe;
  for (let attempt = 0; ; attempt++) {
    const generation = client.generation;
    try {
      return await callOnce(invoke, new Date(deadlineMs), options.signal);
    } catch (error) {
      if (statusOf(error) === grpc.status.UNAVAILABLE) client.failover(generation);
      if (!retry || statusOf(error) !== grpc.status.UNAVAILABLE || options.signal?.aborted) throw error;
      // Full jitter keeps a crowd of clients from coming back in step after an outage.
      const delay = Math.random() * Math.min(RETRY_MAX_DELAY_MS, RETRY_FIRST_DELAY_MS * 2 ** attempt);
      if (Date.now() + delay >= deadlineMs) throw error;
      await sleep(delay, options.signal);
    }
  }
}

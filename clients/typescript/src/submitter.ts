import * as grpc from '@grpc/grpc-js';
import { SubmitTaskRequest } from './contract.js';
import type { ItemError, SubmitTasksResult, SubmitTasksStreamRequest, SubmitTasksStreamResponse } from './contract.js';
import type { BatonClient } from './client.js';
import { statusError, statusOf } from './errors.js';
import { toSubmitRequest } from './payloads.js';
import type { SubmitTaskInput } from './payloads.js';

export interface SubmitterOptions {
  /** Resolve each submit with the whole stored task in `task`, not only its id and state. Default false. */
  returnTasks?: boolean;
}

/** The server's limit of items per SubmitTasks batch. */
const MAX_ITEMS_PER_MESSAGE = 1000;
/** Keeps a message well inside gRPC's default 4 MiB message limit (a single larger payload still goes alone). */
const MAX_PAYLOAD_BYTES_PER_MESSAGE = 1024 * 1024;
/** How long a submit that names its task id keeps being resent after its stream broke (as submitTask retries). */
const RETRY_WITHIN_MS = 10_000;
const RETRY_FIRST_DELAY_MS = 50;
const RETRY_MAX_DELAY_MS = 2_000;

type SubmitStreamCall = grpc.ClientDuplexStream<SubmitTasksStreamRequest, SubmitTasksStreamResponse>;

interface PendingSubmit {
  request: SubmitTaskRequest;
  resolve: (result: SubmitTasksResult) => void;
  reject: (error: unknown) => void;
  /** Set when its stream first broke under it: it is resent until then. */
  retryUntil?: number;
}

/** One stream and its messages that wait for an answer, oldest first (the server answers in order). */
interface OpenStream {
  call: SubmitStreamCall;
  unanswered: PendingSubmit[][];
  /** The client's address generation it was opened in (see BatonClient.failover). */
  generation: number;
}

function itemFailure(error: ItemError): grpc.ServiceError {
  return statusError(error.code, error.message);
}

/**
 * Submits over one long-lived SubmitTasksStream, for producers that submit continuously. A message costs the
 * server far less than a call, and arrives sooner. submit() calls made in the same turn travel in one message.
 *
 * Each submit resolves with its result (id, created, state) or rejects with a gRPC-style error: the item's own
 * (e.g. INVALID_ARGUMENT), or UNAVAILABLE when its stream broke before the answer. A submit that names its task id
 * is then resent on a new stream for up to 10 s, since submitting it twice is harmless; one without an id is not,
 * because it may have been stored.
 */
export class TaskSubmitter {
  private stream: OpenStream | undefined;
  /** Submits not sent yet, in the order they were made. */
  private readonly waiting: PendingSubmit[] = [];
  private flushScheduled = false;
  /** The stream's buffer is full: sending waits for 'drain'. */
  private blocked = false;
  private retryDelayMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly settledWaiters: (() => void)[] = [];

  constructor(
    private readonly client: BatonClient,
    private readonly options: SubmitterOptions = {},
  ) {}

  /** Submits one task; its payload as in BatonClient.submitTask (bytes, a UTF-8 string, or `json`). */
  submit(input: SubmitTaskInput): Promise<SubmitTasksResult> {
    if (this.closed) return Promise.reject(new Error('the submitter is closed'));
    return new Promise((resolve, reject) => {
      const request = SubmitTaskRequest.fromPartial(toSubmitRequest(input)); // its TypeError rejects the promise
      this.waiting.push({ request, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Sends what is waiting, waits until every submit has settled, then ends the stream. */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    if (this.pendingCount() > 0) await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
    clearTimeout(this.retryTimer);
    this.stream?.call.end();
    this.stream = undefined;
  }

  private pendingCount(): number {
    const unanswered = this.stream?.unanswered.reduce((sum, message) => sum + message.length, 0) ?? 0;
    return this.waiting.length + unanswered;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.blocked || this.retryTimer !== undefined) return;
    while (this.waiting.length > 0) {
      const stream = (this.stream ??= this.open());
      const items = this.takeMessage();
      stream.unanswered.push(items);
      const fits = stream.call.write({
        requests: items.map((item) => item.request),
        return_tasks: this.options.returnTasks ?? false,
      });
      if (!fits) {
        this.blocked = true;
        stream.call.once('drain', () => {
          this.blocked = false;
          this.flush();
        });
        return;
      }
    }
  }

  private takeMessage(): PendingSubmit[] {
    let bytes = 0;
    let count = 0;
    for (const item of this.waiting) {
      bytes += item.request.payload.length;
      if (count === MAX_ITEMS_PER_MESSAGE || (count > 0 && bytes > MAX_PAYLOAD_BYTES_PER_MESSAGE)) break;
      count += 1;
    }
    return this.waiting.splice(0, count);
  }

  private open(): OpenStream {
    const generation = this.client.generation;
    const stream: OpenStream = { call: this.client.tasks.submitTasksStream(), unanswered: [], generation };
    stream.call.on('data', (response: SubmitTasksStreamResponse) => {
      this.retryDelayMs = 0;
      const items = stream.unanswered.shift() ?? [];
      items.forEach((item, i) => {
        const result = response.results[i];
        if (!result) item.reject(statusError(grpc.status.INTERNAL, 'the server answered fewer items than were sent'));
        else if (result.error) item.reject(itemFailure(result.error));
        else item.resolve(result);
      });
      this.notifyIfSettled();
    });
    stream.call.on('error', (error: unknown) => {
      this.broken(stream, error);
    });
    stream.call.on('status', (status: grpc.StatusObject) => {
      // A stream that ends OK (after close(), or if the server ends it early) leaves nothing to answer.
      if (status.code === grpc.status.OK) this.broken(stream, statusError(grpc.status.UNAVAILABLE, 'the stream ended'));
    });
    return stream;
  }

  /** The stream ended: what it left unanswered is resent (named submits) or fails. */
  private broken(stream: OpenStream, error: unknown): void {
    if (this.stream === stream) {
      this.stream = undefined;
      this.blocked = false;
    }
    const unavailable = statusOf(error) === grpc.status.UNAVAILABLE;
    // Given several servers, the next stream goes to the next one.
    if (unavailable) this.client.failover(stream.generation);
    const now = Date.now();
    const resend: PendingSubmit[] = [];
    for (const item of stream.unanswered.splice(0).flat()) {
      item.retryUntil ??= now + RETRY_WITHIN_MS;
      if (unavailable && item.request.task_id && now < item.retryUntil) resend.push(item);
      else item.reject(error);
    }
    if (resend.length > 0) {
      this.waiting.unshift(...resend);
      this.retryDelayMs = Math.min(RETRY_MAX_DELAY_MS, Math.max(RETRY_FIRST_DELAY_MS, this.retryDelayMs * 2));
      clearTimeout(this.retryTimer);
      // Full jitter keeps a crowd of producers from coming back in step after an outage.
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.flush();
      }, Math.random() * this.retryDelayMs);
    }
    this.notifyIfSettled();
  }

  private notifyIfSettled(): void {
    if (this.pendingCount() > 0) return;
    for (const settled of this.settledWaiters.splice(0)) settled();
  }
}

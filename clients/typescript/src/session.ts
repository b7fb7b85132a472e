import * as grpc from '@grpc/grpc-js';
import { WorkTasksRequest } from './contract.js';
import type { ClaimedTask, CompleteTaskRequest, CompleteTasksResult, WorkTasksResponse, WorkTasksStart } from './contract.js';
import type { BatonClient } from './client.js';
import { statusError } from './errors.js';

/** One message's completions, waiting for the server's answer to them. */
interface AwaitedAnswer {
  resolve: (results: CompleteTasksResult[]) => void;
  reject: (error: unknown) => void;
}

/** The most credit one message may grant (WorkTasksRequest.credit). */
const MAX_CREDIT_PER_MESSAGE = 1000;

/**
 * One WorkTasks stream, seen from a worker: credit out, tasks in, completions out, their results in. Each
 * complete() is one message (the caller batches), carrying the credit granted since the last one.
 *
 * Credit granted alone waits while the server still holds more than half of the worker's window (as HTTP/2 holds
 * back WINDOW_UPDATE): it rides on the next completion instead of costing both sides a message of its own. Once the
 * server is down to half (always, for a window of 1 or 2), it goes out at the end of the event-loop turn.
 */
export class TaskSession {
  /** Settles when the stream has ended: with undefined when it ended OK, else with its error. */
  readonly ended: Promise<unknown>;
  private readonly stream: grpc.ClientDuplexStream<WorkTasksRequest, WorkTasksResponse>;
  /** One per message written with completions, oldest first: the server answers in that order. */
  private readonly sent: AwaitedAnswer[] = [];
  /** Credit granted by the worker and not sent yet. */
  private credit = 0;
  /** Credit sent so far; less `delivered`, what the server may still push (less what is on its way). */
  private creditSent = 0;
  /** The server holding at most this much credit is told of new credit at once. */
  private readonly lowWater: number;
  private writeScheduled = false;
  private open = true;
  /** close() was called: the stream is half-closed. */
  private closed = false;
  private delivered = 0;

  constructor(
    client: BatonClient,
    start: WorkTasksStart,
    /** The most tasks the worker holds at once (running and prefetched). */
    window: number,
    initialCredit: number,
    onTasks: (tasks: ClaimedTask[]) => void,
  ) {
    this.lowWater = Math.floor(window / 2);
    this.stream = client.workers.workTasks();
    this.stream.on('data', (message: WorkTasksResponse) => {
      if (message.completed.length > 0) this.sent.shift()?.resolve(message.completed);
      if (message.tasks.length > 0) {
        this.delivered += message.tasks.length;
        if (this.credit > 0) this.scheduleWrite();
        onTasks(message.tasks);
      }
    });
    this.ended = new Promise((resolve) => {
      const end = (error: unknown): void => {
        if (!this.open) return;
        this.open = false;
        // Unanswered completions may or may not have been made; repeating them is safe, so they fail as retryable.
        const lost = statusError(
          grpc.status.UNAVAILABLE,
          `the session ended before answering these completions${error instanceof Error ? `: ${error.message}` : ''}`,
        );
        for (const answer of this.sent.splice(0)) answer.reject(lost);
        resolve(error);
      };
      this.stream.on('error', end);
      this.stream.on('end', () => {
        end(undefined);
      });
    });
    this.stream.write(WorkTasksRequest.fromPartial({ start }));
    this.grant(initialCredit);
    this.flush();
  }

  /** Whether completions and credit can still be sent. */
  get isOpen(): boolean {
    return this.open && !this.closed;
  }

  /** Tasks the server pushed on this session. */
  get tasksReceived(): number {
    return this.delivered;
  }

  /** Lets the server push `count` more tasks. */
  grant(count: number): void {
    this.credit += count;
    this.scheduleWrite();
  }

  /** Completes up to 1,000 tasks (within the server's message size); resolves with one result per item, in order. */
  complete(items: CompleteTaskRequest[]): Promise<CompleteTasksResult[]> {
    return new Promise((resolve, reject) => {
      if (!this.isOpen) {
        reject(statusError(grpc.status.UNAVAILABLE, 'the session has ended'));
        return;
      }
      this.sent.push({ resolve, reject });
      this.stream.write({ credit: this.takeCredit(), completions: items });
    });
  }

  /**
   * Asks the server to stop pushing; it answers what it received, then ends the stream. Nothing more can be sent
   * (isOpen is false from now on).
   */
  close(): void {
    this.flush();
    if (!this.open || this.closed) return;
    this.closed = true;
    this.stream.end();
  }

  private scheduleWrite(): void {
    if (this.writeScheduled || this.creditSent - this.delivered > this.lowWater) return;
    this.writeScheduled = true;
    // A handler that ends frees its slot (credit), then reports its outcome, which the completion batcher sends at
    // the next setImmediate: credit written one turn of immediates later rides on that message, and the server
    // claims with it in the completions' own script.
    setImmediate(() => {
      setImmediate(() => {
        this.flush();
      });
    });
  }

  private flush(): void {
    this.writeScheduled = false;
    if (!this.isOpen) return;
    while (this.credit > 0) this.stream.write({ credit: this.takeCredit(), completions: [] });
  }

  private takeCredit(): number {
    const credit = Math.min(this.credit, MAX_CREDIT_PER_MESSAGE);
    this.credit -= credit;
    this.creditSent += credit;
    return credit;
  }
}

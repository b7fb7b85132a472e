import * as grpc from '@grpc/grpc-js';
import type { ClaimedTask__Output } from '../grpc/generated/baton/v1/ClaimedTask.js';
import type { CompleteTaskRequest } from '../grpc/generated/baton/v1/CompleteTaskRequest.js';
import type { CompleteTasksResult__Output } from '../grpc/generated/baton/v1/CompleteTasksResult.js';
import type { WorkTasksRequest } from '../grpc/generated/baton/v1/WorkTasksRequest.js';
import type { WorkTasksResponse__Output } from '../grpc/generated/baton/v1/WorkTasksResponse.js';
import type { WorkTasksStart } from '../grpc/generated/baton/v1/WorkTasksStart.js';
import type { BatonClient } from './client.js';

/** Completions the server answers together, in one message: they wait for their results. */
interface AwaitedAnswer {
  resolve: (results: CompleteTasksResult__Output[]) => void;
  reject: (error: unknown) => void;
}

/** One complete() call not yet written. */
interface Unsent extends AwaitedAnswer {
  items: CompleteTaskRequest[];
  bytes: number;
}

/** The server's limits for one message (WorkTasksRequest). */
const MAX_CREDIT_PER_MESSAGE = 1000;
const MAX_COMPLETIONS_PER_MESSAGE = 1000;
/** Results per message, well under the server's message size limit. */
const MAX_RESULT_BYTES_PER_MESSAGE = 4 * 1024 * 1024;

/**
 * One WorkTasks stream, seen from a worker: credit out, tasks in, completions out, their results in. What is given
 * in one event-loop turn goes out as one message (or a few, within the server's limits per message).
 */
export class TaskSession {
  /** Settles when the stream has ended: with undefined when it ended OK, else with its error. */
  readonly ended: Promise<unknown>;
  private readonly stream: grpc.ClientDuplexStream<WorkTasksRequest, WorkTasksResponse__Output>;
  /** One per message written with completions, oldest first: the server answers in that order. */
  private readonly sent: AwaitedAnswer[] = [];
  private unsent: Unsent[] = [];
  private credit = 0;
  private writeScheduled = false;
  private open = true;
  /** close() was called: the stream is half-closed. */
  private closed = false;
  private delivered = 0;

  constructor(
    client: BatonClient,
    start: WorkTasksStart,
    initialCredit: number,
    onTasks: (tasks: ClaimedTask__Output[]) => void,
  ) {
    this.stream = client.workers.WorkTasks();
    this.stream.on('data', (message: WorkTasksResponse__Output) => {
      if (message.completed.length > 0) this.sent.shift()?.resolve(message.completed);
      this.delivered += message.tasks.length;
      if (message.tasks.length > 0) onTasks(message.tasks);
    });
    this.ended = new Promise((resolve) => {
      const end = (error: unknown): void => {
        if (!this.open) return;
        this.open = false;
        // Unanswered completions may or may not have been made; repeating them is safe, so they fail as retryable.
        const lost = Object.assign(
          new Error(`the session ended before answering these completions${error instanceof Error ? `: ${error.message}` : ''}`),
          { code: grpc.status.UNAVAILABLE },
        );
        for (const answer of [...this.sent.splice(0), ...this.unsent.splice(0)]) answer.reject(lost);
        resolve(error);
      };
      this.stream.on('error', end);
      this.stream.on('end', () => {
        end(undefined);
      });
    });
    this.stream.write({ start });
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

  /** Completes up to 1,000 tasks; resolves with one result per item, in order. */
  complete(items: CompleteTaskRequest[]): Promise<CompleteTasksResult__Output[]> {
    return new Promise((resolve, reject) => {
      if (!this.isOpen) {
        reject(new Error('the session has ended'));
        return;
      }
      const bytes = items.reduce((sum, item) => sum + (item.result?.length ?? 0), 0);
      this.unsent.push({ items, bytes, resolve, reject });
      this.scheduleWrite();
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
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setImmediate(() => {
      this.flush();
    });
  }

  private flush(): void {
    this.writeScheduled = false;
    if (!this.isOpen) return;
    while (this.unsent.length > 0) {
      const group = this.takeMessageWorth();
      this.sent.push({
        resolve: (results) => {
          let at = 0;
          for (const call of group) {
            call.resolve(results.slice(at, at + call.items.length));
            at += call.items.length;
          }
        },
        reject: (error) => {
          for (const call of group) call.reject(error);
        },
      });
      this.stream.write({ credit: this.takeCredit(), completions: group.flatMap((call) => call.items) });
    }
    while (this.credit > 0) this.stream.write({ credit: this.takeCredit() });
  }

  private takeMessageWorth(): Unsent[] {
    const group: Unsent[] = [];
    let items = 0;
    let bytes = 0;
    for (let next = this.unsent[0]; next; next = this.unsent[0]) {
      const full = items + next.items.length > MAX_COMPLETIONS_PER_MESSAGE || bytes + next.bytes > MAX_RESULT_BYTES_PER_MESSAGE;
      if (group.length > 0 && full) break;
      group.push(next);
      this.unsent.shift();
      items += next.items.length;
      bytes += next.bytes;
    }
    return group;
  }

  private takeCredit(): number {
    const credit = Math.min(this.credit, MAX_CREDIT_PER_MESSAGE);
    this.credit -= credit;
    return credit;
  }
}

import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { Lifecycle } from '../domain/lifecycle.js';
import type { Logger } from '../log.js';
import { submitInputFromProto, submitResultsToProto } from './convert.js';
import type { SubmitTasksStreamRequest__Output } from './generated/baton/v1/SubmitTasksStreamRequest.js';
import type { SubmitTasksStreamResponse } from './generated/baton/v1/SubmitTasksStreamResponse.js';
import { toStatus } from './status.js';

const METHOD = 'baton.v1.TaskService/SubmitTasksStream';
/**
 * Requests a stream may have in the works before the server stops reading it. Past this, HTTP/2 flow control
 * holds the client back, so a client that sends without reading the answers cannot grow the server's memory.
 */
const SUBMIT_STREAM_UNANSWERED_MAX = 16;

type SubmitCall = grpc.ServerDuplexStream<SubmitTasksStreamRequest__Output, SubmitTasksStreamResponse>;

/** TaskService.SubmitTasksStream: one SubmitStream per call. */
export function submitTasksStreamHandler(
  lifecycle: Lifecycle,
  shutdown: AbortSignal,
  log: Logger,
): grpc.handleBidiStreamingCall<SubmitTasksStreamRequest__Output, SubmitTasksStreamResponse> {
  return (call) => {
    new SubmitStream(call, lifecycle, shutdown, log).open();
  };
}

/**
 * Stores each request as it arrives (requests for one queue reach Redis in the order they were sent) and answers
 * them in that order, each answer written once the one before it is.
 */
class SubmitStream {
  /** The last answer in line; the next one is written after it. */
  private lastAnswer: Promise<void> = Promise.resolve();
  private unanswered = 0;
  /** Set while the client has not taken what was written. */
  private drained: Promise<void> | undefined;
  private stopping = false;
  private ended = false;

  constructor(
    private readonly call: SubmitCall,
    private readonly lifecycle: Lifecycle,
    private readonly shutdown: AbortSignal,
    private readonly log: Logger,
  ) {}

  open(): void {
    const onShutdown = (): void => {
      this.finish({ code: status.UNAVAILABLE, details: 'the server is shutting down; submit the rest on a new stream' });
    };
    this.shutdown.addEventListener('abort', onShutdown, { once: true });
    this.call.on('data', (request: SubmitTasksStreamRequest__Output) => {
      this.receive(request);
    });
    this.call.on('end', () => {
      this.finish();
    });
    this.call.on('cancelled', () => {
      this.stopping = true;
      this.ended = true;
    });
    this.call.on('close', () => {
      this.shutdown.removeEventListener('abort', onShutdown);
    });
    if (this.shutdown.aborted) onShutdown();
  }

  private receive(request: SubmitTasksStreamRequest__Output): void {
    if (this.stopping) return;
    const outcomes = (async () =>
      this.lifecycle.submitMany(request.requests.map(submitInputFromProto), request.return_tasks))();
    // Its failure is handled in turn below; until then it must not count as unhandled.
    outcomes.catch(() => undefined);
    this.unanswered += 1;
    if (this.unanswered >= SUBMIT_STREAM_UNANSWERED_MAX) this.call.pause();
    this.lastAnswer = this.lastAnswer.then(async () => {
      if (this.ended) return;
      try {
        const results = submitResultsToProto(await outcomes, request.return_tasks, METHOD, this.log);
        await this.write({ results });
      } catch (error) {
        this.fail(error);
      }
    });
  }

  private async write(response: SubmitTasksStreamResponse): Promise<void> {
    await this.drained;
    if (this.ended) return;
    if (!this.call.write(response)) {
      this.drained = new Promise((resolve) => this.call.once('drain', resolve));
    }
    this.unanswered -= 1;
    if (!this.stopping && this.unanswered < SUBMIT_STREAM_UNANSWERED_MAX) this.call.resume();
  }

  /** Reads no more requests, answers those already read, then ends (OK without a status). */
  private finish(endStatus?: Partial<grpc.StatusObject>): void {
    if (this.stopping) return;
    this.stopping = true;
    this.call.pause();
    void this.lastAnswer.then(() => {
      this.end(endStatus);
    });
  }

  private fail(error: unknown): void {
    this.stopping = true;
    this.end(toStatus(error, METHOD, this.log));
  }

  private end(endStatus?: Partial<grpc.StatusObject>): void {
    if (this.ended) return;
    this.ended = true;
    if (endStatus) this.call.emit('error', endStatus);
    else this.call.end();
  }
}

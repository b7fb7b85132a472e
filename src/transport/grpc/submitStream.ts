import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { Lifecycle } from '../../domain/lifecycle.js';
import type { Logger } from '../../log.js';
import { submitInputFromProto, submitResultsToProto } from './convert.js';
import type { SubmitTasksStreamRequest, SubmitTasksStreamResponse } from './contract.js';
import { StreamCall } from './streamCall.js';

const METHOD = 'baton.v1.TaskService/SubmitTasksStream';
/**
 * Requests a stream may have in the works before the server stops reading it. Past this, HTTP/2 flow control
 * holds the client back, so a client that sends without reading the answers cannot grow the server's memory.
 */
const SUBMIT_STREAM_UNANSWERED_MAX = 16;

type SubmitCall = grpc.ServerDuplexStream<SubmitTasksStreamRequest, SubmitTasksStreamResponse>;

/** TaskService.SubmitTasksStream: one SubmitStream per call. */
export function submitTasksStreamHandler(
  lifecycle: Lifecycle,
  shutdown: AbortSignal,
  log: Logger,
): grpc.handleBidiStreamingCall<SubmitTasksStreamRequest, SubmitTasksStreamResponse> {
  return (call) => {
    new SubmitStream(call, lifecycle, shutdown, log).open();
  };
}

/**
 * Stores each request as it arrives (requests for one queue reach Redis in the order they were sent) and answers
 * them in that order, each answer written once the one before it is. Ends OK after the client half-closes and
 * UNAVAILABLE when the server drains, in both cases once the requests already read are answered.
 */
class SubmitStream {
  /** The last answer in line; the next one is written after it. */
  private lastAnswer: Promise<void> = Promise.resolve();
  private unanswered = 0;
  private readonly stream: StreamCall<SubmitTasksStreamResponse, SubmitTasksStreamRequest>;

  constructor(
    private readonly call: SubmitCall,
    private readonly lifecycle: Lifecycle,
    shutdown: AbortSignal,
    private readonly log: Logger,
  ) {
    this.stream = new StreamCall<SubmitTasksStreamResponse, SubmitTasksStreamRequest>(call, {
      method: METHOD,
      log,
      shutdown,
      shutdownStatus: { code: status.UNAVAILABLE, details: 'the server is shutting down; submit the rest on a new stream' },
      settled: () => this.lastAnswer,
    });
  }

  open(): void {
    // Reads no more requests once stopping; those already read are still answered.
    this.stream.signal.addEventListener('abort', () => this.call.pause(), { once: true });
    this.stream.receive((request: SubmitTasksStreamRequest) => {
      this.store(request);
    });
  }

  private store(request: SubmitTasksStreamRequest): void {
    const outcomes = (async () =>
      this.lifecycle.submitMany(request.requests.map(submitInputFromProto), request.return_tasks))();
    // Its failure is handled in turn below; until then it must not count as unhandled.
    outcomes.catch(() => undefined);
    this.unanswered += 1;
    if (this.unanswered >= SUBMIT_STREAM_UNANSWERED_MAX) this.call.pause();
    this.lastAnswer = this.lastAnswer.then(async () => {
      if (this.stream.isEnded) return;
      try {
        const results = submitResultsToProto(await outcomes, request.return_tasks, METHOD, this.log);
        await this.answer({ results });
      } catch (error) {
        this.stream.fail(error);
      }
    });
  }

  private async answer(response: SubmitTasksStreamResponse): Promise<void> {
    if (this.stream.isEnded) return;
    const taken = this.stream.send(response);
    this.unanswered -= 1;
    if (!this.stream.signal.aborted && this.unanswered < SUBMIT_STREAM_UNANSWERED_MAX) this.call.resume();
    await taken;
  }
}

import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../log.js';
import { toStatus } from './status.js';

/** What StreamCall needs of a grpc-js server stream (server-streaming or bidi), so a test can hand it a fake. */
export interface ServerStream<Response, Request> {
  write(message: Response, written?: () => void): boolean;
  end(): void;
  emit(event: 'error', status: Partial<grpc.StatusObject>): boolean;
  on(event: 'cancelled' | 'drain' | 'end', listener: () => void): unknown;
  on(event: 'data', listener: (request: Request) => void): unknown;
}

/** The debug line a stream writes once when it closes, with why. */
export interface ClosedLine {
  message: string;
  fields(): Record<string, unknown>;
  /** The reason when the client or its connection goes away. */
  cancelled: string;
  /** The reason when the stream ends OK. */
  ended: string;
}

export interface StreamCallOptions {
  /** Full method name, for the error log. */
  method: string;
  log: Logger;
  /** Aborted when the server starts draining. */
  shutdown: AbortSignal;
  /** What the stream ends with when the server drains: undefined ends it OK, so the client need not retry. */
  shutdownStatus?: Partial<grpc.StatusObject>;
  /**
   * Work already taken in that must be answered before the stream ends, after the server drains or the client
   * half-closes. Without it the stream ends at once.
   */
  settled?: () => Promise<void>;
  closedLine?: ClosedLine;
}

const READY: Promise<void> = Promise.resolve();

/**
 * The lifecycle of one streaming call, written once for every streaming handler: the handler keeps only what it
 * does with messages.
 *
 * `signal` aborts once, when the stream stops taking work for any reason: the client cancelled or went away, the
 * server started draining, the client half-closed, or the stream ended. Handlers stop producing on it. The stream
 * then ends once: with `end(status?)`, `fail(error)` (the status comes from the one error mapper), or by itself
 * after `settled` when it was the server draining or the client half-closing.
 */
export class StreamCall<Response, Request = unknown> {
  private readonly stopped = new AbortController();
  private readonly onShutdown = (): void => {
    this.finish(this.options.shutdownStatus);
  };
  /** Senders waiting for the client to take what was written. */
  private drainWaiters: (() => void)[] = [];
  private ended = false;

  constructor(
    private readonly call: ServerStream<Response, Request>,
    private readonly options: StreamCallOptions,
  ) {
    call.on('cancelled', () => {
      this.cancelled();
    });
    call.on('drain', () => {
      this.wakeSenders();
    });
    options.shutdown.addEventListener('abort', this.onShutdown, { once: true });
    if (options.shutdown.aborted) this.onShutdown();
  }

  get signal(): AbortSignal {
    return this.stopped.signal;
  }

  /** No status can be sent any more: ended, failed or cancelled. */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Reads a bidi stream's requests while the stream takes work; the client's half-close finishes the stream (OK,
   * once `settled`).
   */
  receive(onRequest: (request: Request) => void): void {
    const signal = this.stopped.signal;
    this.call.on('data', (request: Request) => {
      if (!signal.aborted) onRequest(request);
    });
    this.call.on('end', () => {
      this.finish();
    });
  }

  /**
   * Writes one message now (unless the stream has ended) and resolves once the stream can take more: at once, or
   * at its next 'drain', or when it ends. Whoever awaits it produces no faster than the client reads.
   */
  send(message: Response): Promise<void> {
    if (this.ended || this.call.write(message)) return READY;
    return this.drained();
  }

  /** Resolves at the stream's next 'drain', or when it ends (nothing would drain then). */
  drained(): Promise<void> {
    if (this.ended) return READY;
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  /** Stops taking work, waits for `settled`, then ends with `status` (OK without one). */
  finish(status?: Partial<grpc.StatusObject>): void {
    if (this.stopped.signal.aborted) return;
    this.stop();
    const { settled } = this.options;
    if (!settled) {
      this.end(status);
      return;
    }
    settled().then(
      () => {
        this.end(status);
      },
      (error: unknown) => {
        this.fail(error);
      },
    );
  }

  /** Ends the stream with the status the error maps to; the error is logged there when unexpected. */
  fail(error: unknown): void {
    this.end(toStatus(error, this.options.method, this.options.log));
  }

  /** Ends the stream now: OK without a status. Only the first end (or a cancel) counts. */
  end(status?: Partial<grpc.StatusObject>): void {
    if (this.ended) return;
    this.logClosed(status ? `${grpc.status[status.code ?? grpc.status.UNKNOWN]}: ${status.details ?? ''}` : undefined);
    this.ended = true;
    this.stop();
    this.release();
    if (status) this.call.emit('error', status);
    else this.call.end();
  }

  // grpc-js also emits 'cancelled' once the status of a stream that ended is sent: that one is no cancel.
  private cancelled(): void {
    if (this.ended) return;
    this.logClosed(this.options.closedLine?.cancelled);
    this.ended = true;
    this.stop();
    this.release();
  }

  private stop(): void {
    if (!this.stopped.signal.aborted) this.stopped.abort();
    this.wakeSenders();
  }

  /** The shutdown signal is shared by every call: a call that is over must not stay on it. */
  private release(): void {
    this.options.shutdown.removeEventListener('abort', this.onShutdown);
  }

  private wakeSenders(): void {
    if (this.drainWaiters.length === 0) return;
    for (const wake of this.drainWaiters.splice(0)) wake();
  }

  private logClosed(reason: string | undefined): void {
    const line = this.options.closedLine;
    if (!line || this.ended || !this.options.log.enabled('debug')) return;
    this.options.log.debug(line.message, { ...line.fields(), reason: reason ?? line.ended });
  }
}

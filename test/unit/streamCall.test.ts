import assert from 'node:assert/strict';
import { EventEmitter, getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { invalidArgument } from '../../src/domain/errors.js';
import { createLogger } from '../../src/log.js';
import { StreamCall } from '../../src/transport/grpc/streamCall.js';
import type { StreamCallOptions } from '../../src/transport/grpc/streamCall.js';

/** A server stream as grpc-js hands it to a handler, recording what the handler does to it. */
class FakeCall extends EventEmitter {
  readonly written: string[] = [];
  readonly statuses: Partial<grpc.StatusObject>[] = [];
  endedOk = 0;
  /** What write() answers (false: the client has not taken what was sent yet). */
  accepting = true;

  write(message: string): boolean {
    this.written.push(message);
    return this.accepting;
  }

  end(): void {
    this.endedOk += 1;
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') {
      this.statuses.push(args[0] as Partial<grpc.StatusObject>);
      return true;
    }
    return super.emit(event, ...args);
  }

  /** How the stream ended, once; asserts it ended at most once. */
  get outcome(): string | undefined {
    assert.ok(this.endedOk + this.statuses.length <= 1, 'ended more than once');
    if (this.endedOk === 1) return 'OK';
    const status = this.statuses[0];
    return status ? grpc.status[status.code ?? grpc.status.UNKNOWN] : undefined;
  }
}

function open(options: Partial<StreamCallOptions> = {}): { call: FakeCall; stream: StreamCall<string, string>; shutdown: AbortController; lines: string[] } {
  const call = new FakeCall();
  const shutdown = new AbortController();
  const lines: string[] = [];
  const log = createLogger('debug', { write: (line) => lines.push(line) });
  const stream = new StreamCall<string, string>(call, { method: 'test/Stream', log, shutdown: shutdown.signal, ...options });
  return { call, stream, shutdown, lines };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('StreamCall', () => {
  it('aborts its signal once when the client cancels, and sends no status', () => {
    const { call, stream, shutdown } = open();
    let aborts = 0;
    stream.signal.addEventListener('abort', () => (aborts += 1));
    call.emit('cancelled');
    call.emit('cancelled');
    assert.equal(aborts, 1);
    assert.equal(stream.isEnded, true);
    assert.equal(call.outcome, undefined, 'a cancelled stream has nobody to send a status to');
    assert.equal(getEventListeners(shutdown.signal, 'abort').length, 0);
    stream.end();
    assert.equal(call.outcome, undefined);
  });

  it('takes no requests once stopped', () => {
    const { call, stream } = open();
    const seen: string[] = [];
    stream.receive((request) => seen.push(request));
    call.emit('data', 'a');
    call.emit('cancelled');
    call.emit('data', 'b');
    assert.deepEqual(seen, ['a']);
  });

  it('ends OK on shutdown by default, after the work in flight is settled', async () => {
    let settle = (): void => undefined;
    const inFlight = new Promise<void>((resolve) => (settle = resolve));
    const { call, stream, shutdown } = open({ settled: () => inFlight });
    shutdown.abort();
    assert.equal(stream.signal.aborted, true, 'stops taking work at once');
    await turn();
    assert.equal(call.outcome, undefined, 'waits for the work in flight');
    settle();
    await turn();
    assert.equal(call.outcome, 'OK');
  });

  it('ends with the status the handler chose for shutdown, also when shutdown came first', () => {
    const { shutdown } = open();
    shutdown.abort();
    const call = new FakeCall();
    const stream = new StreamCall<string, string>(call, {
      method: 'test/Stream',
      log: createLogger('error', { write: () => undefined }),
      shutdown: shutdown.signal,
      shutdownStatus: { code: grpc.status.UNAVAILABLE, details: 'draining' },
    });
    assert.equal(stream.signal.aborted, true);
    assert.equal(call.outcome, 'UNAVAILABLE');
  });

  it('ends once, whatever ends it, and leaves the shutdown signal', async () => {
    const { call, stream, shutdown } = open({ settled: () => Promise.resolve() });
    assert.equal(getEventListeners(shutdown.signal, 'abort').length, 1);
    stream.end({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'behind' });
    assert.equal(getEventListeners(shutdown.signal, 'abort').length, 0, 'a call that is over stays on no shared signal');
    stream.end();
    stream.fail(new Error('late'));
    stream.finish();
    shutdown.abort();
    call.emit('cancelled');
    await turn();
    assert.equal(call.outcome, 'RESOURCE_EXHAUSTED');
  });

  it('the client half-closing finishes the stream OK', async () => {
    const { call, stream } = open({ settled: () => Promise.resolve() });
    stream.receive(() => undefined);
    call.emit('end');
    await turn();
    assert.equal(call.outcome, 'OK');
  });

  it('fail maps errors through the one mapper: typed ones to their code, others to INTERNAL without detail', () => {
    const first = open();
    first.stream.fail(invalidArgument('credit', 'must be positive'));
    assert.equal(first.call.outcome, 'INVALID_ARGUMENT');
    const second = open();
    second.stream.fail(new Error('secret stack'));
    assert.equal(second.call.outcome, 'INTERNAL');
    assert.equal(second.call.statuses[0]?.details, 'internal error');
  });

  it('send resolves at once while the client keeps up, and on the next drain when it does not', async () => {
    const { call, stream } = open();
    let taken = false;
    await stream.send('a');
    call.accepting = false;
    void stream.send('b').then(() => (taken = true));
    await turn();
    assert.equal(taken, false, 'waits for drain');
    call.accepting = true;
    call.emit('drain');
    await turn();
    assert.equal(taken, true);
    assert.deepEqual(call.written, ['a', 'b']);
  });

  it('a sender waiting on drain is released when the stream stops, and nothing is written after the end', async () => {
    const { call, stream } = open();
    call.accepting = false;
    let released = false;
    void stream.send('a').then(() => (released = true));
    call.emit('cancelled');
    await turn();
    assert.equal(released, true, 'a claim loop waiting to write must not hang on a stream that is gone');
    await stream.send('b');
    assert.deepEqual(call.written, ['a']);
  });

  it('writes one debug line when the stream closes, with why', () => {
    const fields = { closedLine: { message: 'thing closed', fields: () => ({ id: 'x' }), cancelled: 'gone', ended: 'done' } };
    const cancelled = open(fields);
    cancelled.call.emit('cancelled');
    cancelled.stream.end();
    assert.deepEqual(cancelled.lines.map((line) => (JSON.parse(line) as { reason: string }).reason), ['gone']);
    const ended = open(fields);
    ended.stream.end();
    ended.call.emit('cancelled');
    assert.deepEqual(ended.lines.map((line) => (JSON.parse(line) as { reason: string }).reason), ['done']);
    const failed = open(fields);
    failed.stream.end({ code: grpc.status.UNAVAILABLE, details: 'draining' });
    assert.deepEqual(failed.lines.map((line) => (JSON.parse(line) as { reason: string }).reason), ['UNAVAILABLE: draining']);
  });
});

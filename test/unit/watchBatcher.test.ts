import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAfter } from '../../src/domain/events.js';
import { TaskEvent, WatchTasksResponse } from '../../clients/typescript/src/contract.js';
import { MESSAGE_MAX_BYTES, MESSAGE_MAX_EVENTS, WatchBatcher } from '../../src/transport/grpc/watchBatcher.js';

/** A stream that records messages and completes each write only when told to. */
class FakeStream {
  readonly messages: Buffer[] = [];
  private readonly completions: (() => void)[] = [];
  /** What write() answers (false: wait for 'drain'). */
  accepting = true;

  readonly writer = {
    write: (message: Buffer, written: () => void): boolean => {
      this.messages.push(message);
      this.completions.push(written);
      return this.accepting;
    },
  };

  get inFlight(): number {
    return this.completions.length;
  }

  /** Completes the oldest write, as gRPC does once the message is on the connection. */
  complete(): void {
    this.completions.shift()?.();
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const entry = (text: string): Buffer => Buffer.from(text);

describe('stream positions', () => {
  it('compare by milliseconds, then by sequence, as numbers', () => {
    assert.equal(isAfter('1700000000001-0', '1700000000000-5'), true);
    assert.equal(isAfter('1700000000000-5', '1700000000001-0'), false);
    assert.equal(isAfter('1700000000000-10', '1700000000000-9'), true);
    assert.equal(isAfter('1700000000000-9', '1700000000000-10'), false);
    assert.equal(isAfter('1700000000000-3', '1700000000000-3'), false);
    assert.equal(isAfter('10-0', '9-99'), true, 'a longer number is larger');
    assert.equal(isAfter('0-1', '0-0'), true);
    assert.equal(isAfter('0-0', '0-0'), false);
    assert.equal(isAfter('007-0', '7-0'), false, 'leading zeros do not count');
  });
});

describe('WatchBatcher', () => {
  it('sends at once on an idle stream, and events delivered in the same turn in one message', async () => {
    const stream = new FakeStream();
    const batcher = new WatchBatcher(stream.writer);
    batcher.push(entry('a'));
    await Promise.resolve();
    assert.deepEqual(stream.messages.map(String), ['a'], 'written within the turn it arrived in, no timer');
    stream.complete();
    batcher.push(entry('b'));
    batcher.push(entry('c'));
    await turn();
    assert.deepEqual(stream.messages.map(String), ['a', 'bc']);
  });

  it('gathers what arrives while a message is in flight into the next one, in order', async () => {
    const stream = new FakeStream();
    const batcher = new WatchBatcher(stream.writer);
    batcher.push(entry('1'));
    await turn();
    for (const text of ['2', '3', '4']) {
      batcher.push(entry(text));
      await turn();
    }
    assert.equal(stream.inFlight, 1, 'one message in flight at a time');
    assert.equal(batcher.backlog, 3);
    stream.complete();
    await turn();
    assert.deepEqual(stream.messages.map(String), ['1', '234']);
    assert.equal(batcher.backlog, 0);
  });

  it('caps a message at MESSAGE_MAX_EVENTS events and about MESSAGE_MAX_BYTES bytes', async () => {
    const stream = new FakeStream();
    const batcher = new WatchBatcher(stream.writer);
    const count = MESSAGE_MAX_EVENTS * 2 + 500;
    for (let i = 0; i < count; i++) batcher.push(entry('x'));
    for (let i = 0; i < 3; i++) {
      await turn();
      stream.complete();
    }
    await turn();
    assert.deepEqual(stream.messages.map((m) => m.length), [MESSAGE_MAX_EVENTS, MESSAGE_MAX_EVENTS, 500]);

    const big = new FakeStream();
    const bigBatcher = new WatchBatcher(big.writer);
    const third = Buffer.alloc(Math.floor(MESSAGE_MAX_BYTES / 3) + 1);
    const huge = Buffer.alloc(MESSAGE_MAX_BYTES + 1);
    for (const part of [third, third, third, huge, third]) bigBatcher.push(part);
    for (let i = 0; i < 4; i++) {
      await turn();
      big.complete();
    }
    await turn();
    assert.deepEqual(
      big.messages.map((m) => m.length),
      [2 * third.length, third.length, huge.length, third.length],
      'a message stays within the cap unless one event alone exceeds it',
    );
  });

  it('waits for drain when a write returns false, even once that write completed', async () => {
    const stream = new FakeStream();
    const batcher = new WatchBatcher(stream.writer);
    stream.accepting = false;
    batcher.push(entry('a'));
    await turn();
    stream.complete();
    batcher.push(entry('b'));
    await turn();
    assert.deepEqual(stream.messages.map(String), ['a']);
    let idle = false;
    void batcher.idle().then(() => (idle = true));
    await turn();
    assert.equal(idle, false, 'not idle while gRPC pushes back');
    stream.accepting = true;
    batcher.drain();
    await turn();
    assert.deepEqual(stream.messages.map(String), ['a', 'b']);
    assert.equal(idle, true);
  });

  it('is idle once everything is handed to gRPC; close drops the rest and frees waiters', async () => {
    const stream = new FakeStream();
    const batcher = new WatchBatcher(stream.writer);
    await batcher.idle();
    batcher.push(entry('a'));
    await batcher.idle();
    batcher.push(entry('b'));
    let idle = false;
    void batcher.idle().then(() => (idle = true));
    await turn();
    assert.equal(idle, false, '"b" waits behind "a"');
    batcher.close();
    await turn();
    assert.equal(idle, true);
    assert.equal(batcher.backlog, 0);
    stream.complete();
    batcher.push(entry('c'));
    await turn();
    assert.deepEqual(stream.messages.map(String), ['a'], 'nothing is sent after close');
  });

  it('builds messages that decode as WatchTasksResponse with every event in order', async () => {
    const encode = (value: WatchTasksResponse): Buffer => Buffer.from(WatchTasksResponse.encode(value).finish());
    const decode = (bytes: Buffer): WatchTasksResponse => WatchTasksResponse.decode(bytes);
    const stream = new FakeStream();
    const batcher = new WatchBatcher(stream.writer);
    const cursors = ['c1', 'c2', 'c3'];
    for (const cursor of cursors) batcher.push(encode({ events: [TaskEvent.fromPartial({ cursor, queue: 'q', type: 'TASK_EVENT_TYPE_SUBMITTED' })] }));
    await turn();
    assert.equal(stream.messages.length, 1);
    const decoded = decode(stream.messages[0] as Buffer);
    assert.deepEqual(decoded.events.map((e) => e.cursor), cursors);
    assert.ok(decoded.events.every((e) => e.queue === 'q' && e.type === 'TASK_EVENT_TYPE_SUBMITTED'));
  });
});

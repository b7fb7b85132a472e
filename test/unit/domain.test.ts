import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTaskId } from '../../src/domain/ids.js';
import { decodePageToken, encodePageToken } from '../../src/domain/pageToken.js';
import { WakeBoard } from '../../src/domain/wakeBoard.js';

describe('generated task ids', () => {
  it('are 26-character ULIDs that sort in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newTaskId(1_700_000_000_000));
    assert.ok(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(newTaskId(1_700_000_000_001) > (ids.at(-1) ?? ''));
  });
});

describe('page tokens', () => {
  it('round-trip for the same query and are refused for another', () => {
    const token = encodePageToken('q', 'PENDING', '42');
    assert.equal(decodePageToken(token, 'q', 'PENDING'), '42');
    assert.throws(() => decodePageToken(token, 'other', 'PENDING'), /different queue/);
    assert.throws(() => decodePageToken(token, 'q', undefined), /different queue or state/);
    assert.throws(() => decodePageToken('%%%', 'q', undefined), /page_token/);
  });
});

describe('the wake board', () => {
  it('wakes a waiter of the queue at once and ignores other queues', async () => {
    const board = new WakeBoard();
    const alarm = board.arm(['a', 'b']);
    const started = Date.now();
    setTimeout(() => {
      board.ring('c');
      board.ring('b');
    }, 20);
    await alarm.wait(Date.now() + 5_000, new AbortController().signal);
    alarm.disarm();
    assert.ok(Date.now() - started < 1_000);
    assert.equal(board.waitingQueues, 0, 'disarming leaves nothing behind');
  });

  it('does not miss a wake-up that came between arming and waiting', async () => {
    const board = new WakeBoard();
    const alarm = board.arm(['a']);
    board.ring('a');
    const started = Date.now();
    await alarm.wait(Date.now() + 5_000, new AbortController().signal);
    assert.ok(Date.now() - started < 50);
    alarm.disarm();
  });

  it('returns at its deadline or on abort', async () => {
    const board = new WakeBoard();
    const alarm = board.arm(['a']);
    const started = Date.now();
    await alarm.wait(Date.now() + 50, new AbortController().signal);
    assert.ok(Date.now() - started >= 45);
    const aborted = new AbortController();
    setTimeout(() => {
      aborted.abort();
    }, 10);
    await alarm.wait(Date.now() + 5_000, aborted.signal);
    alarm.disarm();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTaskId, randomBytesPooled } from '../../src/domain/ids.js';
import { decodePageToken, encodePageToken } from '../../src/domain/pageToken.js';
import { WakeBoard } from '../../src/domain/wakeBoard.js';
import type { ClaimedTask, Task } from '../../src/domain/task.js';

describe('generated task ids', () => {
  it('are 26-character ULIDs that sort in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newTaskId(1_700_000_000_000));
    assert.ok(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(newTaskId(1_700_000_000_001) > (ids.at(-1) ?? ''));
  });
});

describe('pooled random bytes', () => {
  it('never hands out the same bytes twice, across refills of the pool', () => {
    const tokens = Array.from({ length: 1000 }, () => randomBytesPooled(16).toString('hex'));
    assert.equal(new Set(tokens).size, tokens.length);
  });

  it('gives each caller its own copy, which later draws do not change', () => {
    const first = randomBytesPooled(16);
    const kept = Buffer.from(first);
    for (let i = 0; i < 600; i++) randomBytesPooled(16);
    assert.deepEqual(first, kept);
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

  const takes = { workerId: 'w', maxTasks: 5, leaseDurationMs: 0 };
  const leased = (id: string): ClaimedTask => ({ leaseToken: `t-${id}`, task: { id } as Task });

  it('hands a submit a claim that waits and takes handoffs, and ends its wait with the tasks', async () => {
    const board = new WakeBoard();
    const alarm = board.arm(['a']);
    assert.equal(board.takeWaiting('a'), undefined, 'not while the claim is not waiting');
    const waiting = alarm.wait(Date.now() + 5_000, new AbortController().signal, takes);
    assert.equal(board.takeWaiting('b'), undefined, 'not for another queue');
    const handoff = board.takeWaiting('a');
    assert.deepEqual(handoff?.claim, takes);
    assert.equal(board.takeWaiting('a'), undefined, 'one submit at a time');
    handoff.deliver({ tasks: [leased('x')], drained: true });
    assert.deepEqual(await waiting, { tasks: [leased('x')], drained: true });
    alarm.disarm();
  });

  it('keeps a reserved claim waiting for its tasks through a deadline, an abort and a wake-up', async () => {
    const board = new WakeBoard();
    const alarm = board.arm(['a']);
    const aborted = new AbortController();
    const waiting = alarm.wait(Date.now() + 20, aborted.signal, takes);
    const handoff = board.takeWaiting('a');
    aborted.abort();
    board.ring('a');
    await new Promise((resolve) => setTimeout(resolve, 50));
    handoff?.deliver({ tasks: [leased('late')], drained: false });
    assert.deepEqual((await waiting)?.tasks, [leased('late')], 'the tasks leased to it are not lost');
    assert.equal(alarm.takeRing(), true, 'the wake-up during the handoff is kept for the next claim');
    alarm.disarm();
  });

  it('gives handoffs to waiting claims in turns', async () => {
    const board = new WakeBoard();
    const first = board.arm(['a']);
    const second = board.arm(['a']);
    const signal = new AbortController().signal;
    const receivers: string[] = [];
    for (let round = 0; round < 4; round++) {
      const waits = [first, second].map((alarm, i) =>
        alarm.wait(Date.now() + 5_000, signal, takes).then((handed) => handed && receivers.push(`claim ${i + 1}`)),
      );
      board.takeWaiting('a')?.deliver({ tasks: [leased(String(round))], drained: true });
      board.ring('a');
      await Promise.all(waits);
      first.takeRing();
      second.takeRing();
    }
    assert.deepEqual(receivers, ['claim 1', 'claim 2', 'claim 1', 'claim 2']);
    first.disarm();
    second.disarm();
  });
});

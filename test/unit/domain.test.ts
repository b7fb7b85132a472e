import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTaskId, randomBytesPooled } from '../../src/domain/ids.js';
import { BatonError } from '../../src/domain/errors.js';
import { PageTokens } from '../../src/domain/pageToken.js';
import { WAKE_FANOUT, WakeBoard } from '../../src/domain/wakeBoard.js';
import type { Alarm } from '../../src/domain/wakeBoard.js';
import type { ClaimedTask, Task } from '../../src/domain/task.js';
import { Lifecycle } from '../../src/domain/lifecycle.js';
import { UnavailableError } from '../../src/domain/errors.js';
import type { TaskStore } from '../../src/domain/store.js';

describe('generated task ids', () => {
  it('are 26-character ULIDs that sort in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newTaskId(1_700_000_000_000));
    assert.ok(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(newTaskId(1_700_000_000_001) > (ids.at(-1) ?? ''));
  });

  it('encode the time and the random part as the ULID spec does: big-endian Crockford base32', () => {
    const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const reference = (value: bigint, length: number): string =>
      Array.from({ length }, (_, i) => crockford.charAt(Number((value >> BigInt(5 * (length - 1 - i))) & 31n))).join('');
    const value = (text: string): bigint => Array.from(text).reduce((n, c) => n * 32n + BigInt(crockford.indexOf(c)), 0n);
    // Later times than any id made so far in this process: an earlier one would keep the last time.
    for (const ms of [1_800_000_000_000, 2 ** 47 + 12_345, 2 ** 48 - 2]) {
      const id = newTaskId(ms);
      assert.equal(id.slice(0, 10), reference(BigInt(ms), 10), `the time ${ms}`);
      assert.equal(reference(value(id.slice(10)), 16), id.slice(10));
    }
    // Within one millisecond the random part counts up by one, carrying across its bytes.
    const a = newTaskId(2 ** 48 - 1);
    const b = newTaskId(2 ** 48 - 1);
    assert.equal(value(b.slice(10)), (value(a.slice(10)) + 1n) % 2n ** 80n);
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
  const tokens = new PageTokens('test key');

  it('round-trip for the same query and are refused for another', () => {
    const token = tokens.encodeList('q', 'PENDING', '42');
    assert.equal(tokens.decodeList(token, 'q', 'PENDING'), '42');
    assert.throws(() => tokens.decodeList(token, 'other', 'PENDING'), /different queue/);
    assert.throws(() => tokens.decodeList(token, 'q', undefined), /different queue, state/);
    assert.throws(() => tokens.decodeList('%%%', 'q', undefined), /page_token/);
  });

  it('bind the type filter too', () => {
    const typed = tokens.encodeList('q', undefined, '42', 'resize');
    assert.equal(tokens.decodeList(typed, 'q', undefined, 'resize'), '42');
    assert.throws(() => tokens.decodeList(typed, 'q', undefined), /type filter/);
    assert.throws(() => tokens.decodeList(tokens.encodeList('q', undefined, '42'), 'q', undefined, 'email'), /type filter/);
  });

  it('bind the metadata filter too', () => {
    const acme = { key: 'tenant', value: 'acme' };
    const filtered = tokens.encodeList('q', undefined, '42', '', acme);
    assert.equal(tokens.decodeList(filtered, 'q', undefined, '', acme), '42');
    assert.throws(() => tokens.decodeList(filtered, 'q', undefined), /metadata filter/);
    assert.throws(() => tokens.decodeList(filtered, 'q', undefined, '', { key: 'tenant', value: 'other' }), /metadata filter/);
    assert.throws(() => tokens.decodeList(tokens.encodeList('q', undefined, '42'), 'q', undefined, '', acme), /metadata filter/);
  });

  it('refuse forged, garbled and foreign tokens as INVALID_ARGUMENT, never a TypeError', () => {
    const forged = Buffer.from(JSON.stringify({ q: 'q', s: '', c: '0' })).toString('base64url');
    const token = tokens.encodeList('q', undefined, '42');
    const [body = '', tag = ''] = token.split('.');
    const otherDeployment = new PageTokens('another key').encodeList('q', undefined, '42');
    const flipped = `${body}.${tag.startsWith('A') ? 'B' : 'A'}${tag.slice(1)}`;
    for (const bad of ['bnVsbA', 'bnVsbA.', forged, `${forged}.${tag}`, flipped, otherDeployment, '.', 'a.b.c', '\u0000']) {
      assert.throws(
        () => tokens.decodeList(bad, 'q', undefined),
        (error: unknown) => error instanceof BatonError && error.code === 'INVALID_ARGUMENT' && /page_token/.test(error.message),
        bad,
      );
    }
    // A validly signed body that is not a cursor: still INVALID_ARGUMENT.
    for (const body of ['null', '42', '"x"', '[]', '{}']) {
      assert.throws(() => tokens.decodeList(tokens.seal(body), 'q', undefined), (error: unknown) => error instanceof BatonError, body);
    }
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

  it('stops waiting for a handoff slower than its patience (a stalled master), and says the tasks were not taken', async () => {
    const board = new WakeBoard(30);
    const alarm = board.arm(['a']);
    const waiting = alarm.wait(Date.now() + 5_000, new AbortController().signal, takes);
    const handoff = board.takeWaiting('a');
    assert.equal(await waiting, undefined, 'the claim claims again on its own');
    assert.equal(handoff?.deliver({ tasks: [leased('late')], drained: false }), false, 'the submit gives these back');
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

  /** Parks `count` claims on queue 'a'; resolves to which of them a wake-up ended. */
  function parked(board: WakeBoard, count: number): { alarms: Alarm[]; woken: () => number; ended: Promise<unknown>[] } {
    const alarms = Array.from({ length: count }, () => board.arm(['a']));
    let woken = 0;
    const ended = alarms.map((alarm) =>
      alarm.wait(Date.now() + 5_000, new AbortController().signal).then(() => {
        woken += 1;
      }),
    );
    return { alarms, woken: () => woken, ended };
  }

  it('rings a few of the claims parked on a queue, not all of them, and each full claim rings a few more', async () => {
    const board = new WakeBoard();
    const { alarms, woken } = parked(board, 100);
    board.ring('a');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(woken(), WAKE_FANOUT);
    alarms[0]?.ringOthers();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(woken(), 2 * WAKE_FANOUT, 'the next ones in line, not those rung before');
    for (const alarm of alarms) alarm.disarm();
  });

  it('waits without a deadline until a wake-up', async () => {
    const board = new WakeBoard();
    const alarm = board.arm(['a']);
    let ended = false;
    const waiting = alarm.wait(Infinity, new AbortController().signal).then(() => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(ended, false);
    board.ring('a');
    await waiting;
    alarm.disarm();
  });

  it('sweeps one parked claim per queue, in turns', async () => {
    const board = new WakeBoard();
    const { alarms, woken } = parked(board, 10);
    board.sweep();
    board.sweep();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(woken(), 2);
    for (const alarm of alarms) alarm.disarm();
  });

  it('passes on a wake-up that a claim leaves without acting on', async () => {
    const board = new WakeBoard();
    const leaving = board.arm(['a']);
    board.ring('a', 1);
    const { alarms, woken } = parked(board, 1);
    leaving.disarm();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(woken(), 1);
    for (const alarm of alarms) alarm.disarm();
  });
});

describe('a claim over several queues', () => {
  const leased = (queue: string): ClaimedTask => ({ leaseToken: `t-${queue}`, task: { queue, id: `${queue}-1` } as Task });
  const lifecycleOver = (failing: ReadonlySet<string>, asked: string[]): Lifecycle => {
    const store = {
      claim: (queue: string) => {
        asked.push(queue);
        if (failing.has(queue)) return Promise.reject(new UnavailableError('timeout', `Redis did not answer for ${queue}`));
        return Promise.resolve({ claimed: [leased(queue)], expiries: { leasesExpired: 0, leasesExhausted: 0, leasesCancelled: 0, tasksExpired: 0 } });
      },
    } as unknown as TaskStore;
    return new Lifecycle(store, { maxPayloadBytes: 1024 });
  };

  it("asks each queue on its own: one that fails does not cost the leases the others granted", async () => {
    const asked: string[] = [];
    const claimed = await lifecycleOver(new Set(['b']), asked).claim(
      { queues: ['a', 'b', 'c'], workerId: 'w', maxTasks: 3 },
      new AbortController().signal,
    );
    assert.deepEqual(asked, ['a', 'b', 'c']);
    assert.deepEqual(claimed.map((c) => c.task.queue), ['a', 'c']);
  });

  it('fails with the error when no queue answered', async () => {
    await assert.rejects(
      lifecycleOver(new Set(['a', 'b']), []).claim({ queues: ['a', 'b'], workerId: 'w', maxTasks: 2 }, new AbortController().signal),
      (error: unknown) => error instanceof UnavailableError && /for a/.test(error.message),
    );
  });
});

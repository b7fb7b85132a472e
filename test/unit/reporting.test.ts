import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseExpiredError } from '../../src/domain/errors.js';
import { storeTasks } from '../../src/domain/handoff.js';
import type { LifecycleObserver } from '../../src/domain/observer.js';
import { FINISHED_REAP_DELAY_MS } from '../../src/domain/maintenance.js';
import { ReportingTaskStore } from '../../src/domain/reporting.js';
import type { Expiries, HandoffOutcome, SubmitOutcome, TaskStore } from '../../src/domain/store.js';
import type { ClaimedTask, NewTask, Task } from '../../src/domain/task.js';
import { WakeBoard } from '../../src/domain/wakeBoard.js';
import { freshTask } from '../support/taskFixtures.js';

const NONE: Expiries = { leasesExpired: 0, leasesExhausted: 0, leasesCancelled: 0, tasksExpired: 0 };

const newTask = (id: string, delayMs = 0): NewTask => ({
  queue: 'q',
  id,
  payload: Buffer.alloc(0),
  metadata: {},
  type: '',
  priority: 0,
  delayMs,
  maxAttempts: 0,
  leaseDurationMs: 0,
  retryPolicy: { initialBackoffMs: 1_000, maxBackoffMs: 3_600_000, multiplier: 2, jitter: 0 },
});
const task = (id: string, state: Task['state'] = 'PENDING'): Task => ({ ...freshTask, queue: 'q', id, state });
const leased = (id: string): ClaimedTask => ({ leaseToken: `t-${id}`, task: task(id, 'ACTIVE') });

/** A store whose every method answers with what the test gives it; the methods a test does not give throw. */
function fakeStore(methods: Partial<TaskStore>): TaskStore {
  return new Proxy(methods as TaskStore, {
    get: (target, name: string) =>
      (target as unknown as Record<string, unknown>)[name] ??
      (() => {
        throw new Error(`unexpected store call: ${name}`);
      }),
  });
}

/** What the observer and maintenance were told, in order. */
function listeners(): { heard: unknown[][]; observer: LifecycleObserver; dueTimes: { noteDue(queue: string, at: number): void } } {
  const heard: unknown[][] = [];
  const record =
    (name: string) =>
    (...args: unknown[]): void => {
      heard.push([name, ...args]);
    };
  return {
    heard,
    observer: {
      queuesKnown: record('queuesKnown'),
      tasksCreated: (queue, tasks) => heard.push(['tasksCreated', queue, tasks.map((t) => t.id)]),
      submitsDeduplicated: record('submitsDeduplicated'),
      tasksLeased: (queue, tasks, via) => heard.push(['tasksLeased', queue, tasks.map((t) => t.id), via]),
      tasksCompleted: (queue, tasks) => heard.push(['tasksCompleted', queue, tasks.map((t) => t.id)]),
      taskFailed: (t) => heard.push(['taskFailed', t.id]),
      taskCancelled: (t) => heard.push(['taskCancelled', t.id]),
      expiriesHandled: (queue, expiries) => heard.push(['expiriesHandled', queue, expiries.leasesExpired]),
    },
    dueTimes: { noteDue: record('noteDue') },
  };
}

describe('ReportingTaskStore', () => {
  it('reports what a submit created and when it falls due, as the script said, and nothing for an existing id', async () => {
    const { heard, observer, dueTimes } = listeners();
    const store = new ReportingTaskStore(
      fakeStore({
        submit: () =>
          Promise.resolve({
            results: [
              { created: true, task: task('a') },
              { created: false, task: task('b') },
            ],
            due: 1234,
          }),
      }),
      { observer, dueTimes },
    );
    await store.submit('q', [newTask('a'), newTask('b')], false);
    assert.deepEqual(heard, [
      ['tasksCreated', 'q', ['a']],
      ['noteDue', 'q', 1234],
    ]);
  });

  it('tells maintenance nothing when the script says nothing falls due', async () => {
    const { heard, observer, dueTimes } = listeners();
    const store = new ReportingTaskStore(
      fakeStore({ claim: () => Promise.resolve({ claimed: [], expiries: NONE }) }),
      { observer, dueTimes },
    );
    await store.claim('q', { workerId: 'w', maxTasks: 1, leaseDurationMs: 0 });
    assert.deepEqual(heard, [['expiriesHandled', 'q', 0]]);
  });

  it('counts a start as a lease only when it granted a new token, and its expiries even when refused', async () => {
    const { heard, observer, dueTimes } = listeners();
    let reply: Awaited<ReturnType<TaskStore['start']>> = {
      expiries: NONE,
      started: { created: false, leaseToken: 'mine', task: task('a', 'ACTIVE') },
      due: 99,
    };
    const store = new ReportingTaskStore(fakeStore({ start: () => Promise.resolve(reply) }), { observer, dueTimes });
    const query = { workerId: 'w', leaseDurationMs: 0, leaseToken: 'mine', force: false };
    await store.start(newTask('a'), query);
    assert.deepEqual(heard.splice(0), [
      ['expiriesHandled', 'q', 0],
      ['noteDue', 'q', 99],
    ]);
    reply = { expiries: { ...NONE, leasesExpired: 1 }, refused: new LeaseExpiredError('gone', 'EXHAUSTED') };
    await store.start(newTask('a'), query);
    assert.deepEqual(heard, [['expiriesHandled', 'q', 1]]);
  });

  it('reports a lease found run out by a call on it, then lets the refusal through', async () => {
    const { heard, observer, dueTimes } = listeners();
    const store = new ReportingTaskStore(
      fakeStore({ heartbeat: () => Promise.reject(new LeaseExpiredError('gone', 'PENDING')) }),
      { observer, dueTimes },
    );
    await assert.rejects(store.heartbeat('q', 'a', 't', { leaseDurationMs: 0 }), LeaseExpiredError);
    assert.deepEqual(heard, [['expiriesHandled', 'q', 1]]);
  });

  it('reports the completions of a batch together, each lease found run out, and the queue due for retention soon', async () => {
    const { heard, observer, dueTimes } = listeners();
    const store = new ReportingTaskStore(
      fakeStore({
        complete: () =>
          Promise.resolve([
            { task: task('a', 'SUCCEEDED') },
            { error: new LeaseExpiredError('gone', 'PENDING') },
            { task: task('c', 'SUCCEEDED') },
          ]),
      }),
      { observer, dueTimes },
    );
    const before = Date.now();
    await store.complete('q', [], 'brief');
    const [due, ...rest] = heard.splice(2);
    assert.deepEqual(heard, [
      ['expiriesHandled', 'q', 1],
      ['tasksCompleted', 'q', ['a', 'c']],
    ]);
    assert.deepEqual(rest, []);
    assert.deepEqual(due?.slice(0, 2), ['noteDue', 'q']);
    const at = Number(due[2]);
    assert.ok(at >= before + FINISHED_REAP_DELAY_MS && at <= Date.now() + FINISHED_REAP_DELAY_MS, `due at ${at}`);
  });
});

describe('storing tasks (domain/handoff.ts)', () => {
  const takes = { workerId: 'w', maxTasks: 5, leaseDurationMs: 0 };
  const submitted = (...ids: string[]): SubmitOutcome => ({
    results: ids.map((id) => ({ created: true, task: task(id) })),
  });

  it('hands tasks claimable now to a claim waiting on this replica, in the submit itself', async () => {
    const board = new WakeBoard();
    const alarm = board.arm(['q']);
    const waiting = alarm.wait(Date.now() + 5_000, new AbortController().signal, takes);
    const outcome: HandoffOutcome = {
      results: [{ created: true, task: task('a', 'ACTIVE') }],
      handedOff: [leased('a')],
      expiries: NONE,
      pendingLeft: 0,
    };
    let handedTo: unknown;
    const store = fakeStore({
      submitAndHandOff: (_queue, _tasks, _returnTasks, to) => {
        handedTo = to;
        return Promise.resolve(outcome);
      },
    });
    const results = await storeTasks(store, board, 'q', [newTask('a')], true);
    assert.deepEqual(handedTo, takes);
    assert.deepEqual(results, outcome.results);
    assert.deepEqual(await waiting, { tasks: [leased('a')], drained: true });
    alarm.disarm();
  });

  it('submits without a handoff when nothing is claimable now, or no claim waits here', async () => {
    const board = new WakeBoard();
    const alarm = board.arm(['q']);
    const waiting = alarm.wait(Date.now() + 200, new AbortController().signal, takes);
    let submits = 0;
    const store = fakeStore({
      submit: () => {
        submits += 1;
        return Promise.resolve({ results: [{ created: true, task: task('later', 'SCHEDULED') }] });
      },
    });
    await storeTasks(store, board, 'q', [newTask('later', 60_000)], true);
    assert.equal(submits, 1);
    assert.equal(await waiting, undefined, 'the waiting claim was neither handed anything nor woken');
    alarm.disarm();
    await storeTasks(fakeStore({ submit: () => Promise.resolve(submitted('b')) }), new WakeBoard(), 'q', [newTask('b')], true);
  });

  it('releases the reserved claim empty-handed when the submit fails, so it claims again', async () => {
    const board = new WakeBoard();
    const alarm = board.arm(['q']);
    const waiting = alarm.wait(Date.now() + 5_000, new AbortController().signal, takes);
    const store = fakeStore({ submitAndHandOff: () => Promise.reject(new Error('Redis went away')) });
    await assert.rejects(storeTasks(store, board, 'q', [newTask('a')], true), /Redis went away/);
    assert.equal(await waiting, undefined);
    alarm.disarm();
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createWorker } from '../../clients/typescript/src/index.js';
import type { Task, Worker } from '../../clients/typescript/src/index.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import {
  assertToolchains,
  buildExamples,
  demoHandler,
  demoResult,
  spawnGoWorker,
  spawnPythonWorker,
} from '../support/polyglot.js';
import type { PolyglotBuild, WorkerArgs, WorkerProcess } from '../support/polyglot.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { watch } from '../support/watch.js';

const TEST_TIMEOUT = { timeout: 30_000 };

/** Payloads that are not valid UTF-8, with NULs and every high byte, so nothing can round-trip them by accident. */
function awkwardPayload(i: number): Buffer {
  return Buffer.concat([Buffer.from([i & 0xff, 0x00, 0xff, 0xfe, 0xc3, 0x28, 0x80]), randomBytes(16 + (i % 7))]);
}

describe('workers in TypeScript, Python and Go on one Baton', () => {
  let redis: TestRedis;
  let server: TestServer;
  let build: PolyglotBuild;
  const processes: WorkerProcess[] = [];
  const workers: Worker[] = [];

  before(async () => {
    // No skipping: a machine without the toolchains fails here, saying what to install.
    await assertToolchains();
    [build, redis] = await Promise.all([buildExamples(), startRedisCluster()]);
    server = await startTestServer(redis.config);
  });
  after(async () => {
    await Promise.all(workers.map((worker) => worker.close(0)));
    await Promise.all(processes.map((p) => p.terminate(2_000)));
    // Each may be missing when before() failed part-way.
    await (server as TestServer | undefined)?.stop();
    await (redis as TestRedis | undefined)?.stop();
    (build as PolyglotBuild | undefined)?.remove();
  });

  function args(queue: string, workerId: string, leaseSeconds = 1): WorkerArgs {
    return { server: server.baton.grpcAddress, queue, workerId, leaseSeconds };
  }
  function python(queue: string, workerId: string): WorkerProcess {
    const worker = spawnPythonWorker(build, args(queue, workerId));
    processes.push(worker);
    return worker;
  }
  function go(queue: string, workerId: string, leaseSeconds = 1): WorkerProcess {
    const worker = spawnGoWorker(build, args(queue, workerId, leaseSeconds));
    processes.push(worker);
    return worker;
  }
  function typescript(queue: string, workerId: string): Worker {
    const worker = createWorker({ client: server.client, queues: queue, workerId, leaseDuration: 1_000, handler: demoHandler });
    workers.push(worker);
    void worker.run();
    return worker;
  }
  async function get(queue: string, id: string): Promise<Task> {
    const { task } = await server.client.getTask({ queue, task_id: id });
    assert.ok(task);
    return task;
  }
  async function waitForState(queue: string, id: string, state: string, timeoutMs = 10_000): Promise<Task> {
    return eventually(async () => {
      const task = await get(queue, id);
      return task.state === state ? task : undefined;
    }, timeoutMs);
  }
  async function submit(queue: string, payload: Buffer, workMs = 0): Promise<string> {
    const { task } = await server.client.submitTask({ queue, payload, metadata: workMs ? { work_ms: String(workMs) } : {} });
    assert.ok(task);
    return task.id;
  }

  it('every task is completed exactly once, by one of the three, with its result byte-exact', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('mixed');
    const py = python(queue, 'py-1');
    const golang = go(queue, 'go-1');
    const ts = typescript(queue, 'ts-1');
    const tsCompleted: string[] = [];
    ts.on('completed', (task) => tsCompleted.push(task.id));
    // The Go example says `started`; the Python SDK's print_event says `ready` once its session is open.
    await Promise.all([py, golang].map((w) => w.waitFor((e) => e.event === 'started' || e.event === 'ready', 'start')));

    const payloads = Array.from({ length: 45 }, (_, i) => awkwardPayload(i));
    const { results } = await server.client.submitTasks({
      requests: payloads.map((payload) => ({ queue, payload, metadata: { work_ms: '40' } })),
    });
    const ids = results.map((r) => r.task_id);
    const tasks = await eventually(async () => {
      const all = await Promise.all(ids.map((id) => get(queue, id)));
      return all.every((t) => t.state === 'TASK_STATE_SUCCEEDED') ? all : undefined;
    }, 20_000);

    const doneBy = new Map<string, number>();
    tasks.forEach((task, i) => {
      const workerId = task.result.subarray(0, task.result.indexOf(0)).toString();
      const payload = payloads[i];
      assert.ok(payload);
      assert.deepEqual(task.result, demoResult(workerId, payload), `task ${i} result is byte-exact`);
      assert.equal(task.attempt, 1, `task ${i} was claimed once`);
      assert.deepEqual(task.errors, []);
      doneBy.set(workerId, (doneBy.get(workerId) ?? 0) + 1);
    });
    assert.deepEqual([...doneBy.keys()].sort(), ['go-1', 'py-1', 'ts-1'], 'all three languages took part');
    // A worker hears that its completion was recorded after Redis has it: the last reports may still be on their way.
    const completions = await eventually(() => {
      const reported = [...py.named('completed'), ...golang.named('completed')].map((e) => e.task_id ?? '');
      reported.push(...tsCompleted);
      return Promise.resolve(reported.length >= ids.length ? reported : undefined);
    }, 10_000);
    assert.deepEqual(completions.sort(), [...ids].sort(), 'each task was completed once, none twice');
  });

  it('a Python worker killed with SIGKILL mid-task has its task requeued and finished by a Go worker', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('killed');
    const py = python(queue, 'py-doomed');
    const payload = awkwardPayload(200);
    const id = await submit(queue, payload, 1_500);
    await py.waitFor((e) => e.event === 'claimed' && e.task_id === id, 'claim');
    assert.equal((await get(queue, id)).lease?.worker_id, 'py-doomed');

    py.signal('SIGKILL');
    assert.equal((await py.exited).signal, 'SIGKILL');
    const golang = go(queue, 'go-rescuer');
    const task = await waitForState(queue, id, 'TASK_STATE_SUCCEEDED');

    assert.deepEqual(task.result, demoResult('go-rescuer', payload));
    assert.equal(task.attempt, 2);
    assert.equal(task.errors.length, 1, 'the killed attempt is recorded');
    assert.equal(task.errors[0]?.attempt, 1);
    // The worker prints its line after the server answered: wait for it rather than race it.
    await golang.waitFor((e) => e.event === 'completed' && e.task_id === id, 'completed');
    assert.equal(golang.named('completed').length, 1);
  });

  it('a cancel reaches a Go worker through its heartbeat; it stops and the task ends CANCELLED', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('cancel-go');
    const golang = go(queue, 'go-cancel', 1.5);
    const id = await submit(queue, Buffer.from('a long job'), 20_000);
    await golang.waitFor((e) => e.event === 'claimed' && e.task_id === id, 'claim');

    const cancelledAt = performance.now();
    const { task: asked } = await server.client.cancelTask({ queue, task_id: id });
    assert.equal(asked?.state, 'TASK_STATE_ACTIVE');
    assert.equal(asked.cancel_requested, true);
    const task = await waitForState(queue, id, 'TASK_STATE_CANCELLED');

    assert.ok(performance.now() - cancelledAt < 1_500, 'within about one heartbeat interval (0.5 s), not the 20 s job');
    await golang.waitFor((e) => e.event === 'cancel_requested' && e.task_id === id, 'cancel_requested');
    await golang.waitFor((e) => e.event === 'cancelled' && e.task_id === id, 'cancelled');
    assert.equal(task.error?.type, 'Cancelled');

    // The worker carries on with the next task.
    const next = await submit(queue, Buffer.from('next'));
    assert.deepEqual((await waitForState(queue, next, 'TASK_STATE_SUCCEEDED')).result, demoResult('go-cancel', Buffer.from('next')));
  });

  it('Python and Go workers exit 0 on SIGTERM, releasing the task they hold: claimable again at once, its attempt not used up, no error', TEST_TIMEOUT, async () => {
    /** SIGTERM while it works on `id` (its `attempt`-th claim): it must exit 0 having released the task, not failed it. */
    async function stopHolding(worker: WorkerProcess, queue: string, id: string, attempt: number): Promise<void> {
      const claimed = await worker.waitFor((e) => e.event === 'claimed' && e.task_id === id, 'claim');
      assert.equal(claimed.attempt, attempt);
      const status = await worker.terminate();
      assert.deepEqual(status, { code: 0, signal: null }, `${worker.workerId}: ${worker.stderrText}`);
      const released = worker.events.find((e) => e.event === 'released' && e.task_id === id);
      assert.ok(released, `${worker.workerId} said it gave the task back; events: ${JSON.stringify(worker.events)}`);
      assert.equal(released.state, 'TASK_STATE_PENDING', 'the server answered the release with PENDING');
      assert.deepEqual([...worker.named('report_error'), ...worker.named('error')], []);
      assert.equal(worker.events.at(-1)?.event, 'stopped');

      // Back at once (its lease had up to a second left), with nothing recorded against the attempt or the worker.
      const task = await get(queue, id);
      assert.equal(task.state, 'TASK_STATE_PENDING', `${worker.workerId}: claimable again at once, not EXHAUSTED or SCHEDULED`);
      assert.equal(task.attempt, attempt);
      assert.equal(task.lease, undefined);
      assert.deepEqual(task.errors, [], 'a release records no error');
      assert.equal(task.error, undefined);
      const { worker: stats } = await server.client.getWorker({ worker_id: worker.workerId });
      assert.equal(stats?.active_tasks, 0);
      assert.equal(stats.failed_count, 0, 'a release is not a failed attempt');
    }

    for (const [first, second] of [[python, go], [go, python]] as const) {
      const queue = uniqueQueue('sigterm');
      const quitter = first(queue, 'quitter');
      // One attempt allowed: a shutdown that used it up (a failure) would leave the task EXHAUSTED, never PENDING.
      const { task: submitted } = await server.client.submitTask({
        queue,
        payload: Buffer.from('handed over'),
        max_attempts: 1,
        metadata: { work_ms: '20000' },
      });
      assert.ok(submitted);
      const id = submitted.id;
      await stopHolding(quitter, queue, id, 1);
      // A worker in the other language gets it, and gives it back in turn.
      const heir = second(queue, 'heir');
      await stopHolding(heir, queue, id, 2);

      // Two releases later the one allowed attempt is still there: the next claim gets it at once and completes it.
      const { tasks } = await server.client.claimTasks({ queues: [queue], worker_id: 'finisher' });
      assert.equal(tasks.length, 1, 'claimable with no wait');
      const [claimed] = tasks;
      assert.equal(claimed?.task?.id, id);
      assert.equal(claimed.task.attempt, 3, 'attempt counts every claim; releases do not count against max_attempts');
      const { task: done } = await server.client.completeTask({ queue, task_id: id, lease_token: claimed.lease_token, result: Buffer.from('ok') });
      assert.equal(done?.state, 'TASK_STATE_SUCCEEDED');
      assert.deepEqual(done.errors, []);

      const history = watch(server.client, { queue, task_id: id, start: 'WATCH_START_OLDEST' });
      try {
        const events = await history.until(7);
        assert.deepEqual(
          events.map((e) => [e.type, e.worker_id, e.task?.state, e.task?.attempt]),
          [
            ['TASK_EVENT_TYPE_SUBMITTED', '', 'TASK_STATE_PENDING', 0],
            ['TASK_EVENT_TYPE_CLAIMED', quitter.workerId, 'TASK_STATE_ACTIVE', 1],
            ['TASK_EVENT_TYPE_RELEASED', quitter.workerId, 'TASK_STATE_PENDING', 1],
            ['TASK_EVENT_TYPE_CLAIMED', heir.workerId, 'TASK_STATE_ACTIVE', 2],
            ['TASK_EVENT_TYPE_RELEASED', heir.workerId, 'TASK_STATE_PENDING', 2],
            ['TASK_EVENT_TYPE_CLAIMED', 'finisher', 'TASK_STATE_ACTIVE', 3],
            ['TASK_EVENT_TYPE_SUCCEEDED', 'finisher', 'TASK_STATE_SUCCEEDED', 3],
          ],
          'no failure, retry or lease expiry on the way',
        );
      } finally {
        history.cancel();
      }
    }
  });
});

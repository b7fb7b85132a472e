import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SubmitTaskInput, Task } from '../../clients/typescript/src/index.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { PYTHON_SDK, PythonProcess, SYSTEM_PYTHON, pythonEnv, runPython, spawnPythonConformanceWorker } from '../support/python.js';
import type { ConformanceWorkerOptions } from '../support/python.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

const run = promisify(execFile);
const TEST_TIMEOUT = { timeout: 30_000 };
const PRODUCER = join(PYTHON_SDK, 'tests', 'programs', 'produce.py');
const SCHEDULES = join(PYTHON_SDK, 'tests', 'programs', 'schedules.py');
const FLOWS = join(PYTHON_SDK, 'tests', 'programs', 'flows.py');
const FLOW_SHAPES = join(PYTHON_SDK, 'tests', 'programs', 'flow_shapes.py');

describe('the Python SDK against a real Baton', () => {
  let redis: TestRedis;
  let server: TestServer;
  const processes: PythonProcess[] = [];
  const extraServers: TestServer[] = [];

  before(async () => {
    redis = await startRedisCluster();
    server = await startTestServer(redis.config);
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.terminate(2_000)));
    await Promise.all(extraServers.map((s) => s.stop().catch(() => undefined)));
    await (server as TestServer | undefined)?.stop();
    await (redis as TestRedis | undefined)?.stop();
  });

  function worker(options: Partial<ConformanceWorkerOptions> & { queue: string }): PythonProcess {
    const child = spawnPythonConformanceWorker({ servers: [server.baton.grpcAddress], ...options });
    processes.push(child);
    return child;
  }
  async function submit(queue: string, type: string, payload: string, extra: Partial<SubmitTaskInput> = {}): Promise<string> {
    const { task } = await server.client.submitTask({ queue, type, payload, ...extra });
    assert.ok(task);
    return task.id;
  }
  async function get(queue: string, id: string, s: TestServer = server): Promise<Task> {
    const { task } = await s.client.getTask({ queue, task_id: id });
    assert.ok(task);
    return task;
  }
  async function waitForState(queue: string, id: string, state: string, timeoutMs = 10_000): Promise<Task> {
    return eventually(async () => {
      const task = await get(queue, id);
      return task.state === state ? task : undefined;
    }, timeoutMs);
  }
  function produce(mode: 'client' | 'submitter', queue: string, count: number, type: string): Promise<string[]> {
    const args = [mode, server.baton.grpcAddress, queue, String(count), type];
    return runPython(PRODUCER, args).then((out) => JSON.parse(out) as string[]);
  }

  it('the SDK type-checks (mypy --strict) and its unit tests pass', TEST_TIMEOUT, async () => {
    await run(SYSTEM_PYTHON, ['-m', 'mypy', 'baton', 'conformance', 'tests'], { cwd: PYTHON_SDK, env: pythonEnv() });
    await run(SYSTEM_PYTHON, ['-m', 'unittest', 'discover', '-s', 'tests'], { cwd: PYTHON_SDK, env: pythonEnv() });
  });

  it('a Python producer submits (str payloads as UTF-8, json=) and the Python worker completes each once', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-echo');
    const py = worker({ queue });
    await py.waitForLine('READY');
    const ids = await produce('client', queue, 20, 'echo');
    const sums = await produce('client', queue, 5, 'json');
    for (const [i, id] of ids.entries()) {
      const task = await waitForState(queue, id, 'TASK_STATE_SUCCEEDED');
      assert.equal(task.result.toString('utf8'), `echo:héllo ${i}`);
      assert.equal(task.attempt, 1);
    }
    for (const [n, id] of sums.entries()) {
      const task = await waitForState(queue, id, 'TASK_STATE_SUCCEEDED');
      assert.deepEqual(JSON.parse(task.result.toString('utf8')), { sum: 3 * n });
    }
  });

  it('a Python producer submits with a unique_key, by client and by submitter: one task is created', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-unique');
    const ids = [...(await produce('client', queue, 3, 'unique')), ...(await produce('submitter', queue, 3, 'unique'))];
    assert.equal(new Set(ids).size, 1, `one task for every submit: ${ids.join(', ')}`);
    assert.equal((await server.client.getTask({ queue, task_id: ids[0] ?? '' })).task?.unique_key, 'once');
  });

  it('creates, updates, reads, lists, triggers, pauses, resumes and deletes a schedule', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-schedules');
    const seen = JSON.parse(await runPython(SCHEDULES, [server.baton.grpcAddress, queue])) as Record<string, unknown>;
    assert.deepEqual({ ...seen, manual: typeof seen.manual === 'string' && seen.manual.startsWith('nightly@manual-') }, {
      created: 'nightly',
      zone: 'Europe/Berlin',
      updated: ['0 0 4 * * *', 'report-v2', true],
      next_runs: 3,
      listed: ['nightly'],
      manual: true,
      paused: true,
      resumed: true,
      after_delete: 'NOT_FOUND',
    });
  });

  it('submits a flow; a parent\'s handler sums its children\'s results (submit_flow, ctx.child_results, list_children)', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-flows');
    const submitted = JSON.parse(await runPython(FLOWS, [server.baton.grpcAddress, queue, 'submit'])) as unknown;
    assert.deepEqual(submitted, { created: true, tasks: [['parent', '', 'parent'], ['a', 'parent', 'parent'], ['b', 'parent', 'parent']] });
    // The parent's handler sums its children's results, read with ctx.child_results().
    const worked = JSON.parse(await runPython(FLOWS, [server.baton.grpcAddress, queue, 'work'])) as unknown;
    assert.deepEqual(worked, { state: 4, result: '3' });
    const children = JSON.parse(await runPython(FLOWS, [server.baton.grpcAddress, queue, 'results'])) as unknown;
    assert.deepEqual(children, [
      ['a', '1', 1],
      ['b', '2', 2],
    ]);
  });

  it('chain and group: A -> B -> C each reads the result before it; a group of 5 is summed by its callback', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-shapes');
    const seen = JSON.parse(await runPython(FLOW_SHAPES, [server.baton.grpcAddress, queue, '5'])) as unknown;
    assert.deepEqual(seen, {
      chain: ['step:1', 'step:1', 'step:0'],
      chain_result: 'ABC',
      group_size: 6,
      total: '15',
      children: 5,
      again_created: false,
    });
  });

  it('a Submitter sends a burst of submits on one stream; every future resolves with its task', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-submitter');
    const ids = await produce('submitter', queue, 2_500, 'echo');
    assert.equal(ids.length, 2_500);
    assert.equal(new Set(ids).size, 2_500);
    const { queue: stats } = await server.client.getQueue({ queue });
    assert.equal(Number(stats?.counts?.pending), 2_500);
    const py = worker({ queue, concurrency: 50 });
    await py.waitForLine('READY');
    await eventually(async () => {
      const { queue: now } = await server.client.getQueue({ queue });
      return Number(now?.counts?.succeeded) === 2_500 ? true : undefined;
    }, 20_000);
    const sample = await get(queue, ids[1_234] ?? '');
    assert.equal(sample.result.toString('utf8'), 'echo:héllo 1234');
  });

  it('registers itself: hostname, pid and SDK in the operator views', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-register');
    const py = worker({ queue, workerId: 'py-registered' });
    await py.waitForLine('READY');
    const registered = await eventually(async () => {
      const { worker: found } = await server.client.getWorker({ worker_id: 'py-registered' }).catch(() => ({ worker: undefined }));
      return found ?? undefined;
    });
    assert.equal(registered.sdk_name, 'baton-python');
    assert.deepEqual(registered.queues, [queue]);
    assert.ok(registered.pid > 0);
  });

  it('keeps a long task alive past several leases with automatic heartbeats', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-long');
    const py = worker({ queue, leaseMs: 1_000 });
    await py.waitForLine('READY');
    const id = await submit(queue, 'sleep', '3500');
    const task = await waitForState(queue, id, 'TASK_STATE_SUCCEEDED');
    assert.equal(task.result.toString(), 'slept');
    assert.equal(task.attempt, 1);
    assert.deepEqual(task.errors, []);
  });

  it('a cancel reaches the running handler (ctx.cancelled) and the task ends CANCELLED', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-cancel');
    const py = worker({ queue, leaseMs: 1_500 });
    await py.waitForLine('READY');
    const id = await submit(queue, 'wait-cancel', '');
    await py.waitForLine(`START ${id}`);
    const { task: asked } = await server.client.cancelTask({ queue, task_id: id });
    assert.equal(asked?.cancel_requested, true);
    await py.waitForLine(`CANCELLED ${id}`, 3_000);
    await waitForState(queue, id, 'TASK_STATE_CANCELLED', 3_000);
  });

  it('fails permanently on PermanentError, and retries RetryError after its retry_delay', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-fail');
    const py = worker({ queue });
    await py.waitForLine('READY');
    const permanent = await submit(queue, 'fail-permanent', '');
    const retried = await submit(queue, 'fail-retry', '', { retry_policy: { initial_backoff: { seconds: 60, nanos: 0 } } });
    const failed = await waitForState(queue, permanent, 'TASK_STATE_FAILED');
    assert.equal(failed.attempt, 1);
    assert.equal(failed.error?.message, `permanent ${permanent}`);
    assert.equal(failed.error.type, 'PermanentError');
    // The task's own backoff is a minute: only the handler's 100 ms retry_delay gets it done in time.
    const done = await waitForState(queue, retried, 'TASK_STATE_SUCCEEDED', 5_000);
    assert.equal(done.attempt, 3);
    assert.equal(done.result.toString(), 'ok after 3');
    assert.deepEqual(done.errors.map((e) => e.message), ['retry 1', 'retry 2']);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} exits 0 and releases the tasks it holds: PENDING at once, attempt not used up, no error`, TEST_TIMEOUT, async () => {
      const queue = uniqueQueue('py-stop');
      const py = worker({ queue });
      await py.waitForLine('READY');
      const ids = [await submit(queue, 'hold', '', { max_attempts: 1 }), await submit(queue, 'hold', '', { max_attempts: 1 })];
      for (const id of ids) await py.waitForLine(`START ${id}`);
      py.signal(signal);
      assert.deepEqual(await py.exited, { code: 0, signal: null }, py.stderrText);
      for (const id of ids) {
        const task = await get(queue, id);
        assert.equal(task.state, 'TASK_STATE_PENDING');
        assert.equal(task.attempt, 1);
        assert.deepEqual(task.errors, []);
      }
    });
  }

  it('a stale completion is refused (ABORTED) and the worker goes on working', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-stale');
    const py = worker({ queue, leaseMs: 1_000 });
    await py.waitForLine('READY');
    const id = await submit(queue, 'sleep', '300');
    await py.waitForLine(`START ${id}`);
    py.signal('SIGSTOP');
    // The lease runs out while the worker is stopped; another worker takes the task and completes it.
    const claimed = await eventually(async () => {
      const { tasks } = await server.client.claimTasks({ queues: [queue], worker_id: 'rescuer' });
      return tasks[0];
    }, 15_000);
    await server.client.completeTask({ queue, task_id: id, lease_token: claimed.lease_token, result: 'rescued' });
    py.signal('SIGCONT');
    const next = await submit(queue, 'echo', 'after');
    await waitForState(queue, next, 'TASK_STATE_SUCCEEDED');
    const task = await get(queue, id);
    assert.equal(task.result.toString(), 'rescued', 'the late completion changed nothing');
  });

  it('reconnects to the next server when its server goes away; every task SUCCEEDED exactly once', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-reconnect');
    const first = await startTestServer(redis.config);
    const second = await startTestServer(redis.config);
    extraServers.push(first, second);
    const py = worker({ queue, servers: [first.baton.grpcAddress, second.baton.grpcAddress], concurrency: 4, leaseMs: 2_000 });
    await py.waitForLine('READY');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await submit(queue, 'sleep', '400'));
    await py.waitForLine(`START ${ids[0] ?? ''}`);
    await first.stop();
    const tasks = await eventually(async () => {
      const all = await Promise.all(ids.map((id) => get(queue, id, second)));
      return all.every((t) => t.state === 'TASK_STATE_SUCCEEDED') ? all : undefined;
    }, 20_000);
    for (const task of tasks) {
      assert.equal(task.result.toString(), 'slept');
      assert.equal(task.attempt, 1, `${task.id} was claimed once`);
      assert.deepEqual(task.errors, []);
    }
    const done = py.lines.filter((line) => line.startsWith('DONE '));
    assert.equal(done.length, ids.length, 'each handler ran once');
  });

  it('runs `async def` handlers on asyncio; a cancel arrives as CancelledError with ctx.reason TaskCancelled; ctx.progress reaches the task at once', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-async');
    const py = new PythonProcess(join(PYTHON_SDK, 'tests', 'programs', 'async_worker.py'), [], {
      BATON_SERVER: server.baton.grpcAddress,
      BATON_QUEUE: queue,
    });
    processes.push(py);
    await py.waitForLine('READY');
    const { results } = await server.client.submitTasks({ requests: Array.from({ length: 50 }, (_, i) => ({ queue, payload: `n${i}` })) });
    const waiting = await submit(queue, 'any', 'wait');
    for (const [i, { task_id: id }] of results.entries()) {
      assert.equal((await waitForState(queue, id, 'TASK_STATE_SUCCEEDED')).result.toString(), `async:n${i}`);
    }
    await eventually(async () => ((await get(queue, waiting)).state === 'TASK_STATE_ACTIVE' ? true : undefined));
    await server.client.cancelTask({ queue, task_id: waiting });
    await py.waitForLine(`CANCELLED ${waiting} TaskCancelled`, 3_000);
    await waitForState(queue, waiting, 'TASK_STATE_CANCELLED', 3_000);
    // ctx.progress() goes out at once with a heartbeat, long before the next one is due (0.5 s).
    const reporting = await submit(queue, 'any', 'progress');
    const seen = await eventually(async () => {
      const task = await get(queue, reporting);
      return task.progress?.current === 3 ? task : undefined;
    }, 900);
    assert.equal(seen.state, 'TASK_STATE_ACTIVE');
    assert.deepEqual([seen.progress?.total, seen.progress?.message], [10, 'three of ten']);
    await waitForState(queue, reporting, 'TASK_STATE_SUCCEEDED');
    assert.deepEqual(await py.terminate(), { code: 0, signal: null });
  });

  it('the ten-line examples: producer.py submits stdin lines, worker.py runs them, the producer prints results', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-examples');
    const env = { BATON_SERVER: server.baton.grpcAddress, BATON_QUEUE: queue, BATON_WORKER_ID: 'example' };
    const py = new PythonProcess(join(PYTHON_SDK, '..', '..', 'examples', 'python', 'worker.py'), [], env);
    processes.push(py);
    const output = await runPython(join(PYTHON_SDK, '..', '..', 'examples', 'python', 'producer.py'), [], env, 'hello\nworld\n');
    const lines = output.trim().split('\n').map((line) => line.split(' ').slice(1).join(' '));
    assert.deepEqual(lines, ['example\0olleh', 'example\0dlrow']);
    assert.deepEqual(await py.terminate(), { code: 0, signal: null });
    assert.equal((JSON.parse(py.lines.at(-1) ?? '{}') as { event?: string }).event, 'stopped');
  });

  it('routes by task type; a type with no handler fails permanently, naming it', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('py-types');
    const py = spawnPythonConformanceWorker({ servers: [server.baton.grpcAddress], queue });
    processes.push(py);
    await py.waitForLine('READY');
    const submitTyped = async (type: string, payload: string): Promise<string> => {
      const { task } = await server.client.submitTask(Object.assign({ queue, payload }, { type }));
      assert.ok(task);
      return task.id;
    };
    const echo = await submitTyped('echo', 'x');
    const sum = await submitTyped('json', '{"a":1,"b":2}');
    const nope = await submitTyped('nope', '');
    assert.equal((await waitForState(queue, echo, 'TASK_STATE_SUCCEEDED')).result.toString(), 'echo:x');
    assert.deepEqual(JSON.parse((await waitForState(queue, sum, 'TASK_STATE_SUCCEEDED')).result.toString()), { sum: 3 });
    const failed = await waitForState(queue, nope, 'TASK_STATE_FAILED');
    assert.equal(failed.attempt, 1);
    assert.equal(failed.error?.message, 'no handler for task type "nope"');
    // Python's own submit with type= (SubmitTaskRequest.type).
    const [typed] = await runPython(PRODUCER, ['client', server.baton.grpcAddress, queue, '1', 'echo']).then((out) => JSON.parse(out) as string[]);
    assert.equal((await waitForState(queue, typed ?? '', 'TASK_STATE_SUCCEEDED')).result.toString(), 'echo:héllo 0');
  });
});

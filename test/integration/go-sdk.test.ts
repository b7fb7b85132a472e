import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { SubmitTaskInput, Task } from '../../clients/typescript/src/index.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { WorkerProcess, demoResult } from '../support/polyglot.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const GO_BUILD = join(ROOT, 'clients/go/build.sh');
const TEST_TIMEOUT = { timeout: 30_000 };

/** Lines a Go program prints on stdout, as they come. */
class LineProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(readonly child: ReturnType<typeof spawn>) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
      });
    });
    if (!child.stdout || !child.stderr) throw new Error('spawned without pipes');
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.lines.push(line);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  async waitForLine(line: string, timeoutMs = 10_000): Promise<void> {
    await eventually(() => Promise.resolve(this.lines.includes(line) ? true : undefined), timeoutMs).catch(() => {
      throw new Error(`no line "${line}" within ${timeoutMs}ms; stdout: ${this.lines.join(' | ')}; stderr: ${this.stderr}`);
    });
  }
}

function typed(input: SubmitTaskInput, type: string): SubmitTaskInput {
  return { ...input, type };
}

describe('the Go SDK against a real Baton', () => {
  let redis: TestRedis;
  let first: TestServer;
  let second: TestServer;
  let dir: string;
  let demoWorker: string;
  let conformanceWorker: string;
  const processes: { child: ReturnType<typeof spawn>; exited: Promise<unknown> }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-go-sdk-'));
    demoWorker = join(dir, 'go-demo-worker');
    conformanceWorker = join(dir, 'go-conformance-worker');
    const build = Promise.all([
      run('bash', [GO_BUILD, 'binary', demoWorker, 'test/support/go-demo-worker']),
      run('bash', [join(ROOT, 'clients/go/conformance/build.sh'), conformanceWorker]),
    ]).catch((error: unknown) => {
      const output = error as { stderr?: string };
      throw new Error(`building the Go programs failed: ${output.stderr ?? String(error)}`);
    });
    [, redis] = await Promise.all([build, startRedisCluster()]);
    first = await startTestServer(redis.config);
    second = await startTestServer(redis.config);
  });
  after(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await (first as TestServer | undefined)?.stop().catch(() => undefined);
    await (second as TestServer | undefined)?.stop();
    await (redis as TestRedis | undefined)?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function demo(queue: string, workerId: string, options: { server?: string; concurrency?: number; leaseSeconds?: number } = {}): WorkerProcess {
    const child = spawn(
      demoWorker,
      [
        '-server', options.server ?? first.baton.grpcAddress,
        '-queue', queue,
        '-worker-id', workerId,
        '-lease-seconds', String(options.leaseSeconds ?? 1),
        '-concurrency', String(options.concurrency ?? 4),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const worker = new WorkerProcess(workerId, child);
    processes.push({ child, exited: worker.exited });
    return worker;
  }
  async function get(queue: string, id: string): Promise<Task> {
    const { task } = await second.client.getTask({ queue, task_id: id });
    assert.ok(task);
    return task;
  }
  async function allInState(queue: string, ids: string[], state: string, timeoutMs = 10_000): Promise<Task[]> {
    return eventually(async () => {
      const tasks = await Promise.all(ids.map((id) => get(queue, id)));
      return tasks.every((t) => t.state === state) ? tasks : undefined;
    }, timeoutMs);
  }
  async function submit(queue: string, payloads: Buffer[], workMs = 0): Promise<string[]> {
    const { results } = await first.client.submitTasks({
      requests: payloads.map((payload) => ({ queue, payload, metadata: workMs ? { work_ms: String(workMs) } : {} })),
    });
    return results.map((r) => r.task_id);
  }

  it('go test of the SDK passes (batching, backoff, routing, errors)', { timeout: 120_000 }, async () => {
    // The TestType tests need the contract's `type` field; they are the next test.
    const { stdout } = await run('bash', [join(ROOT, 'clients/go/test.sh'), '-run', '^Test([^T]|T[^y])', '-v']);
    assert.match(stdout, /^ok\s/m);
    assert.doesNotMatch(stdout, /--- FAIL/);
  });

  it('go test of the SDK: the task type is set on submits and read from tasks', { timeout: 120_000 }, async () => {
    const { stdout } = await run('bash', [join(ROOT, 'clients/go/test.sh'), '-run', '^TestType', '-v']).catch(
      (error: unknown) => {
        const output = error as { stdout?: string };
        throw new Error(`go test failed:\n${output.stdout ?? String(error)}`);
      },
    );
    assert.match(stdout, /^ok\s/m);
  });

  it('go test against this server: SubmitFlow, ListChildren, Task.ChildResults in a handler, Chain and Group', { timeout: 120_000 }, async () => {
    const env = { ...process.env, BATON_TEST_SERVER: first.baton.grpcAddress };
    const { stdout } = await run('bash', [join(ROOT, 'clients/go/test.sh'), '-run', '^TestFlowServer', '-v'], { env }).catch((error: unknown) => {
      const output = error as { stdout?: string };
      throw new Error(`go test failed:\n${output.stdout ?? String(error)}`);
    });
    assert.match(stdout, /^ok\s/m);
    assert.equal(stdout.match(/^--- PASS: TestFlowServer/gm)?.length, 3, stdout);
  });

  it('go test against this server: UpdateSchedule replaces the definition and keeps the state', { timeout: 120_000 }, async () => {
    const env = { ...process.env, BATON_TEST_SERVER: first.baton.grpcAddress };
    const { stdout } = await run('bash', [join(ROOT, 'clients/go/test.sh'), '-run', '^TestScheduleServer', '-v'], { env }).catch((error: unknown) => {
      const output = error as { stdout?: string };
      throw new Error(`go test failed:\n${output.stdout ?? String(error)}`);
    });
    assert.match(stdout, /^ok\s/m);
    assert.equal(stdout.match(/^--- PASS: TestScheduleServer/gm)?.length, 1, stdout);
  });

  it('a worker of concurrency 4 completes 20 tasks once each, results byte-exact, each on attempt 1', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('go-echo');
    const worker = demo(queue, 'go-echo');
    await worker.waitFor((e) => e.event === 'started', 'start');
    const payloads = Array.from({ length: 20 }, (_, i) => Buffer.concat([Buffer.from([i, 0, 0xff]), randomBytes(8)]));
    const ids = await submit(queue, payloads, 30);
    const tasks = await allInState(queue, ids, 'TASK_STATE_SUCCEEDED');
    tasks.forEach((task, i) => {
      assert.deepEqual(task.result, demoResult('go-echo', payloads[i] ?? Buffer.alloc(0)));
      assert.equal(task.attempt, 1);
      assert.deepEqual(task.errors, []);
    });
    await eventually(() => Promise.resolve(worker.named('completed').length >= ids.length ? true : undefined));
    assert.deepEqual(worker.named('completed').map((e) => e.task_id).sort(), [...ids].sort(), 'each completed once');
  });

  it('keeps a lease alive past several leases: a 3.5 s task on a 1 s lease succeeds on attempt 1', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('go-long');
    const worker = demo(queue, 'go-long', { concurrency: 1 });
    await worker.waitFor((e) => e.event === 'started', 'start');
    const [id = ''] = await submit(queue, [Buffer.from('long')], 3_500);
    const [task] = await allInState(queue, [id], 'TASK_STATE_SUCCEEDED');
    assert.equal(task?.attempt, 1);
    assert.deepEqual(task.errors, [], 'no LEASE_EXPIRED on the way');
    assert.deepEqual(worker.named('lease_lost'), []);
  });

  it('a cancel reaches the handler through its context; the task ends CANCELLED and the worker goes on', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('go-cancel');
    const worker = demo(queue, 'go-cancel', { concurrency: 1, leaseSeconds: 1.5 });
    await worker.waitFor((e) => e.event === 'started', 'start');
    const [id = ''] = await submit(queue, [Buffer.from('a long job')], 20_000);
    await worker.waitFor((e) => e.event === 'claimed' && e.task_id === id, 'claim');
    const cancelledAt = performance.now();
    await first.client.cancelTask({ queue, task_id: id });
    const [task] = await allInState(queue, [id], 'TASK_STATE_CANCELLED');
    assert.ok(performance.now() - cancelledAt < 1_500, 'within about one heartbeat interval (0.5 s)');
    assert.equal(task?.error?.type, 'Cancelled');
    await worker.waitFor((e) => e.event === 'cancel_requested' && e.task_id === id, 'cancel_requested');
    await worker.waitFor((e) => e.event === 'cancelled' && e.task_id === id, 'cancelled');
    const [next = ''] = await submit(queue, [Buffer.from('next')]);
    await allInState(queue, [next], 'TASK_STATE_SUCCEEDED');
  });

  it('a permanent error fails the task at once; RetryAfter retries it after the delay asked for', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('go-fail');
    const worker = demo(queue, 'go-fail');
    await worker.waitFor((e) => e.event === 'started', 'start');
    const { results } = await first.client.submitTasks({
      requests: [
        { queue, payload: 'p', metadata: { fail: 'permanent' } },
        { queue, payload: 'r', metadata: { fail: 'until-3' }, retry_policy: { initial_backoff: { seconds: 60, nanos: 0 } } },
      ],
    });
    const [permanent = '', retried = ''] = results.map((r) => r.task_id);
    const [failed] = await allInState(queue, [permanent], 'TASK_STATE_FAILED');
    assert.equal(failed?.attempt, 1);
    assert.equal(failed.error?.message, `permanent ${permanent}`);
    assert.equal(failed.error.type, 'PermanentError');
    // Its own backoff would be 60 s: only the 100 ms retry delay gets it done in time.
    const [done] = await allInState(queue, [retried], 'TASK_STATE_SUCCEEDED');
    assert.equal(done?.attempt, 3);
    assert.deepEqual(done.errors.map((e) => [e.message, e.attempt]), [['retry 1', 1], ['retry 2', 2]]);
  });

  it('a completion after the lease was taken away is refused, not retried, and the worker goes on', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('go-stale');
    const worker = demo(queue, 'go-stale', { concurrency: 1 });
    await worker.waitFor((e) => e.event === 'started', 'start');
    const [id = ''] = await submit(queue, [Buffer.from('stale')], 1_500);
    await worker.waitFor((e) => e.event === 'claimed' && e.task_id === id, 'claim');
    worker.signal('SIGSTOP');
    try {
      // The lease (1 s) runs out while the worker is paused; another worker takes the task and completes it.
      const { tasks } = await second.client.claimTasks({ queues: [queue], worker_id: 'other', wait_timeout: { seconds: 5, nanos: 0 } });
      const [claimed] = tasks;
      assert.equal(claimed?.task?.id, id);
      await second.client.completeTask({ queue, task_id: id, lease_token: claimed.lease_token, result: Buffer.from('theirs') });
    } finally {
      worker.signal('SIGCONT');
    }
    await worker.waitFor((e) => e.event === 'lease_lost' && e.task_id === id, 'lease_lost');
    const [next = ''] = await submit(queue, [Buffer.from('next')]);
    await allInState(queue, [next], 'TASK_STATE_SUCCEEDED');
    const task = await get(queue, id);
    assert.equal(task.result.toString(), 'theirs', 'the late completion changed nothing');
    assert.equal(worker.named('completed').filter((e) => e.task_id === id).length, 0);
  });

  it('SIGTERM releases the tasks it holds: exit 0, both PENDING at once, attempt not used up, no error', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('go-sigterm');
    const worker = demo(queue, 'go-quitter', { concurrency: 2 });
    await worker.waitFor((e) => e.event === 'started', 'start');
    const ids = await submit(queue, [Buffer.from('a'), Buffer.from('b')], 20_000);
    for (const id of ids) await worker.waitFor((e) => e.event === 'claimed' && e.task_id === id, 'claim');
    const status = await worker.terminate();
    assert.deepEqual(status, { code: 0, signal: null }, worker.stderrText);
    assert.deepEqual(worker.named('released').map((e) => [e.task_id, e.state]).sort(), ids.map((id) => [id, 'TASK_STATE_PENDING']).sort());
    assert.equal(worker.events.at(-1)?.event, 'stopped');
    for (const id of ids) {
      const task = await get(queue, id);
      assert.equal(task.state, 'TASK_STATE_PENDING');
      assert.equal(task.attempt, 1);
      assert.equal(task.lease, undefined);
      assert.deepEqual(task.errors, []);
    }
  });

  // The Go build of both examples runs inside this test, as in the SDK's own go test cases above.
  it('the ten-line examples: the producer submits over a stream and prints what the worker returned', { timeout: 120_000 }, async () => {
    const bin = join(dir, 'examples');
    await run('bash', [join(ROOT, 'examples/go/build.sh')], { env: { ...process.env, BATON_GO_BUILD: bin } });
    const env = { ...process.env, BATON_SERVER: second.baton.grpcAddress };
    const child = spawn(join(bin, 'bin', 'baton-worker'), [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const worker = new LineProcess(child);
    processes.push({ child, exited: worker.exited });
    const { stdout } = await run(join(bin, 'bin', 'baton-producer'), ['hello', 'wörld'], { env });
    const lines = stdout.trim().split('\n').map((line) => line.split(' ').slice(1).join(' '));
    assert.deepEqual(lines, ['TASK_STATE_SUCCEEDED echo: hello', 'TASK_STATE_SUCCEEDED echo: wörld']);
    const { workers } = await second.client.listWorkers({ queue: 'demo' });
    assert.equal(workers[0]?.sdk_name, 'baton-go', 'the worker registered itself');
    child.kill('SIGTERM');
    assert.deepEqual(await worker.exited, { code: 0, signal: null }, worker.stderr);
  });

  it('a server stopped mid-session: the worker moves to the next address; every task SUCCEEDED exactly once', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('go-failover');
    const worker = demo(queue, 'go-mover', { server: `${first.baton.grpcAddress},${second.baton.grpcAddress}`, concurrency: 4 });
    await worker.waitFor((e) => e.event === 'started', 'start');
    const ids = await submit(queue, Array.from({ length: 12 }, (_, i) => Buffer.from(`job-${i}`)), 800);
    await eventually(() => Promise.resolve(worker.named('claimed').length >= 4 ? true : undefined));
    await first.stop();
    const tasks = await allInState(queue, ids, 'TASK_STATE_SUCCEEDED', 20_000);
    for (const task of tasks) assert.equal(task.result.subarray(0, 8).toString(), 'go-mover');
    await eventually(() => Promise.resolve(worker.named('completed').length >= ids.length ? true : undefined));
    assert.deepEqual(worker.named('completed').map((e) => e.task_id).sort(), [...ids].sort(), 'none lost, none completed twice');
  });

  it('routes by task type; a type without a handler fails permanently, naming it', TEST_TIMEOUT, async () => {
    const queue = uniqueQueue('go-types');
    const child = spawn(conformanceWorker, [], {
      env: { ...process.env, BATON_SERVER: second.baton.grpcAddress, BATON_QUEUE: queue, BATON_WORKER_ID: 'go-types' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new LineProcess(child);
    processes.push({ child, exited: worker.exited });
    await worker.waitForLine('READY');
    const { results } = await second.client.submitTasks({
      requests: [
        typed({ queue, payload: 'hi' }, 'echo'),
        typed({ queue, json: { a: 2, b: 3 } }, 'json'),
        typed({ queue, payload: 'x' }, 'nope'),
      ],
    });
    const [echo = '', json = '', nope = ''] = results.map((r) => r.task_id);
    const [echoed, summed] = await allInState(queue, [echo, json], 'TASK_STATE_SUCCEEDED');
    assert.equal(echoed?.result.toString(), 'echo:hi');
    assert.deepEqual(JSON.parse(summed?.result.toString() ?? ''), { sum: 5 });
    const [failed] = await allInState(queue, [nope], 'TASK_STATE_FAILED');
    assert.equal(failed?.attempt, 1);
    assert.equal(failed.error?.message, 'no handler for task type "nope"');
    child.kill('SIGTERM');
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
  });
});

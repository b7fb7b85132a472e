/**
 * What the conformance scenarios share: a real Redis and Baton per language, the SDK's conformance worker as a child
 * process whose stdout lines the scenarios wait on, and bounded waits on task states.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import type { BatonClient, Task } from '../../clients/typescript/src/index.js';
import type { TraceContext } from '../../clients/typescript/src/contract.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startTestRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import type { ConformanceWorker } from './workers.js';

export const ROOT = join(__dirname, '..', '..');

/** Every scenario ends well within this; a hung worker fails the test instead of the run. */
export const SCENARIO_TIMEOUT = { timeout: 30_000 };

export const TERMINAL = new Set([
  'TASK_STATE_SUCCEEDED',
  'TASK_STATE_FAILED',
  'TASK_STATE_EXHAUSTED',
  'TASK_STATE_CANCELLED',
  'TASK_STATE_EXPIRED',
]);

/** Polls until `check` gives a value, or fails after `timeoutMs` with `what` and the last value seen. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The conformance worker of one SDK, running as a child process. */
export class WorkerProcess {
  /** Its stdout lines so far (READY, START <id>, DONE <id>, CANCELLED <id>). */
  readonly lines: string[] = [];
  private stderrText = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(file: string, args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(file, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      this.lines.push(...complete.filter((line) => line !== ''));
      for (const wake of this.waiters) wake();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString('utf8');
    });
    this.exited = once(this.child, 'exit').then(([code, signal]) => {
      for (const wake of this.waiters) wake();
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** How many stdout lines are exactly `line`. */
  count(line: string): number {
    return this.lines.filter((l) => l === line).length;
  }

  /** Resolves once `count` lines match (stdout so far included); fails after `timeoutMs` or if the worker exits. */
  async waitForLines(match: (line: string) => boolean, count = 1, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.lines.filter(match);
      if (matching.length >= count) return matching;
      if (!this.running) throw new Error(`the worker exited before printing ${count} such lines\n${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs}ms waiting for ${count} such lines\n${this.describe()}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  waitForLine(line: string, timeoutMs?: number): Promise<string[]> {
    return this.waitForLines((l) => l === line, 1, timeoutMs);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Asks it to stop (SIGTERM), then kills it when it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGCONT'); // a paused worker cannot act on SIGTERM
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  describe(): string {
    return `stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderrText}`;
  }
}

/** What the scenarios of one language get: the server(s), a client, and a way to start that language's worker. */
export interface Conformance {
  readonly client: BatonClient;
  readonly redis: TestRedis;
  readonly server: TestServer;
  /** A fresh queue for a scenario. */
  queue(label: string): string;
  /** Starts the worker on `queue`; it is stopped after the test. `env` overrides BATON_* settings. */
  startWorker(queue: string, env?: Record<string, string>): Promise<WorkerProcess>;
  /** Waits until every task is in a terminal state; returns them in order. */
  finished(queue: string, ids: readonly string[], timeoutMs?: number): Promise<Task[]>;
  task(queue: string, id: string): Promise<Task>;
}

/**
 * One Redis and one Baton server for the scenarios of `worker`'s language in the calling describe block, and its
 * worker processes, stopped after each test.
 */
export function useConformance(worker: ConformanceWorker): Conformance {
  let redis: TestRedis | undefined;
  let server: TestServer | undefined;
  const processes: WorkerProcess[] = [];
  before(async () => {
    await worker.prepare?.();
    redis = await startTestRedis();
    server = await startTestServer(redis.config);
  });
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop()));
  });
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useConformance: used before its before() hook ran');
    return value;
  };
  const conformance: Conformance = {
    get client() {
      return ready(server).client;
    },
    get redis() {
      return ready(redis);
    },
    get server() {
      return ready(server);
    },
    queue: (label) => uniqueQueue(`conformance-${worker.language}-${label}`),
    startWorker: async (queue, env = {}) => {
      const started = spawnWorker(worker, { BATON_SERVER: ready(server).baton.grpcAddress, BATON_QUEUE: queue, ...env });
      processes.push(started);
      await started.waitForLine('READY', 20_000);
      return started;
    },
    finished: (queue, ids, timeoutMs = 15_000) =>
      waitUntil(
        `tasks ${ids.join(', ')} to finish`,
        async () => {
          const tasks = await Promise.all(ids.map((id) => conformance.task(queue, id)));
          return tasks.every((t) => TERMINAL.has(t.state)) ? tasks : undefined;
        },
        timeoutMs,
      ),
    task: async (queue, id) => {
      const { task } = await ready(server).client.getTask({ queue, task_id: id });
      assert.ok(task, `task ${id} exists`);
      return task;
    },
  };
  return conformance;
}

/** The worker of `worker`'s language with `env` on top of this process's environment. */
export function spawnWorker(worker: ConformanceWorker, env: Record<string, string>): WorkerProcess {
  const { file, args, env: own = {} } = worker.command();
  return new WorkerProcess(file, args, { ...process.env, ...own, ...env });
}

/** Submits tasks of `type`, one per payload; returns their ids in order. */
export async function submitTyped(
  client: BatonClient,
  queue: string,
  type: string,
  payloads: readonly string[],
  extra: { max_attempts?: number; trace_context?: TraceContext } = {},
): Promise<string[]> {
  const reply = await client.submitTasks({ requests: payloads.map((payload) => ({ queue, type, payload, ...extra })) });
  return reply.results.map((result) => {
    assert.equal(result.error, undefined, `submitted: ${result.error?.message ?? ''}`);
    return result.task_id;
  });
}

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { ClaimedTask } from './contract.js';
import { BatonClient } from './client.js';
import { durationFromMs } from './time.js';
import { CompletionBatcher } from './completions.js';
import type { Handler, Task } from './handler.js';
import { OutcomeReporter, backoff, describe } from './outcomes.js';
import type { Outcome } from './outcomes.js';
import { Registration } from './registration.js';
import { LeaseKeeper } from './heartbeats.js';
import { routeByType } from './routing.js';
import { abortHandler, newRunning, taskContext, toResultBytes } from './running.js';
import type { ContextParts, Running } from './running.js';
import { TaskSession } from './session.js';
import { TaskLog } from './taskLog.js';
import { childResults } from './flows.js';
import { TaskCancelledError, WorkerClosingError, statusOf } from './errors.js';
import type { WorkerEvents, WorkerOptions } from './workerOptions.js';
import { inHandlerSpan } from './tracing.js';

export type { Handler, Task, TaskContext, TaskResult } from './handler.js';
export type { WorkerEvents, WorkerOptions } from './workerOptions.js';

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_SHUTDOWN_MS = 10_000;
const DEFAULT_REGISTER_MS = 10_000;
const DEFAULT_LOG_FLUSH_MS = 500;

/** Session errors that retrying will not fix: the worker stops and `run()` rejects. */
const FATAL_CLAIM_CODES = new Set<grpc.status>([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.UNIMPLEMENTED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.PERMISSION_DENIED,
]);

/**
 * Claims tasks from Baton and runs `handler` on each, up to `concurrency` at once; keeps their leases alive with
 * heartbeats; completes them with the handler's return value or fails them with what it threw.
 *
 * ```ts
 * const worker = createWorker({ address: 'localhost:50051', queues: 'emails', concurrency: 8,
 *   handler: async (task, ctx) => { await send(task.payload, { signal: ctx.signal }); return 'sent'; } });
 * process.on('SIGTERM', () => void worker.close());
 * await worker.run();
 * ```
 *
 * Or with a handler per task type (a task of a type with no handler, and no default `handler`, fails permanently):
 * `createWorker({ address: ['baton-a:50051', 'baton-b:50051'], queues: 'media', handlers: { resize, email } })`.
 */
export class Worker extends EventEmitter<WorkerEvents> {
  readonly workerId: string;
  readonly client: BatonClient;
  private readonly ownsClient: boolean;
  private readonly queues: string[];
  private readonly handler: Handler;
  private readonly concurrency: number;
  private readonly prefetch: number;
  /** Received tasks waiting for a free handler slot, oldest first. */
  private readonly waiting: Running[] = [];
  /** Handler slots in use: each from the start of a task's handler until the handler returns. */
  private busy = 0;
  private readonly leaseMs: number;
  private readonly leases: LeaseKeeper<Running>;
  private readonly shutdownMs: number;
  /** What every task's ctx reaches in the worker. */
  private readonly contextParts: ContextParts;
  private readonly registration: Registration;
  /** Every task this worker holds, from its arrival until it is over. */
  private readonly running = new Set<Running>();
  private readonly claimAbort = new AbortController();
  /** The open WorkTasks session: tasks come in on it and completions go out on it. */
  private session: TaskSession | undefined;
  /** Completes the tasks that finished in one event-loop turn together. */
  private readonly completions: CompletionBatcher;
  /** Records outcomes that did not get through at the first try, and failures. */
  private readonly outcomes: OutcomeReporter<Running>;
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private fatal: Error | undefined;

  constructor(options: WorkerOptions) {
    super();
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else if (options.address !== undefined && options.address.length > 0) {
      this.client = new BatonClient(options.address, options.connection);
      this.ownsClient = true;
    } else {
      throw new TypeError('createWorker: give a client or an address');
    }
    this.queues = typeof options.queues === 'string' ? [options.queues] : [...options.queues];
    if (this.queues.length === 0) throw new TypeError('createWorker: name at least one queue');
    this.handler = routeByType(options.handlers, options.handler);
    this.concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`createWorker: concurrency must be a positive integer, got ${this.concurrency}`);
    }
    this.prefetch = options.prefetch ?? this.concurrency;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 0) {
      throw new RangeError(`createWorker: prefetch must be a non-negative integer, got ${this.prefetch}`);
    }
    this.leaseMs = options.leaseDuration ?? DEFAULT_LEASE_MS;
    if (this.leaseMs < 1_000) throw new RangeError(`createWorker: leaseDuration must be at least 1000 ms, got ${this.leaseMs}`);
    const heartbeatMs = Math.min(options.heartbeatInterval ?? Infinity, this.leaseMs / 3);
    this.leases = new LeaseKeeper<Running>(this.client, this.leaseMs, heartbeatMs, {
      lost: (entry, error) => {
        abortHandler(entry, error);
        this.emit('lost', entry.task, error);
        if (entry.phase === 'waiting') this.over(entry); // no handler to wait for
      },
      cancelRequested: (entry) => {
        abortHandler(entry, new TaskCancelledError());
      },
      error: (error) => {
        this.report(error);
      },
    });
    this.shutdownMs = options.shutdownTimeout ?? DEFAULT_SHUTDOWN_MS;
    this.workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const logFlushMs = options.logFlushInterval ?? DEFAULT_LOG_FLUSH_MS;
    this.contextParts = {
      workerId: this.workerId,
      reportProgress: (entry, progress) => this.leases.reportProgress(entry, progress),
      childResults: (entry) => childResults(this.client, entry.task.queue, entry.task.id),
      newLog: (entry) =>
        new TaskLog(this.client, { queue: entry.task.queue, task_id: entry.task.id, lease_token: entry.token }, logFlushMs, (error) => {
          this.report(error);
        }),
    };
    this.registration = new Registration(
      {
        client: this.client,
        workerId: this.workerId,
        queues: this.queues,
        idle: () => this.running.size === 0,
        stopping: () => this.stopping(),
        report: (error) => {
          this.report(error);
        },
      },
      options.registerInterval ?? DEFAULT_REGISTER_MS,
    );
    // The whole task afterwards costs the server more, and only CompleteTasks returns it: only when someone listens.
    this.completions = new CompletionBatcher(this.client, () => ({
      session: this.session,
      returnTasks: this.listenerCount('completed') > 0,
    }));
    this.outcomes = new OutcomeReporter(this.client, this.completions, this.leases, (error) => {
      this.report(error);
    });
  }

  /** Handlers running now. */
  get activeCount(): number {
    let count = 0;
    for (const entry of this.running) if (entry.phase === 'running') count++;
    return count;
  }

  /**
   * Starts claiming and resolves once `close()` has finished; rejects if the server refuses the claims for good
   * (e.g. INVALID_ARGUMENT for a bad queue name).
   */
  async run(): Promise<void> {
    if (this.loop) throw new Error('worker.run() was already called');
    this.loop = this.sessionLoop();
    this.registration.start();
    await this.loop;
    await this.close();
    if (this.fatal !== undefined) throw this.fatal;
  }

  /**
   * Graceful shutdown: stops taking tasks, gives back the prefetched ones that did not start, lets running handlers
   * finish for up to `timeoutMs` (default the `shutdownTimeout` option), then aborts the rest and gives their tasks
   * back (ReleaseTask: another worker gets them at once, no attempt used up). Safe to call more than once.
   */
  close(timeoutMs = this.shutdownMs): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.registration.stop();
    this.claimAbort.abort();
    await this.loop;
    await Promise.all(this.waiting.splice(0).map((entry) => this.release(entry)));
    const allDone = Promise.all([...this.running].map((entry) => this.whenOver(entry)));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, 'timeout');
    });
    const first = await Promise.race([allDone, timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') {
      const running = [...this.running].filter((entry) => entry.phase === 'running');
      await Promise.all(running.map((entry) => this.release(entry)));
      await Promise.all([...this.running].map((entry) => this.whenOver(entry)));
    }
    if (this.ownsClient) this.client.close();
  }

  private stopping(): boolean {
    return this.claimAbort.signal.aborted;
  }

  /**
   * Keeps a WorkTasks session open while the worker runs: the server pushes tasks as this worker has free slots
   * (one credit per slot), so an idle worker gets a task without a poll's round trip and a busy one pays no call
   * per batch. A session that fails is opened again after a backoff; given several servers, on the next one.
   */
  private async sessionLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping()) {
      const generation = this.client.generation;
      const session = new TaskSession(
        this.client,
        { queues: this.queues, worker_id: this.workerId, lease_duration: durationFromMs(this.leaseMs) },
        this.concurrency + this.prefetch,
        this.concurrency + this.prefetch - this.running.size,
        (tasks) => {
          this.accept(tasks);
        },
      );
      this.session = session;
      const close = (): void => {
        session.close();
      };
      this.claimAbort.signal.addEventListener('abort', close, { once: true });
      const error = await session.ended;
      this.claimAbort.signal.removeEventListener('abort', close);
      this.session = undefined;
      if (this.stopping()) break;
      if (session.tasksReceived > 0) failures = 0;
      const code = statusOf(error);
      if (code !== undefined && FATAL_CLAIM_CODES.has(code)) {
        this.fatal = error instanceof Error ? error : new Error(String(error));
        this.claimAbort.abort();
        break;
      }
      if (error !== undefined) this.report(error);
      // The server went away or ended the session: the next one is tried at once, then with backoff.
      this.client.failover(generation);
      const wait = backoff(failures++);
      await this.pause(this.client.generation !== generation && failures === 1 ? 0 : wait);
    }
  }

  private accept(tasks: readonly ClaimedTask[]): void {
    const receivedAt = performance.now();
    for (const { task, lease_token } of tasks) {
      if (!task) continue;
      const entry = this.track(task, lease_token, receivedAt);
      // Pushed while close() began: hand the task straight back.
      if (this.stopping()) void this.release(entry);
      else this.waiting.push(entry);
    }
    this.startWaiting();
  }

  /**
   * Gives back what a task held of the worker's window once its handler is done (or it ends without one): its
   * handler slot, and a credit so the next task is pushed while this one's outcome is still on its way.
   */
  private letGo(entry: Running): void {
    if (entry.letGo) return;
    entry.letGo = true;
    if (entry.started) this.busy -= 1;
    if (this.stopping()) return;
    this.session?.grant(1);
    this.startWaiting();
  }

  private startWaiting(): void {
    while (this.busy < this.concurrency && !this.stopping()) {
      const entry = this.waiting.shift();
      if (!entry) return;
      if (entry.phase !== 'waiting') continue; // its lease was lost while it waited
      entry.phase = 'running';
      this.busy += 1;
      entry.started = true;
      this.execute(entry).catch((error: unknown) => {
        this.report(error); // only a throwing event listener gets here
      });
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.claimAbort.signal;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private report(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.emitWarning(`baton worker ${this.workerId}: ${describe(error)}`);
  }

  /** `receivedAt`: the server leased the task just before pushing it, a one-way trip earlier. */
  private track(task: Task, token: string, receivedAt: number): Running {
    const entry = newRunning(task, token);
    this.running.add(entry);
    this.leases.keep(entry, receivedAt);
    return entry;
  }

  /** The task is over for this worker: its lease is no longer kept, its slot is free, and shutdown may go on. */
  private over(entry: Running): void {
    if (entry.phase === 'over') return;
    entry.phase = 'over';
    this.leases.stop(entry);
    entry.log?.close();
    this.running.delete(entry);
    this.letGo(entry);
    const waiters = entry.overWaiters;
    entry.overWaiters = undefined;
    if (waiters) for (const wake of waiters) wake();
  }

  private whenOver(entry: Running): Promise<void> {
    if (entry.phase === 'over') return Promise.resolve();
    return new Promise((resolve) => (entry.overWaiters ??= []).push(resolve));
  }

  private async execute(entry: Running): Promise<void> {
    this.emit('active', entry.task);
    const ctx = taskContext(entry, this.contextParts);
    let outcome: Outcome;
    try {
      outcome = { ok: true, result: toResultBytes(await inHandlerSpan(entry.task, async () => this.handler(entry.task, ctx))) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (entry.released) return; // release() ends it
    if (entry.lease.lost) {
      // The slot was held until the handler returned, so `concurrency` bounds the handlers really running.
      this.over(entry);
      return;
    }
    entry.phase = 'reporting';
    this.letGo(entry);
    try {
      await entry.log?.flush(); // the lines are stored before the outcome
      // Most outcomes get through at the first try: the rest, and every failure, go through outcomes.record.
      const completion = outcome.ok
        ? await this.completions.complete(entry.task, entry.token, outcome.result)
        : undefined;
      const after =
        completion && 'task' in completion ? completion.task : await this.outcomes.record(entry, outcome, completion);
      if (after && outcome.ok) this.emit('completed', after, outcome.result);
      else if (after && !outcome.ok) this.emit('failed', after, outcome.error);
    } finally {
      this.over(entry);
    }
  }

  /** Aborts the handler and gives the task back at once, without using up its attempt (ReleaseTask). */
  private async release(entry: Running): Promise<void> {
    if (entry.phase !== 'running' && entry.phase !== 'waiting') return;
    if (entry.lease.lost) {
      this.over(entry); // nothing to give back; stop waiting for a handler that ignores its signal
      return;
    }
    entry.released = true;
    entry.phase = 'reporting';
    abortHandler(entry, new WorkerClosingError());
    let after: Task | undefined;
    try {
      const released = await this.client.releaseTask(
        { queue: entry.task.queue, task_id: entry.task.id, lease_token: entry.token },
        { retry: true, timeoutMs: 5_000 },
      );
      after = released.task ?? undefined;
    } catch (error) {
      // The lease runs out and the server requeues the task: slower, but nothing is lost.
      this.report(error);
    } finally {
      this.over(entry);
    }
    if (after) this.emit('released', after);
  }
}

/** Creates a worker; call `run()` to start it and `close()` to stop it gracefully. */
export function createWorker(options: WorkerOptions): Worker {
  return new Worker(options);
}

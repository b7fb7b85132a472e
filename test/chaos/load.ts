import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BatonClient } from '../../clients/typescript/src/client.js';
import { statusOf } from '../../clients/typescript/src/errors.js';
import type { HistoryEvent } from './history.js';
import { outcomeOf } from './history.js';
import type { WorkerConfig } from './workerProcess.js';

/**
 * A bounded producer: `ratePerSecond` new tasks, in SubmitTasks batches every 100 ms, each named by its id so that
 * a retry is idempotent. Items whose submit failed or whose outcome is unknown are sent again (same id) with the
 * next batches until acknowledged. At most `maxInFlight` calls at once: a stalled cluster slows the producer down
 * rather than piling calls up.
 */
export class Producer {
  /** task id → queue, for every submit acknowledged. */
  readonly acked = new Map<string, string>();
  private readonly retry = new Map<string, string>();
  private next = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly calls = new Set<Promise<void>>();

  constructor(
    private readonly client: BatonClient,
    private readonly queues: readonly string[],
    private readonly prefix: string,
    private readonly ratePerSecond: number,
    private readonly record: (event: HistoryEvent) => void,
    private readonly maxInFlight = 6,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.tick(Math.round(this.ratePerSecond / 10));
    }, 100);
  }

  /** Stops making new tasks; what is unacknowledged is still retried by `settle`. */
  stop(): void {
    clearInterval(this.timer);
  }

  /** Retries what is not acknowledged until everything is, or `timeoutMs` passes. Returns what is left. */
  async settle(timeoutMs: number): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && (this.retry.size > 0 || this.inFlight > 0)) {
      this.tick(0);
      await Promise.race([...this.calls, new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    await Promise.all([...this.calls]);
    return this.retry.size;
  }

  private tick(fresh: number): void {
    if (this.inFlight >= this.maxInFlight) return;
    const items: { id: string; queue: string }[] = [];
    for (const [id, queue] of this.retry) {
      if (items.length >= 50) break;
      items.push({ id, queue });
      this.retry.delete(id);
    }
    for (let i = 0; i < fresh; i++, this.next++) {
      items.push({ id: `${this.prefix}-${this.next}`, queue: this.queues[this.next % this.queues.length] ?? '' });
    }
    if (items.length === 0) return;
    const call = this.send(items);
    this.calls.add(call);
    void call.finally(() => this.calls.delete(call));
  }

  private async send(items: { id: string; queue: string }[]): Promise<void> {
    this.inFlight++;
    const sent = Date.now();
    const results = await this.client
      .submitTasks(
        { requests: items.map(({ id, queue }) => ({ queue, task_id: id, payload: 'x', max_attempts: 100 })) },
        { timeoutMs: 3_000, retry: false },
      )
      .then((reply) => reply.results.map((r) => r.error?.code ?? 0))
      .catch((error: unknown) => items.map(() => statusOf(error) ?? 2 /* UNKNOWN */));
    this.inFlight--;
    const t = Date.now();
    items.forEach(({ id, queue }, i) => {
      const code = results[i] ?? 2;
      const outcome = outcomeOf(code);
      this.record({ op: 'submit', t, sent, queue, task: id, outcome, ...(code === 0 ? {} : { code }) });
      if (outcome === 'ok') this.acked.set(id, queue);
      else if (!this.acked.has(id)) this.retry.set(id, queue);
    });
  }
}

const WORKER_MAIN = join(__dirname, 'workerProcess.ts');

/** A chaos worker process (workerProcess.ts); `restart` starts a new one under a new worker id. */
export class WorkerProcess {
  process: ChildProcess | undefined;
  private generation = 0;
  readonly historyPaths: string[] = [];

  constructor(
    readonly name: string,
    private readonly config: Omit<WorkerConfig, 'workerId' | 'historyPath'>,
    private readonly dir: string,
  ) {}

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Starts the worker and resolves once its process has loaded and begun to claim. */
  async start(): Promise<void> {
    this.generation++;
    const workerId = `${this.name}.${this.generation}`;
    const historyPath = join(this.dir, `${workerId}.jsonl`);
    this.historyPaths.push(historyPath);
    const config: WorkerConfig = { ...this.config, workerId, historyPath };
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN], {
      env: { ...process.env, CHAOS_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.process = child;
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => {
        child.stdout.resume();
        resolve();
      });
      child.once('error', reject);
      child.once('exit', (code) => {
        reject(new Error(`chaos worker ${workerId} exited with ${String(code)} before it was ready`));
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.process?.kill(signal);
  }

  /** SIGTERM (a graceful close), then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type ExitStatus = { code: number | null; signal: NodeJS.Signals | null };

/**
 * A program the tests run in a child process: each line it prints on stdout goes to `onLine`, its stderr is kept
 * for failure messages, and tests wait on what it has printed, its exit, or signal it.
 */
export class WatchedProcess {
  readonly exited: Promise<ExitStatus>;
  private stderr = '';
  private readonly listeners = new Set<() => void>();

  constructor(
    protected readonly child: ChildProcess,
    onLine: (line: string) => void,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
        this.notify();
      });
    });
    if (!child.stdout || !child.stderr) throw new Error('spawned without pipes');
    createInterface({ input: child.stdout }).on('line', (line) => {
      onLine(line);
      this.notify();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  get stderrText(): string {
    return this.stderr;
  }

  /**
   * Resolves with what `find` returns once it returns something, checked after every line; rejects when the
   * process exits first or `timeoutMs` passes, with `describe(outcome)` as the message.
   */
  protected waitUntil<T>(find: () => T | undefined, describe: (outcome: 'exited' | 'timeout') => string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = find();
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done();
          reject(new Error(describe('exited')));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(describe('timeout')));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** SIGTERM, then the exit status; SIGKILL if it has not exited within `timeoutMs`. */
  async terminate(timeoutMs = 5_000): Promise<ExitStatus> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      this.signal('SIGKILL');
    }, timeoutMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

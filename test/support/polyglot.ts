import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Handler } from '../../src/index.js';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
/** Debian's interpreter, which has python3-grpcio; the first python3 on PATH may be another one. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
const INSTALL_HINT = 'install them with `bash scripts/install-test-deps.sh` (Debian packages)';

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Throws, naming what is missing, unless the Python and Go toolchains for the examples are installed. */
export async function assertToolchains(): Promise<void> {
  const missing: string[] = [];
  try {
    await run(SYSTEM_PYTHON, ['-c', 'import grpc, grpc_tools']);
  } catch {
    missing.push(`${SYSTEM_PYTHON} with grpc and grpc_tools (python3-grpcio, python3-grpc-tools)`);
  }
  for (const tool of ['go', 'protoc', 'protoc-gen-go', 'protoc-gen-go-grpc']) {
    if (!onPath(tool)) missing.push(tool);
  }
  if (missing.length > 0) {
    throw new Error(`the polyglot test needs toolchains that are missing: ${missing.join(', ')}; ${INSTALL_HINT}`);
  }
}

export interface PolyglotBuild {
  /** Environment for the Python scripts: where their generated stubs are. */
  pythonEnv: NodeJS.ProcessEnv;
  goWorker: string;
  goProducer: string;
  remove(): void;
}

/** Generates the Python stubs and builds the Go binaries, as a user would, into a temporary directory. */
export async function buildExamples(): Promise<PolyglotBuild> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-polyglot-'));
  const stubs = join(dir, 'python');
  const goBuild = join(dir, 'go');
  try {
    await Promise.all([
      run(SYSTEM_PYTHON, [join(ROOT, 'examples/python/gen_stubs.py')], { env: { ...process.env, BATON_PY_STUBS: stubs } }),
      run('bash', [join(ROOT, 'examples/go/build.sh')], { env: { ...process.env, BATON_GO_BUILD: goBuild } }),
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const output = error as { stderr?: string; stdout?: string };
    throw new Error(`building the examples failed:\n${output.stdout ?? ''}${output.stderr ?? String(error)}`);
  }
  return {
    pythonEnv: { ...process.env, BATON_PY_STUBS: stubs },
    goWorker: join(goBuild, 'bin', 'baton-worker'),
    goProducer: join(goBuild, 'bin', 'baton-producer'),
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One JSON line printed by an example worker. */
export interface WorkerEvent {
  event: string;
  lang: string;
  task_id?: string;
  attempt?: number;
  [field: string]: unknown;
}

/** An example worker in a child process, with the JSON lines it has printed so far. */
export class WorkerProcess {
  readonly events: WorkerEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly workerId: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
        this.notify();
      });
    });
    if (!child.stdout || !child.stderr) throw new Error('worker spawned without pipes');
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as WorkerEvent);
      } catch {
        this.events.push({ event: 'unparsed', lang: 'unknown', line });
      }
      this.notify();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** Events of one kind, e.g. every "completed". */
  named(event: string): WorkerEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** Resolves with the first event that matches, waiting for it up to `timeoutMs`. */
  waitFor(match: (event: WorkerEvent) => boolean, what: string, timeoutMs = 10_000): Promise<WorkerEvent> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.events.find(match);
        if (found) {
          done();
          resolve(found);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done();
          reject(new Error(`${this.workerId} exited before ${what}; stderr: ${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.workerId}: no ${what} within ${timeoutMs}ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`));
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
  async terminate(timeoutMs = 5_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      this.signal('SIGKILL');
    }, timeoutMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }

  get stderrText(): string {
    return this.stderr;
  }
}

export interface WorkerArgs {
  server: string;
  queue: string;
  workerId: string;
  leaseSeconds: number;
}

export function spawnPythonWorker(build: PolyglotBuild, args: WorkerArgs): WorkerProcess {
  const child = spawn(
    SYSTEM_PYTHON,
    [
      join(ROOT, 'examples/python/worker.py'),
      '--server', args.server,
      '--queue', args.queue,
      '--worker-id', args.workerId,
      '--lease-seconds', String(args.leaseSeconds),
      '--poll-seconds', '2',
    ],
    { env: build.pythonEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new WorkerProcess(args.workerId, child);
}

export function spawnGoWorker(build: PolyglotBuild, args: WorkerArgs): WorkerProcess {
  const child = spawn(
    build.goWorker,
    [
      '-server', args.server,
      '-queue', args.queue,
      '-worker-id', args.workerId,
      '-lease-seconds', String(args.leaseSeconds),
      '-poll-seconds', '2',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new WorkerProcess(args.workerId, child);
}

/** The examples' demo job, which every language's worker implements: `<worker id> NUL <payload reversed>`. */
export function demoResult(workerId: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(workerId), Buffer.from([0]), Buffer.from(payload).reverse()]);
}

/** The demo job as a TypeScript worker handler: honours `work_ms` and stops early when its signal fires. */
export const demoHandler: Handler = async (task, ctx) => {
  const workMs = Number(task.metadata.work_ms ?? '0');
  if (workMs > 0) await sleep(workMs, undefined, { signal: ctx.signal });
  return demoResult(ctx.workerId, task.payload);
};

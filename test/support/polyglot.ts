import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Handler } from '../../clients/typescript/src/index.js';
import { WatchedProcess } from './childProcess.js';

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
    await run(SYSTEM_PYTHON, ['-c', 'import grpc, google.protobuf']);
  } catch {
    missing.push(`${SYSTEM_PYTHON} with grpc and protobuf (python3-grpcio, python3-protobuf)`);
  }
  for (const tool of ['go']) {
    if (!onPath(tool)) missing.push(tool);
  }
  if (missing.length > 0) {
    throw new Error(`the polyglot test needs toolchains that are missing: ${missing.join(', ')}; ${INSTALL_HINT}`);
  }
}

export interface PolyglotBuild {
  /** Environment for the Python example: the SDK (clients/python) on PYTHONPATH, as without `pip install`. */
  pythonEnv: NodeJS.ProcessEnv;
  goWorker: string;
  goProducer: string;
  remove(): void;
}

/** Builds the Go binaries, as a user would, into a temporary directory (the Python example runs on the SDK as it is). */
export async function buildExamples(): Promise<PolyglotBuild> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-polyglot-'));
  const goBuild = join(dir, 'go');
  try {
    await run('bash', [join(ROOT, 'examples/go/build.sh')], { env: { ...process.env, BATON_GO_BUILD: goBuild } });
    // The Go examples (on the Go SDK) build as a user's would; the test's Go worker is the demo job on the SDK.
    await run('bash', [join(ROOT, 'clients/go/build.sh'), 'binary', join(goBuild, 'bin', 'go-demo-worker'), 'test/support/go-demo-worker']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const output = error as { stderr?: string; stdout?: string };
    throw new Error(`building the examples failed:\n${output.stdout ?? ''}${output.stderr ?? String(error)}`);
  }
  return {
    pythonEnv: { ...process.env, PYTHONPATH: join(ROOT, 'clients', 'python') },
    goWorker: join(goBuild, 'bin', 'go-demo-worker'),
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
export class WorkerProcess extends WatchedProcess {
  readonly events: WorkerEvent[];

  constructor(
    readonly workerId: string,
    child: ChildProcess,
  ) {
    const events: WorkerEvent[] = [];
    super(child, (line) => {
      try {
        events.push(JSON.parse(line) as WorkerEvent);
      } catch {
        events.push({ event: 'unparsed', lang: 'unknown', line });
      }
    });
    this.events = events;
  }

  /** Events of one kind, e.g. every "completed". */
  named(event: string): WorkerEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** Resolves with the first event that matches, waiting for it up to `timeoutMs`. */
  waitFor(match: (event: WorkerEvent) => boolean, what: string, timeoutMs = 10_000): Promise<WorkerEvent> {
    return this.waitUntil(
      () => this.events.find(match),
      (outcome) =>
        outcome === 'exited'
          ? `${this.workerId} exited before ${what}; stderr: ${this.stderrText}`
          : `${this.workerId}: no ${what} within ${timeoutMs}ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderrText}`,
      timeoutMs,
    );
  }
}

export interface WorkerArgs {
  server: string;
  queue: string;
  workerId: string;
  leaseSeconds: number;
}

export function spawnPythonWorker(build: PolyglotBuild, args: WorkerArgs): WorkerProcess {
  const child = spawn(SYSTEM_PYTHON, [join(ROOT, 'examples/python/worker.py')], {
    env: {
      ...build.pythonEnv,
      BATON_SERVER: args.server,
      BATON_QUEUE: args.queue,
      BATON_WORKER_ID: args.workerId,
      BATON_LEASE_SECONDS: String(args.leaseSeconds),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

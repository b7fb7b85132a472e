import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WatchedProcess } from './childProcess.js';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
/** Debian's interpreter, which has python3-grpcio; the first python3 on PATH may be another one. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
/** Where the Python SDK (package `baton`) lives: on PYTHONPATH, as without `pip install`. */
export const PYTHON_SDK = join(ROOT, 'clients', 'python');
export const PYTHON_CONFORMANCE_WORKER = join(PYTHON_SDK, 'conformance', 'worker.py');

/** The environment a Python program using the SDK from the source tree runs with. */
export function pythonEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONPATH: PYTHON_SDK, PYTHONUNBUFFERED: '1', ...extra };
}

/** Runs a Python script to its end (with `input` on its stdin); resolves with its stdout, rejects with its stderr. */
export async function runPython(script: string, args: string[], env: NodeJS.ProcessEnv = {}, input = ''): Promise<string> {
  try {
    const pending = run(SYSTEM_PYTHON, [script, ...args], { env: pythonEnv(env), maxBuffer: 64 * 1024 * 1024 });
    pending.child.stdin?.end(input);
    const { stdout } = await pending;
    return stdout;
  } catch (error) {
    const output = error as { stderr?: string };
    throw new Error(`${script} failed: ${output.stderr ?? String(error)}`);
  }
}

/** A Python program in a child process, with the lines it has printed on stdout so far. */
export class PythonProcess extends WatchedProcess {
  readonly lines: string[];

  constructor(script: string, args: string[], env: NodeJS.ProcessEnv) {
    const lines: string[] = [];
    super(spawn(SYSTEM_PYTHON, [script, ...args], { env: pythonEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }), (line) => lines.push(line));
    this.lines = lines;
  }

  /** Resolves once a line equal to `line` has been printed. */
  waitForLine(line: string, timeoutMs = 10_000): Promise<void> {
    return this.waitUntil(
      () => (this.lines.includes(line) ? true : undefined),
      (outcome) =>
        outcome === 'exited'
          ? `exited before printing ${line}; stderr: ${this.stderrText}`
          : `no "${line}" within ${timeoutMs}ms; lines: ${JSON.stringify(this.lines)}; stderr: ${this.stderrText}`,
      timeoutMs,
    ).then(() => undefined);
  }
}

export interface ConformanceWorkerOptions {
  servers: string[];
  queue: string;
  concurrency?: number;
  leaseMs?: number;
  workerId?: string;
}

/** The Python SDK's conformance worker (clients/python/conformance/worker.py), as the conformance harness runs it. */
export function spawnPythonConformanceWorker(options: ConformanceWorkerOptions): PythonProcess {
  return new PythonProcess(PYTHON_CONFORMANCE_WORKER, [], {
    BATON_SERVER: options.servers.join(','),
    BATON_QUEUE: options.queue,
    BATON_CONCURRENCY: String(options.concurrency ?? 4),
    BATON_LEASE_MS: String(options.leaseMs ?? 2_000),
    ...(options.workerId ? { BATON_WORKER_ID: options.workerId } : {}),
  });
}

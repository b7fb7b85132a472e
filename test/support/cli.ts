import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process, as a user's shell would (BATON_SERVER cleared unless `env` sets it). */
export function cli(args: string[], options: { stdin?: Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'clients/typescript/src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, BATON_SERVER: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin);
  });
}

/** The data rows of a table the CLI printed (header dropped), each split on runs of 2+ spaces. */
export function tableRows(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/ {2,}/));
}

/** A long-running CLI (watch) in a child process: read its output as it comes, then stop it with a signal. */
export interface Spawned {
  /** Resolves with stdout once `check` passes on it; rejects when the time is up or the process ended first. */
  stdoutUntil(check: (stdout: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (default SIGINT) and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<Run>;
  /** Resolves when the process exits on its own. */
  exited: Promise<Run>;
}

export function spawnCli(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'clients/typescript/src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, BATON_SERVER: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    out.stdout += chunk.toString();
    for (const listener of [...listeners]) listener();
  });
  child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  const exited = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, ...out });
      for (const listener of [...listeners]) listener();
    });
  });
  return {
    exited,
    stdoutUntil: (check, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const done = (error?: Error): void => {
          listeners.delete(test);
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(out.stdout);
        };
        const test = (): void => {
          if (check(out.stdout)) done();
          else if (child.exitCode !== null || child.signalCode !== null) {
            done(new Error(`the CLI exited (${child.exitCode ?? child.signalCode}) first; stderr: ${out.stderr}`));
          }
        };
        const timer = setTimeout(() => {
          done(new Error(`not seen within ${timeoutMs}ms; stdout: ${out.stdout}; stderr: ${out.stderr}`));
        }, timeoutMs);
        listeners.add(test);
        test();
      }),
    stop: (signal = 'SIGINT') => {
      child.kill(signal);
      return exited;
    },
  };
}

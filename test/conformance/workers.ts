/**
 * The languages the conformance suite runs: one entry per SDK, each naming how to start its conformance worker
 * (see README.md for what that program must do). Every scenario runs once for each entry.
 *
 * To add an SDK, add one object to WORKERS. For example (paths relative to the repository root, where the worker
 * is started):
 *
 *   { language: 'python', command: () => ({ file: '/usr/bin/python3', args: ['clients/python/conformance/worker.py'],
 *       env: { PYTHONPATH: 'clients/python' } }) },
 *   { language: 'go', ...builtOnce('clients/go/conformance/build.sh') },
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface ConformanceWorker {
  /** Names the tests: "conformance (typescript)". */
  language: string;
  /** Run once per test file before its first worker starts, e.g. to build a binary. Throws when it cannot. */
  prepare?(): Promise<void>;
  /** How to start the worker: an executable, its arguments, and environment on top of the harness's own. */
  command(): { file: string; args: string[]; env?: NodeJS.ProcessEnv };
}

const ROOT = join(__dirname, '..', '..');

/**
 * For an SDK whose worker is compiled: `script OUT_BINARY` builds it once per test file (in a temporary
 * directory), and the command runs the binary.
 */
export function builtOnce(script: string): Pick<ConformanceWorker, 'prepare' | 'command'> {
  const binary = join(mkdtempSync(join(tmpdir(), 'baton-conformance-')), 'worker');
  let built: Promise<void> | undefined;
  return {
    prepare: () => {
      built ??= promisify(execFile)('bash', [join(ROOT, script), binary], { cwd: ROOT }).then(() => undefined);
      return built;
    },
    command: () => ({ file: binary, args: [] }),
  };
}

export const WORKERS: readonly ConformanceWorker[] = [
  {
    language: 'typescript',
    command: () => ({ file: process.execPath, args: ['--import', 'tsx', join(ROOT, 'test/conformance/workers/worker.ts')] }),
  },
  {
    language: 'python',
    command: () => ({
      file: '/usr/bin/python3',
      args: [join(ROOT, 'clients/python/conformance/worker.py')],
      env: { PYTHONPATH: join(ROOT, 'clients/python') },
    }),
  },
  { language: 'go', ...builtOnce('clients/go/conformance/build.sh') },
];

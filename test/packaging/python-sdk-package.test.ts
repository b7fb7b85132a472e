import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PYTHON_SDK, SYSTEM_PYTHON } from '../support/python.js';

const run = promisify(execFile);

describe('the Python SDK package (clients/python)', () => {
  it('pip installs offline into a venv on Debian grpcio and protobuf, stubs included, and imports from elsewhere', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-py-package-'));
    try {
      const venv = join(dir, 'venv');
      // --system-site-packages: grpcio, protobuf and setuptools come from Debian, nothing from an index.
      await run(SYSTEM_PYTHON, ['-m', 'venv', '--system-site-packages', venv]);
      const python = join(venv, 'bin', 'python');
      await run(python, ['-m', 'pip', 'install', '--no-index', '--no-build-isolation', '--no-deps', '--quiet', PYTHON_SDK], {
        env: { ...process.env, PIP_NO_INPUT: '1' },
      });
      const { stdout } = await run(
        python,
        ['-c', 'import baton, baton.v1.task_pb2 as t, os; print(os.path.dirname(baton.__file__)); print(baton.__version__); print(t.Task.DESCRIPTOR.full_name)'],
        { cwd: dir, env: { ...process.env, PYTHONPATH: '' } },
      );
      const [location, version, message] = stdout.trim().split('\n');
      assert.ok(location?.startsWith(venv), `imported from the venv, not the source tree: ${location ?? ''}`);
      assert.equal(version, '0.1.0');
      assert.equal(message, 'baton.v1.Task');
      const { stdout: typed } = await run(python, ['-c', 'import baton, os; print(os.path.exists(os.path.join(os.path.dirname(baton.__file__), "py.typed")))'], { cwd: dir });
      assert.equal(typed.trim(), 'True', 'ships py.typed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { run } from './support/exec.js';
import { REPO_ROOT } from './support/helm.js';

const BUF = join(REPO_ROOT, 'node_modules/.bin/buf');
const GENERATED = ['clients/typescript/src/gen', 'clients/go/batonv1', 'clients/python/baton/v1'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the contract in proto/', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'baton-gen-'));
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('passes buf lint', async () => {
    const linted = await run(BUF, ['lint', 'proto'], { cwd: REPO_ROOT });
    assert.equal(linted.code, 0, linted.stdout + linted.stderr);
  });

  it('breaks nothing a client of the last release relies on', async () => {
    const checked = await run(BUF, ['breaking', 'proto', '--against', 'proto/releases/v0.1.0.binpb'], { cwd: REPO_ROOT });
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  });

  it('generates exactly the committed code (run `npm run gen` after changing proto/)', async () => {
    const generated = await run('bash', ['scripts/gen.sh', scratch], { cwd: REPO_ROOT });
    assert.equal(generated.code, 0, generated.stderr);
    for (const dir of GENERATED) {
      const fresh = filesUnder(join(scratch, dir)).map((file) => relative(scratch, file)).sort();
      const committed = filesUnder(join(REPO_ROOT, dir)).map((file) => relative(REPO_ROOT, file)).sort();
      assert.deepEqual(committed, fresh, `${dir} holds the files buf generates`);
      for (const file of fresh) {
        assert.equal(readFileSync(join(REPO_ROOT, file), 'utf8'), readFileSync(join(scratch, file), 'utf8'), `${file} is up to date`);
      }
    }
  });
});

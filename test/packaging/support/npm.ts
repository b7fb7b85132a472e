// The npm that node:20 images ship (npm 10), for replaying the Dockerfile's RUN npm ... steps.
// The machine's own npm may be newer: npm 11 refuses `npm ci` on lock files that npm 10 (the image's)
// accepts, e.g. one that lacks optional platform packages the registry does not serve. Replaying with
// the image's npm major keeps the test faithful to what `docker build` does.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './exec';
import { REPO_ROOT } from './helm';

/** npm bundled with Node.js 20 (the Dockerfile's base image). */
export const IMAGE_NPM_VERSION = '10.8.2';

const CACHE_DIR = join(REPO_ROOT, 'node_modules/.cache/baton-npm');

let cached: Promise<string> | undefined;

/** A directory holding `npm` (and `npx`) of IMAGE_NPM_VERSION, to put first on PATH. */
export function imageNpmBinDir(): Promise<string> {
  cached ??= (async () => {
    const target = join(CACHE_DIR, IMAGE_NPM_VERSION);
    const bin = join(target, 'node_modules/.bin');
    if (existsSync(join(bin, 'npm'))) return bin;
    mkdirSync(CACHE_DIR, { recursive: true });
    const work = mkdtempSync(join(CACHE_DIR, 'install-'));
    try {
      await runOk(
        'npm',
        ['install', '--prefix', work, '--no-save', '--no-package-lock', '--ignore-scripts', '--loglevel=error', `npm@${IMAGE_NPM_VERSION}`],
        { cwd: work, timeoutMs: 300_000 },
      );
      rmSync(target, { recursive: true, force: true });
      renameSync(work, target);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return bin;
  })();
  return cached;
}

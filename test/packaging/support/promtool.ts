// promtool (Debian package `prometheus`), required: without it the alert rules and dashboard queries go
// unchecked, so a missing promtool fails the tests instead of skipping them.
import assert from 'node:assert/strict';
import { run } from './exec';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

/** Runs promtool in `cwd`, asserts it succeeded and returns its standard output. */
export async function promtool(args: readonly string[], cwd: string): Promise<string> {
  let result;
  try {
    result = await run(PROMTOOL, args, { cwd });
  } catch (error) {
    throw new Error(
      `promtool is required by the packaging tests and could not be run (${String(error)}). ` +
        'Install it with `apt-get install -y prometheus` (Debian) or set PROMTOOL to its path.',
      { cause: error },
    );
  }
  assert.equal(result.code, 0, `promtool ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

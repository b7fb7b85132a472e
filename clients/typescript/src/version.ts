import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The version in the nearest package.json at or above `dir` (default: this file's folder), read when called. From
 * source (tsx) and from a build (dist/...) alike, that is the package the code ships in.
 */
export function packageVersion(dir: string = __dirname): string {
  for (let at = dir; ; at = dirname(at)) {
    try {
      const { version } = JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof version === 'string') return version;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (dirname(at) === at) return 'unknown';
  }
}

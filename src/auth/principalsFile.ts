import { readFileSync } from 'node:fs';
import type { Logger } from '../log.js';
import { Principals, PrincipalsError } from './principals.js';
import { watchFiles } from './watchFiles.js';
import type { FileWatch } from './watchFiles.js';

/**
 * The principals of --auth-tokens-file, kept current: a changed file takes effect for calls that start after it
 * was read (rotation without a restart); a file that does not parse keeps the previous principals and logs a
 * warning, so a half-written or mistaken edit locks nobody out.
 */
export class PrincipalsFile {
  private principals: Principals;
  private readonly watch: FileWatch;

  /** Throws PrincipalsError when the file cannot be read or parsed: the server must not start without it. */
  constructor(
    readonly path: string,
    log: Logger,
    pollMs = 1_000,
  ) {
    let text: Buffer;
    try {
      text = readFileSync(path);
    } catch (error) {
      throw new PrincipalsError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.principals = parseIn(path, text);
    this.watch = watchFiles(
      [path],
      pollMs,
      ([contents]) => {
        try {
          this.principals = parseIn(path, contents ?? Buffer.alloc(0));
          log.info('auth tokens file reloaded', { file: path, principals: this.principals.size });
        } catch (error) {
          log.warn('auth tokens file not reloaded: keeping the previous principals', { file: path, error: String(error) });
        }
      },
      (error) => {
        log.warn('auth tokens file unreadable: keeping the previous principals', { file: path, error: error.message });
      },
      [text],
    );
  }

  get current(): Principals {
    return this.principals;
  }

  stop(): void {
    this.watch.stop();
  }
}

function parseIn(path: string, text: Buffer): Principals {
  try {
    return Principals.parse(text.toString('utf8'));
  } catch (error) {
    if (error instanceof PrincipalsError) throw new PrincipalsError(`${path}: ${error.message}`);
    throw error;
  }
}

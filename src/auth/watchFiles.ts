import { readFile } from 'node:fs/promises';

export interface FileWatch {
  stop(): void;
}

/**
 * Calls `onChange` with the files' contents whenever any of them changed since the last call, checking every
 * `intervalMs`. Polling the contents rather than fs.watch: a Kubernetes Secret volume updates by swapping a
 * symlink two levels up, which fs.watch on the file never reports, and a few small files a second cost nothing.
 * A file that cannot be read is reported to `onError` once per distinct message and then retried.
 */
export function watchFiles(
  paths: readonly string[],
  intervalMs: number,
  onChange: (contents: Buffer[]) => void,
  onError: (error: Error) => void,
  /** What the caller already loaded, so the first poll only reports a real change. */
  initial?: readonly Buffer[],
): FileWatch {
  let last = initial;
  let lastError: string | undefined;
  let reading = false;
  const poll = async (): Promise<void> => {
    if (reading) return;
    reading = true;
    try {
      const contents = await Promise.all(paths.map((path) => readFile(path)));
      lastError = undefined;
      if (last !== undefined && contents.every((c, i) => last?.[i]?.equals(c) === true)) return;
      last = contents;
      onChange(contents);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      if (err.message !== lastError) onError(err);
      lastError = err.message;
    } finally {
      reading = false;
    }
  };
  const timer = setInterval(() => void poll(), intervalMs);
  // A watch must never keep the process alive on its own.
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
    },
  };
}

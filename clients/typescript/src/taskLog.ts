import { format } from 'node:util';
import type { BatonClient } from './client.js';
import type { TaskLogEntry } from './contract.js';
import { timestampFromMs } from './time.js';

/** What the server keeps of a task's log (see AppendTaskLogs): more buffered than this would be dropped there. */
const KEPT_LINES = 1000;
const KEPT_BYTES = 64 * 1024;
/** A longer line is cut here, at a character boundary, and marked truncated. */
const LINE_MAX_BYTES = 4096;
/** A batch this big goes at once rather than at the next interval. */
const FLUSH_LINES = 200;
const FLUSH_BYTES = 32 * 1024;
const APPEND_TIMEOUT_MS = 10_000;

export interface TaskLogTarget {
  queue: string;
  task_id: string;
  lease_token: string;
}

/** `text` within `maxBytes` of UTF-8, cut at a character boundary. */
export function cutLine(text: string, maxBytes = LINE_MAX_BYTES): { text: string; truncated: boolean } {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return { text, truncated: false };
  const bytes = Buffer.from(text);
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: bytes.toString('utf8', 0, end), truncated: true };
}

/**
 * The log lines of one running task (`ctx.log`), batched: sent when `intervalMs` passed since the first unsent
 * line, when a batch is big, and by `flush()` before the task's outcome is reported, so its lines are stored
 * before it completes. Appends go one at a time, in order. Logging never throws: a failed append is reported to
 * `onError` and its lines are lost. At most what the server keeps waits here; older lines go first.
 */
export class TaskLog {
  private pending: TaskLogEntry[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly client: BatonClient,
    private readonly target: TaskLogTarget,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Formats `args` as console.log does; each line of the text is one log line. */
  log(args: readonly unknown[]): void {
    if (this.closed) return;
    const time = timestampFromMs(Date.now());
    const text = format(...args);
    for (const piece of text.split(/\r?\n/)) {
      const line = cutLine(piece);
      this.pending.push({ ...line, time });
      this.pendingBytes += Buffer.byteLength(line.text);
    }
    while (this.pending.length > KEPT_LINES || this.pendingBytes > KEPT_BYTES) {
      this.pendingBytes -= Buffer.byteLength(this.pending.shift()?.text ?? '');
    }
    if (this.pending.length >= FLUSH_LINES || this.pendingBytes >= FLUSH_BYTES) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Sends what is buffered; resolves once every append so far is answered. Never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return this.sending;
    const lines = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.sending = this.sending.then(() =>
      this.client.appendTaskLogs({ ...this.target, lines }, { timeoutMs: APPEND_TIMEOUT_MS }).then(
        () => undefined,
        (error: unknown) => {
          this.onError(error);
        },
      ),
    );
    return this.sending;
  }

  /** Drops what is buffered and takes no more lines (the task is over for this worker). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.pendingBytes = 0;
  }
}

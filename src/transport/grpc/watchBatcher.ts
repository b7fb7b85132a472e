/** Most events in one WatchTasksResponse. */
export const MESSAGE_MAX_EVENTS = 1_000;
/** About the most bytes in one WatchTasksResponse (an event larger than this still goes, alone). */
export const MESSAGE_MAX_BYTES = 1024 * 1024;

/**
 * The last message built from several events. Watchers of a queue that keep up receive the same events in the
 * same turn and build the same message one after another, so they share one copy instead of one each.
 */
let lastBuilt: { parts: Buffer[]; message: Buffer } | undefined;

function messageOf(parts: Buffer[], bytes: number): Buffer {
  if (parts.length === 1) return parts[0] as Buffer;
  const last = lastBuilt;
  if (last?.parts.length === parts.length && parts.every((part, i) => part === last.parts[i])) return last.message;
  const message = Buffer.concat(parts, bytes);
  lastBuilt = { parts, message };
  return message;
}

/** Where a batcher's messages go: one WatchTasks stream. */
export interface MessageWriter {
  /**
   * Writes one encoded message; `written` runs once gRPC has handed it to the connection. Returns false when the
   * stream wants the writer to wait for its 'drain' (then `drain()` must be called).
   */
  write(message: Buffer, written: () => void): boolean;
}

/**
 * One watcher's outgoing events, coalesced into stream messages. Each event arrives as its own encoded
 * `WatchTasksResponse` (one length-delimited field-1 entry, shared by every watcher), so a message of several
 * events is just their bytes one after another.
 *
 * At most one message is in flight per stream. An idle stream sends what it has at the end of the current turn
 * of the event loop (events delivered together go together, and nothing waits for a timer); whatever arrives
 * while a message is in flight goes in the next one as soon as that one is written. So a stream that keeps up
 * sends one message per event, and one that falls behind sends fewer, larger messages instead of queueing
 * many small writes: the cost per event falls as the load rises.
 */
export class WatchBatcher {
  private pending: Buffer[] = [];
  private inFlight = false;
  private blocked = false;
  private scheduled = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly writer: MessageWriter) {}

  /** Events waiting for a message (not yet handed to gRPC). */
  get backlog(): number {
    return this.pending.length;
  }

  /** Queues one encoded event; it is sent in order after every event pushed before it. */
  push(entry: Buffer): void {
    if (this.closed) return;
    this.pending.push(entry);
    this.schedule();
  }

  /** The stream emitted 'drain' after a write returned false. */
  drain(): void {
    this.blocked = false;
    this.schedule();
  }

  /** Resolves once every event pushed so far has been handed to gRPC (or the batcher is closed). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops what is not sent yet and wakes anyone waiting in `idle()`. */
  close(): void {
    this.closed = true;
    this.pending = [];
    this.wakeIdle();
  }

  private isIdle(): boolean {
    return this.closed || (this.pending.length === 0 && !this.blocked);
  }

  private wakeIdle(): void {
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  // A microtask, not a timer: events delivered in the same turn share a message, and none waits longer.
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (!this.closed && !this.inFlight && !this.blocked && this.pending.length > 0) this.send();
    if (this.isIdle()) this.wakeIdle();
  }

  private send(): void {
    let count = 0;
    let bytes = 0;
    for (const entry of this.pending) {
      if (count === MESSAGE_MAX_EVENTS || (count > 0 && bytes + entry.length > MESSAGE_MAX_BYTES)) break;
      count += 1;
      bytes += entry.length;
    }
    const parts = this.pending.splice(0, count);
    const message = messageOf(parts, bytes);
    this.inFlight = true;
    const accepted = this.writer.write(message, () => {
      this.inFlight = false;
      this.schedule();
    });
    if (!accepted) this.blocked = true;
  }
}

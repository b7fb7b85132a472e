import { BatonError, invalidArgument } from './errors.js';
import type { EventBounds, EventReader, TaskStore } from './store.js';
import type { TaskEvent, TaskEventType } from './task.js';

/** A blocking read waits this long before it reads again (and notices it was stopped). */
export const EVENT_READ_BLOCK_MS = 5_000;
const BACKLOG_PAGE = 500;
const READ_RETRY_MS = 500;

/** The number written in decimal digits from `from` up to `to` (positions are checked to be digits). */
function digitsAt(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}

/**
 * Stream positions are "<ms>-<seq>"; true when a comes after b. Parsed in place rather than split: every watcher
 * checks every event, and this was the largest cost of fanning events out.
 */
export function isAfter(a: string, b: string): boolean {
  const aDash = a.indexOf('-');
  const bDash = b.indexOf('-');
  const aEnd = aDash < 0 ? a.length : aDash;
  const bEnd = bDash < 0 ? b.length : bDash;
  const aMs = digitsAt(a, 0, aEnd);
  const bMs = digitsAt(b, 0, bEnd);
  if (aMs !== bMs) return aMs > bMs;
  return digitsAt(a, aEnd + 1, a.length) > digitsAt(b, bEnd + 1, b.length);
}

type Listener = (events: TaskEvent[]) => void;

/** One reader of one queue's stream on this replica, shared by every watcher of that queue. */
class QueueFeed {
  readonly listeners = new Set<Listener>();
  /** The position the feed reads after; every event after it reaches the listeners. */
  readonly ready: Promise<string>;
  private readonly stopping = new AbortController();
  private readonly reader: EventReader;

  constructor(
    store: TaskStore,
    queue: string,
    private readonly onError: (error: unknown) => void,
  ) {
    this.reader = store.openEventReader(queue);
    this.ready = store.eventBounds(queue).then((bounds) => bounds?.last ?? '0-0');
    void this.ready.then(
      (position) => this.loop(position),
      (error: unknown) => {
        this.onError(error);
      },
    );
  }

  private async loop(start: string): Promise<void> {
    let position = start;
    const stopped = this.stopping.signal;
    while (!stopped.aborted) {
      try {
        const events = await this.reader.next(position, EVENT_READ_BLOCK_MS);
        const last = events.at(-1);
        if (!last) continue;
        position = last.position;
        for (const listener of this.listeners) listener(events);
      } catch (error) {
        // Closing the reader makes its pending read fail: that is the end, not an error.
        if (this.isStopped()) return;
        this.onError(error);
        await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS));
      }
    }
  }

  private isStopped(): boolean {
    return this.stopping.signal.aborted;
  }

  stop(): void {
    this.stopping.abort();
    this.reader.close();
  }
}

/** Fans each queue's events out to every watcher on this replica; a feed lives while someone watches. */
export class EventHub {
  private readonly feeds = new Map<string, QueueFeed>();

  constructor(
    private readonly store: TaskStore,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Returns the feed's start position (every later event reaches `listener`) and an unsubscribe function. */
  subscribe(queue: string, listener: Listener): { ready: Promise<string>; unsubscribe: () => void } {
    let feed = this.feeds.get(queue);
    if (!feed) {
      feed = new QueueFeed(this.store, queue, this.onError);
      this.feeds.set(queue, feed);
    }
    feed.listeners.add(listener);
    const current = feed;
    return {
      ready: current.ready,
      unsubscribe: () => {
        current.listeners.delete(listener);
        if (current.listeners.size === 0 && this.feeds.get(queue) === current) {
          current.stop();
          this.feeds.delete(queue);
        }
      },
    };
  }

  close(): void {
    for (const feed of this.feeds.values()) feed.stop();
    this.feeds.clear();
  }
}

export type WatchStart = { from: 'now' } | { from: 'oldest' } | { from: 'cursor'; cursor: string };

export interface WatchFilter {
  taskId?: string;
  types?: ReadonlySet<TaskEventType>;
}

/** Cursors are opaque to clients and bound to their queue. */
export function encodeCursor(queue: string, position: string): string {
  return Buffer.from(`${queue}|${position}`).toString('base64url');
}

export function decodeCursor(cursor: string, queue: string): string {
  const [cursorQueue, position = ''] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (cursorQueue !== queue || !/^\d+-\d+$/.test(position)) {
    throw invalidArgument('cursor', `is not a cursor of queue "${queue}"`);
  }
  return position;
}

/**
 * True when events after `position` may be gone, or the position is not of this stream. Conservative at the edge:
 * a cursor just before the oldest retained event may have missed none, but the stream keeps no trimmed positions
 * to tell. When every event has aged out, a cursor at the last one appended has missed nothing.
 */
function mayHaveMissedEvents(bounds: EventBounds | undefined, position: string): boolean {
  if (!bounds || isAfter(position, bounds.last)) return true;
  return isAfter(bounds.first ?? bounds.last, position);
}

/** Where a watch sends its events. */
export interface EventSink {
  deliver(event: TaskEvent): void;
  /** Resolves when the receiver has taken what was delivered so far (backpressure for catching up). */
  drained(): Promise<void>;
}

/**
 * Delivers a queue's events in order from a start position until `signal` aborts: first what is retained in
 * Redis, page by page as the receiver keeps up, then live events from the shared feed, with nothing lost or
 * repeated in between.
 */
export async function watchEvents(
  store: TaskStore,
  hub: EventHub,
  queue: string,
  start: WatchStart,
  filter: WatchFilter,
  sink: EventSink,
  signal: AbortSignal,
): Promise<void> {
  let position: string;
  if (start.from === 'cursor') {
    position = decodeCursor(start.cursor, queue);
    if (mayHaveMissedEvents(await store.eventBounds(queue), position)) {
      throw new BatonError(
        'OUT_OF_RANGE',
        `events after this cursor are no longer retained for queue "${queue}"; resync with ListTasks and watch from now`,
      );
    }
  } else if (start.from === 'oldest') {
    position = '0-0';
  } else {
    position = (await store.eventBounds(queue))?.last ?? '0-0';
  }

  const matches = (event: TaskEvent): boolean =>
    (filter.taskId === undefined || event.task?.id === filter.taskId) &&
    (filter.types === undefined || filter.types.has(event.type));
  const emit = (event: TaskEvent): void => {
    if (!isAfter(event.position, position)) return;
    position = event.position;
    if (matches(event)) sink.deliver(event);
  };

  let live = false;
  const early: TaskEvent[] = [];
  const subscription = hub.subscribe(queue, (events) => {
    if (signal.aborted) return;
    if (live) events.forEach(emit);
    else early.push(...events);
  });
  try {
    const catchUp = async (): Promise<void> => {
      for (;;) {
        await sink.drained();
        if (signal.aborted) return;
        const page = await store.readEvents(queue, position, BACKLOG_PAGE);
        page.forEach(emit);
        if (page.length < BACKLOG_PAGE) return;
      }
    };
    await catchUp();
    // The feed delivers everything after its start; read up to there, so nothing falls between.
    await subscription.ready;
    await catchUp();
    live = true;
    early.splice(0).forEach(emit);
    if (!signal.aborted) {
      await new Promise<void>((resolve) => {
        signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
      });
    }
  } finally {
    subscription.unsubscribe();
  }
}

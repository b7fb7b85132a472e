import { BatonError, invalidArgument } from './errors.js';
import type { EventBounds, QueueStore } from './store.js';
import type { TaskEvent, TaskEventType } from './task.js';
import { advanceMerged, isAfterMerged, isMerged, isPosition } from './partitionEvents.js';

/** Events read from a stream per round trip, when catching up and when following. */
const READ_PAGE = 500;
const READ_RETRY_MS = 500;
/**
 * Every watched queue's stream is read at least this often, in case a notice was lost with the subscriber
 * connection: one non-blocking read per watched queue per period, however many watch it.
 */
export const EVENT_SWEEP_MS = 30_000;
/** How long the hub keeps hearing of new events after its last watcher left. */
export const FOLLOW_LINGER_MS = 10_000;

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
  if (isMerged(a) || isMerged(b)) return isAfterMerged(a, b);
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

/**
 * One queue's stream followed on this replica, for every watcher of that queue. It holds no connection and no
 * timer: it reads (without blocking) when told the stream has new events, so a watched queue that stays quiet
 * costs no Redis work but the hub's slow sweep.
 */
class QueueFeed {
  readonly listeners = new Set<Listener>();
  /** The position the feed reads after; every event after it reaches the listeners. */
  readonly ready: Promise<string>;
  private position: string | undefined;
  private reading = false;
  /** Told of new events while reading, or before the start position was known: read (again) after. */
  private stale = false;
  private stopped = false;

  constructor(
    private readonly store: QueueStore,
    private readonly queue: string,
    private readonly onError: (error: unknown) => void,
  ) {
    this.ready = store.eventBounds(queue).then((bounds) => {
      this.position = bounds?.last ?? '0-0';
      if (this.stale) this.poke();
      return this.position;
    });
    this.ready.catch(onError);
  }

  /** The stream may have events after the feed's position: reads them, or reads again after the current read. */
  poke(): void {
    this.stale = true;
    if (this.reading || this.stopped || this.position === undefined) return;
    this.reading = true;
    void this.readWhileStale().finally(() => {
      this.reading = false;
    });
  }

  private async readWhileStale(): Promise<void> {
    while (this.stale && !this.stopped) {
      this.stale = false;
      try {
        let events: TaskEvent[];
        do {
          events = await this.store.readEvents(this.queue, this.position ?? '0-0', READ_PAGE);
          // Stopped while reading: the watchers are gone.
          if (this.isStopped()) return;
          const last = events.at(-1);
          if (last) this.position = last.position;
          if (events.length > 0) for (const listener of this.listeners) listener(events);
        } while (events.length === READ_PAGE);
      } catch (error) {
        this.onError(error);
        this.stale = true;
        await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS));
      }
    }
  }

  private isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
  }
}

/** Tells a replica's change subscription whether it hears of new events (ChangeSubscription.followEvents). */
export type FollowEvents = (following: boolean) => Promise<void>;

/**
 * Fans each queue's events out to every watcher on this replica; a feed lives while someone watches. The hub is
 * told which streams grew (ChangeListener.eventsAdded, one subscriber connection for the replica), so the number
 * of Redis connections does not grow with the queues watched. It hears of them only while it has feeds: it stops
 * `followLingerMs` after its last feed ends, so watchers that come and go do not turn it on and off each time.
 */
export class EventHub {
  private readonly feeds = new Map<string, QueueFeed>();
  private readonly sweeper: NodeJS.Timeout;
  private following = false;
  private unfollowTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: QueueStore,
    private readonly onError: (error: unknown) => void,
    private readonly follow: FollowEvents = () => Promise.resolve(),
    private readonly followLingerMs = FOLLOW_LINGER_MS,
    sweepMs = EVENT_SWEEP_MS,
  ) {
    this.sweeper = setInterval(() => {
      this.pokeAll();
    }, sweepMs);
    this.sweeper.unref();
  }

  /** New events were appended to `queue`'s stream. */
  eventsAdded(queue: string): void {
    this.feeds.get(queue)?.poke();
  }

  /** Notices may have been missed: every feed reads. */
  pokeAll(): void {
    for (const feed of this.feeds.values()) feed.poke();
  }

  /** Returns the feed's start position (every later event reaches `listener`) and an unsubscribe function. */
  subscribe(queue: string, listener: Listener): { ready: Promise<string>; unsubscribe: () => void } {
    let feed = this.feeds.get(queue);
    if (!feed) {
      feed = new QueueFeed(this.store, queue, this.onError);
      this.feeds.set(queue, feed);
      this.setFollowing(true);
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
          if (this.feeds.size === 0) this.unfollowLater();
        }
      },
    };
  }

  /** Queues followed on this replica (a gauge, and tests). */
  get followedQueues(): number {
    return this.feeds.size;
  }

  private setFollowing(following: boolean): void {
    clearTimeout(this.unfollowTimer);
    this.unfollowTimer = undefined;
    if (following === this.following) return;
    this.following = following;
    // Events appended before Redis had the subscription came without a notice: the feeds read once it has it.
    this.follow(following).then(() => {
      if (following) this.pokeAll();
    }, this.onError);
  }

  private unfollowLater(): void {
    clearTimeout(this.unfollowTimer);
    this.unfollowTimer = setTimeout(() => {
      if (this.feeds.size === 0) this.setFollowing(false);
    }, this.followLingerMs);
    this.unfollowTimer.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    clearTimeout(this.unfollowTimer);
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
  if (cursorQueue !== queue || !isPosition(position)) {
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
  store: QueueStore,
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
    // A partitioned queue's event moves only its partition's part of the position (see partitionEvents.ts).
    const next = isMerged(event.position) ? advanceMerged(position, event.position) : event.position;
    position = next;
    if (matches(event)) sink.deliver(next === event.position ? event : { ...event, position: next });
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
        const page = await store.readEvents(queue, position, READ_PAGE);
        page.forEach(emit);
        if (page.length < READ_PAGE) return;
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

/**
 * The event stream of a partitioned queue: each partition appends to its own stream, and readers see one stream,
 * the partitions' events merged by time. A position in the merged stream is every partition's position,
 * `<own>~<position 0>,<position 1>,...`, where `own` is the partition of the event at that position (empty for a
 * position no event has, such as the bounds): after an event, exactly the events merged before it are behind the
 * position, so a cursor resumes with nothing lost or repeated. A plain position (`<ms>-<seq>`) stands for that
 * position in every partition; a partition the position does not name (added since) is read from its start.
 */
import type { EventBounds } from './store.js';
import type { TaskEvent } from './task.js';

const COMPOSITE = /^(\d{0,3})~(\d+-\d+(?:,\d+-\d+){0,255})$/;

/** Whether `position` is a valid plain or merged position. */
export function isPosition(position: string): boolean {
  return /^\d+-\d+$/.test(position) || COMPOSITE.test(position);
}

export function isMerged(position: string): boolean {
  return position.includes('~');
}

/** A merged position's partition positions (`count` of them), and the partition whose event it is at (-1: none). */
export function splitPosition(position: string, count: number): { own: number; parts: string[] } {
  const match = COMPOSITE.exec(position);
  if (!match) return { own: -1, parts: Array.from({ length: count }, () => position) };
  const parts = (match[2] ?? '').split(',');
  while (parts.length < count) parts.push('0-0');
  return { own: match[1] === '' ? -1 : Number(match[1]), parts };
}

export function joinPosition(parts: readonly string[], own = -1): string {
  return `${own < 0 ? '' : own}~${parts.join(',')}`;
}

/** Stream positions "<ms>-<seq>": true when a comes after b. */
export function isAfterPlain(a: string, b: string): boolean {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs !== bMs ? aMs > bMs : aSeq > bSeq;
}

/**
 * For merged positions: the event at `a` comes after `b` when its own partition's position does; a position of no
 * event comes after `b` when any partition's does.
 */
export function isAfterMerged(a: string, b: string): boolean {
  const count = Math.max(partCount(a), partCount(b));
  const left = splitPosition(a, count);
  const right = splitPosition(b, count);
  if (left.own >= 0) return isAfterPlain(left.parts[left.own] ?? '0-0', right.parts[left.own] ?? '0-0');
  return left.parts.some((part, i) => isAfterPlain(part, right.parts[i] ?? '0-0'));
}

/** `position` once the event at `eventPosition` is delivered: only that event's partition moves on. */
export function advanceMerged(position: string, eventPosition: string): string {
  const count = Math.max(partCount(position), partCount(eventPosition));
  const event = splitPosition(eventPosition, count);
  if (event.own < 0) return eventPosition;
  const parts = splitPosition(position, count).parts;
  parts[event.own] = event.parts[event.own] ?? '0-0';
  return joinPosition(parts, event.own);
}

function partCount(position: string): number {
  const match = COMPOSITE.exec(position);
  return match ? (match[2] ?? '').split(',').length : 1;
}

/**
 * Merges the partitions' pages (each read after its partition's position in `from`) by time, up to `count`
 * events, each with its merged position. An event not taken stays after the returned positions, so it is read again.
 */
export function mergeEvents(from: string, pages: readonly TaskEvent[][], count: number): TaskEvent[] {
  const parts = splitPosition(from, pages.length).parts;
  const heads = pages.map(() => 0);
  const merged: TaskEvent[] = [];
  // A partition whose page was full may have more events before another partition's next: stop at the earliest end.
  let horizon: string | undefined;
  for (const page of pages) {
    const last = page.at(-1);
    if (last && page.length >= count && (horizon === undefined || isAfterPlain(horizon, last.position))) horizon = last.position;
  }
  while (merged.length < count) {
    let best = -1;
    for (let p = 0; p < pages.length; p++) {
      const event = pages[p]?.[heads[p] ?? 0];
      if (!event) continue;
      const bestEvent = best < 0 ? undefined : pages[best]?.[heads[best] ?? 0];
      if (!bestEvent || isAfterPlain(bestEvent.position, event.position)) best = p;
    }
    if (best < 0) break;
    const event = pages[best]?.[heads[best] ?? 0];
    if (!event || (horizon !== undefined && isAfterPlain(event.position, horizon))) break;
    heads[best] = (heads[best] ?? 0) + 1;
    parts[best] = event.position;
    merged.push({ ...event, position: joinPosition(parts, best) });
  }
  return merged;
}

/**
 * The merged bounds of the partitions' streams; undefined when no partition has a stream yet. Its `first` is what a
 * cursor is checked against (events.ts): per partition, the last position trimmed, so a cursor from before a
 * partition existed (a stream never trimmed) is still sound, and one a partition's trimming passed is not.
 */
export function mergeBounds(bounds: readonly (EventBounds | undefined)[]): EventBounds | undefined {
  if (bounds.every((b) => b === undefined)) return undefined;
  const last = joinPosition(bounds.map((b) => b?.last ?? '0-0'));
  return { last, first: joinPosition(bounds.map((b) => b?.trimmed ?? b?.first ?? b?.last ?? '0-0')) };
}

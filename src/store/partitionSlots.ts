/**
 * Where a queue's partitions live: the hash tag of each, chosen so that the partitions of one queue fall in slots
 * spread evenly over the slot space. Redis Cluster gives each master an even share of contiguous slot ranges (N
 * masters: slots i*16384/N up to the next), so partitions evenly spread over the slots are evenly spread over the
 * masters: P partitions on N masters, P/N each when N divides P.
 *
 * Partition 0's tag is `0` (the queue's original keys), wherever that hashes. A partition p > 0 gets the tag
 * `<p>.<salt>`, with the smallest salt whose slot falls within a small window around the partition's target
 * position. Positions depend only on the queue's count history, never on the cluster, so every replica names the
 * same keys, and a partition's tag never changes once it exists. A step from P to P' partitions divides the slot
 * space into P' equal cells; each existing partition keeps the free cell it lies nearest to, and the new partitions
 * take the other cells, at their centres. A cell never straddles two masters' ranges when N divides P', and a
 * centre is half a cell away from any edge while the window is far narrower, so the placement is exact then. Partition
 * 0 lies anywhere in its cell, so it too is on that cell's master.
 */
import { keySlot } from './nodePipelines.js';

const SLOTS = 16384;
/** The narrowest window a tag is searched in (slots): a wider one costs fewer tries for many partitions. */
const MIN_WINDOW = 32;

/** The tags of partitions 0..(last count - 1), for `history` (counts, oldest first). */
export function partitionTags(history: readonly number[], slotOfTag: (tag: string) => number): string[] {
  const positions = partitionPositions(history, slotOfTag('0') / SLOTS);
  const tags = ['0'];
  let count = 1;
  for (const next of history) {
    if (next <= count) continue;
    const window = Math.max(MIN_WINDOW, Math.floor(SLOTS / (8 * next)));
    for (let p = count; p < next; p++) {
      tags.push(tagNear(p, Math.round((positions[p] ?? 0) * SLOTS) - Math.floor(window / 2), window, slotOfTag));
    }
    count = next;
  }
  return tags;
}

/** Each partition's position on the slot circle, as a fraction of it; partition 0's is given. */
export function partitionPositions(history: readonly number[], first: number): number[] {
  const positions = [first];
  for (const next of history) {
    if (next <= positions.length) continue;
    const free = new Set(Array.from({ length: next }, (_, k) => k));
    for (const position of positions) {
      let nearest = -1;
      let distance = Infinity;
      for (const k of free) {
        const raw = Math.abs((k + 0.5) / next - position);
        const d = Math.min(raw, 1 - raw);
        if (d < distance) [nearest, distance] = [k, d];
      }
      free.delete(nearest);
    }
    const added = next - positions.length;
    for (const k of [...free].sort((a, b) => a - b).slice(0, added)) positions.push((k + 0.5) / next);
  }
  return positions;
}

function tagNear(partition: number, target: number, window: number, slotOfTag: (tag: string) => number): string {
  const start = ((target % SLOTS) + SLOTS) % SLOTS;
  for (let salt = 0; ; salt++) {
    const tag = `${partition}.${salt}`;
    const offset = (slotOfTag(tag) - start + SLOTS) % SLOTS;
    if (offset < window) return tag;
  }
}

/** The slot of a hash tag's content. */
export function slotOfTagContent(content: string): number {
  return keySlot(`{${content}}`);
}

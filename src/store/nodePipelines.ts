import { Cluster } from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './redis.js';

/** CRC16/XMODEM, as Redis Cluster hashes keys to slots. */
function crc16(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The cluster slot of `key`: of its hash tag when it has a non-empty one. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(Buffer.from(key.slice(open + 1, close))) % 16384;
  }
  return crc16(Buffer.from(key)) % 16384;
}

/**
 * One command per item, sent as one pipeline per Redis node (a single Redis: one pipeline), so a call over many
 * queues costs a round trip per node rather than per queue. `keyOf` names the key that places an item's command.
 * Results in item order; an item whose command failed (say, a slot that moved meanwhile) gets its error.
 */
export async function perNodePipelines<T, I = string>(
  client: RedisClient,
  items: readonly I[],
  keyOf: (item: I) => string,
  add: (pipeline: ChainableCommander, item: I) => unknown,
): Promise<(T | Error)[]> {
  const groups = new Map<string, I[]>();
  const positions = new Map<string, number[]>();
  items.forEach((item, i) => {
    const node = client instanceof Cluster ? (client.slots[keySlot(keyOf(item))] ?? []).join(',') : '';
    groups.set(node, [...(groups.get(node) ?? []), item]);
    positions.set(node, [...(positions.get(node) ?? []), i]);
  });
  const results: (T | Error)[] = new Array<T | Error>(items.length);
  await Promise.all(
    [...groups].map(async ([node, group]) => {
      const pipeline = client.pipeline();
      for (const item of group) add(pipeline, item);
      const replies = (await pipeline.exec()) ?? [];
      (positions.get(node) ?? []).forEach((itemIndex, i) => {
        const [error, value] = replies[i] ?? [new Error('no reply'), undefined];
        results[itemIndex] = error ?? (value as T);
      });
    }),
  );
  return results;
}

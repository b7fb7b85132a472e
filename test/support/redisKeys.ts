import assert from 'node:assert/strict';
import type { RedisNode } from '../../tools/redis/cluster.js';

/** Every key of the queue's hash tag, found both by SCAN and by asking the cluster for the keys in its slot. */
export async function keysOfQueue(node: RedisNode, queue: string): Promise<string[]> {
  const tag = `{q:${queue}:0}`;
  const scanned: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = (await node.client.call('SCAN', cursor, 'MATCH', `*${tag.replace(/[[\]*?]/g, '\\$&')}*`, 'COUNT', 1000)) as [string, string[]];
    scanned.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  const slot = (await node.client.call('CLUSTER', 'KEYSLOT', tag)) as number;
  const inSlot = ((await node.client.call('CLUSTER', 'GETKEYSINSLOT', slot, 10_000)) as string[]).filter((key) => key.includes(tag));
  assert.deepEqual([...inSlot].sort(), [...scanned].sort(), 'SCAN and the slot agree');
  return scanned;
}

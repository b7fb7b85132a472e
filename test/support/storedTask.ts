/** Reading a task's record straight from Redis, to check what Baton stores (and what it leaves out). */
import assert from 'node:assert/strict';
import { DEFAULT_KEYSPACE } from '../../src/store/keys.js';
import { MsgpackReader } from '../../src/store/msgpack.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

/** The field names of a task's stored record (a msgpack map), in the order stored. */
export async function storedFieldNames(redis: TestRedis, queue: string, id: string): Promise<string[]> {
  const [tasksKey] = DEFAULT_KEYSPACE.queueKeys(queue);
  assert.ok(tasksKey);
  const record = await redis.masters[0]?.client.hgetBuffer(tasksKey, id);
  assert.ok(record, 'the task is stored');
  const reader = new MsgpackReader(record);
  const names: string[] = [];
  for (let fields = reader.mapLength(); fields > 0; fields--) {
    names.push(reader.text());
    reader.skip();
  }
  return names;
}

/** A replica hears of new events (the events channel) only while someone on it watches. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { DEFAULT_KEYSPACE } from '../../src/store/keys.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import { submit } from '../support/api.js';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';
import { watch } from '../support/watch.js';

/** Far below the 30 s sweep that reads watched streams when notices are lost: an event this fast came by notice. */
const NOTICE_MS = 3_000;

describe('event notices: a replica subscribes to them only while it has watchers', () => {
  const setup = useTestServer(() => startPlainRedis(), {}, { eventFollowLingerMs: 200 });
  const subscribers = async (): Promise<number> => {
    const redis = new Redis(setup.redis.config.url ?? '');
    try {
      const [, count] = (await redis.pubsub('NUMSUB', DEFAULT_KEYSPACE.eventsChannel)) as [string, number];
      return count;
    } finally {
      redis.disconnect();
    }
  };

  it('is not subscribed while nobody watches, however many tasks change', async () => {
    const queue = uniqueQueue('unwatched');
    for (let i = 0; i < 5; i++) await submit(setup.client, { queue });
    assert.equal(await subscribers(), 0);
  });

  it('subscribes with the first watch, which then gets each new event by notice', async () => {
    const queue = uniqueQueue('watched');
    const w = watch(setup.client, { queue });
    try {
      await eventually(async () => ((await subscribers()) === 1 ? true : undefined));
      const started = Date.now();
      await submit(setup.client, { queue, task_id: 'a' });
      const [event] = await w.until(1, NOTICE_MS);
      assert.equal(event?.task?.id, 'a');
      assert.ok(Date.now() - started < NOTICE_MS);
    } finally {
      w.cancel();
    }
  });

  it('unsubscribes once its last watch has been closed for the linger, and subscribes again for the next', async () => {
    const queue = uniqueQueue('rewatched');
    const first = watch(setup.client, { queue });
    await eventually(async () => ((await subscribers()) === 1 ? true : undefined));
    first.cancel();
    await eventually(async () => ((await subscribers()) === 0 ? true : undefined));
    const second = watch(setup.client, { queue });
    try {
      await eventually(async () => ((await subscribers()) === 1 ? true : undefined));
      await submit(setup.client, { queue, task_id: 'b' });
      const [event] = await second.until(1, NOTICE_MS);
      assert.equal(event?.task?.id, 'b');
    } finally {
      second.cancel();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BatonClient } from '../../clients/typescript/src/client.js';
import { childResults } from '../../clients/typescript/src/flows.js';
import { createRedisClient } from '../../src/store/redis.js';
import type { RedisClient } from '../../src/store/redis.js';
import { RedisCalls } from '../../src/store/redisCalls.js';
import { RedisFlowStore } from '../../src/store/redisFlowStore.js';
import { RedisTaskStore } from '../../src/store/redisTaskStore.js';
import { eventually, startTestServer } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { completeAll, node, queueOnMaster, stateOf } from '../support/flows.js';
import { startServerProcess } from '../support/serverProcess.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

/** Parents released once, whatever dies between a child's script and its parent's. */
describe('a crash between a child finishing and its parent being told loses nothing and releases nothing twice', () => {
  let redis: TestRedis;
  let server: TestServer;
  let client: RedisClient;
  let tasks: RedisTaskStore;
  let flows: RedisFlowStore;
  before(async () => {
    redis = await startRedisCluster(3);
    // Maintenance sweeps every queue each second here: a child left on the outbox by a dead replica is found by it.
    server = await startTestServer(redis.config, {}, { maintenanceMaxIntervalMs: 1_000 });
    client = createRedisClient(redis.config, 'flows-crash-test');
    const calls = new RedisCalls(client, 5_000);
    tasks = new RedisTaskStore(calls);
    flows = new RedisFlowStore(calls);
  });
  after(async () => {
    client.disconnect();
    await server.stop();
    await redis.stop();
  });

  it('a child finished by a replica that died before telling its parent is told by maintenance', async () => {
    const [p, c] = [queueOnMaster('crash', 0), queueOnMaster('crash', 2)];
    await server.client.submitFlow({ root: node(p, 'parent', [node(c, 'child')]) });
    // The child's script alone, as a replica runs it before it would tell the parent: then it is killed.
    const [claimed] = (await tasks.claim(c, { workerId: 'doomed', maxTasks: 1, leaseDurationMs: 60_000 })).claimed;
    assert.ok(claimed);
    await tasks.complete(c, [{ id: 'child', leaseToken: claimed.leaseToken, result: Buffer.from('42') }], 'brief');
    assert.equal((await flows.notices(c, ['child'], 0, 10)).length, 1, 'the child is on its queue outbox');
    assert.equal(await stateOf(server.client, p, 'parent'), 'TASK_STATE_WAITING_CHILDREN');
    await eventually(async () => ((await stateOf(server.client, p, 'parent')) === 'TASK_STATE_PENDING' ? true : undefined));
    await eventually(async () => ((await flows.notices(c, ['child'], 0, 10)).length === 0 ? true : undefined));
    const { children } = await server.client.listChildren({ queue: p, task_id: 'parent' });
    assert.equal(children[0]?.result.toString(), '42');
  });

  it('children with large results left on the outbox are told in several scripts, every result intact', async () => {
    const [p, c] = [queueOnMaster('large', 1), queueOnMaster('large', 0)];
    const ids = ['l0', 'l1', 'l2', 'l3', 'l4', 'l5'];
    await server.client.submitFlow({ root: node(p, 'parent', ids.map((id) => node(c, id))) });
    const { claimed } = await tasks.claim(c, { workerId: 'doomed', maxTasks: ids.length, leaseDurationMs: 60_000 });
    // 6 results of 900 KB: more than one telling script carries (4 MiB), as maintenance finds them all at once.
    for (const { task, leaseToken } of claimed) {
      await tasks.complete(c, [{ id: task.id, leaseToken, result: Buffer.alloc(900_000, task.id) }], 'brief');
    }
    await eventually(async () => ((await stateOf(server.client, p, 'parent')) === 'TASK_STATE_PENDING' ? true : undefined));
    // Pages of ListChildren stop at 2 MiB of results: two children a page here.
    const first = await server.client.listChildren({ queue: p, task_id: 'parent' });
    assert.deepEqual([first.children.length, first.next_page_token], [2, '2']);
    const children = await childResults(server.client, p, 'parent');
    assert.deepEqual(
      children.map((child) => [child.task_id, child.result.length, child.result.subarray(0, 2).toString()]),
      ids.map((id) => [id, 900_000, id]),
    );
  });

  it('a parent told twice of the same finish (a retry after a crash before the acknowledgement) is released once', async () => {
    const [p, c] = [queueOnMaster('twice', 1), queueOnMaster('twice', 2)];
    await server.client.submitFlow({ root: node(p, 'parent', [node(c, 'a'), node(c, 'b')]) });
    await completeAll(server.client, c);
    await eventually(async () => ((await stateOf(server.client, p, 'parent')) === 'TASK_STATE_PENDING' ? true : undefined));
    for (const id of ['a', 'b']) {
      const child = await tasks.get(c, id);
      assert.ok(child);
      assert.deepEqual(await flows.childrenFinished({ queue: p, id: 'parent' }, [child]), { released: false, parentState: 'PENDING' });
    }
    assert.deepEqual(await completeAll(server.client, p), ['parent'], 'claimed once');
  });

  it('kill -9 of the replica completing children: another replica finishes the flow, the parent is released once', async () => {
    const queues = [queueOnMaster('kill', 0), queueOnMaster('kill', 1)];
    const parentQueue = queueOnMaster('killsink', 2);
    const doomed = await startServerProcess(redis.config);
    const survivor = await startServerProcess(redis.config);
    const viaDoomed = new BatonClient(doomed.grpcAddress);
    const viaSurvivor = new BatonClient(survivor.grpcAddress);
    try {
      const children = Array.from({ length: 400 }, (_, i) => node(queues[i % 2] ?? '', `k${i}`));
      await viaDoomed.submitFlow({ root: node(parentQueue, 'sum', children) });
      // A batch of 100 completions per queue through the doomed replica, then SIGKILL while it tells the parent.
      await Promise.all(queues.map((queue) => completeAll(viaDoomed, queue, 100)));
      doomed.child.kill('SIGKILL');
      await Promise.all(queues.map((queue) => completeAll(viaSurvivor, queue, 1_000)));
      await eventually(async () => ((await stateOf(viaSurvivor, parentQueue, 'sum')) === 'TASK_STATE_PENDING' ? true : undefined), 20_000);
      const results = await childResults(viaSurvivor, parentQueue, 'sum');
      assert.equal(results.filter((c) => c.state === 'TASK_STATE_SUCCEEDED' && c.result.toString() === `${c.task_id}:done`).length, 400);
      let releases = 0;
      for await (const event of viaSurvivor.watchTasks({ queue: parentQueue, start: 'WATCH_START_OLDEST' })) {
        if (event.type === 'TASK_EVENT_TYPE_CHILDREN_FINISHED') releases += 1;
        if (event.task?.state === 'TASK_STATE_PENDING') break;
      }
      assert.equal(releases, 1);
      assert.deepEqual(await completeAll(viaSurvivor, parentQueue), ['sum'], 'claimed once');
    } finally {
      viaDoomed.close();
      viaSurvivor.close();
      await doomed.stop();
      await survivor.stop();
    }
  });
});

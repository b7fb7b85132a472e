import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BatonClient } from '../../clients/typescript/src/client.js';
import { FlowRepair } from '../../src/domain/flowRepair.js';
import { Flows } from '../../src/domain/flows.js';
import type { FlowNodeInput } from '../../src/domain/flows.js';
import type { FlowStore } from '../../src/domain/store.js';
import type { ChildFailurePolicy } from '../../src/domain/task.js';
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

/** The grace after which this server's maintenance checks a waiting parent's children (5 minutes by default). */
const CHILD_GRACE_MS = 300;

function flowNode(queue: string, id: string, children: FlowNodeInput[] = [], failurePolicy: ChildFailurePolicy = 'FAIL_PARENT'): FlowNodeInput {
  const task = { queue, taskId: id, payload: Buffer.from(id), metadata: {}, priority: 0, maxAttempts: 0, type: '' };
  return { task, children, failurePolicy };
}

/** Flows whose store stops answering after `scripts` submit scripts: a replica that died mid-submit. */
function flowsDyingAfter(store: FlowStore, tasks: RedisTaskStore, scripts: number): Flows {
  let left = scripts;
  const dying: FlowStore = Object.assign(Object.create(store) as FlowStore, {
    submitFlow: (queue: string, items: Parameters<FlowStore['submitFlow']>[1]) => {
      if (left-- <= 0) return Promise.reject(new Error('the replica died'));
      return store.submitFlow(queue, items);
    },
  });
  return new Flows(dying, { cancel: (q, id) => tasks.cancel(q, id), get: (q, id) => tasks.get(q, id) }, { maxPayloadBytes: 1 << 20, onError: () => {} });
}

/** No flow is left stuck, whatever dies between the scripts of its submit or of its cancel. */
describe('a flow whose submit or cancel was cut short is repaired by maintenance', () => {
  let redis: TestRedis;
  let server: TestServer;
  let client: RedisClient;
  let tasks: RedisTaskStore;
  let flows: RedisFlowStore;
  before(async () => {
    redis = await startRedisCluster(3);
    // Maintenance sweeps every queue each second here, and checks parents that waited past a short grace.
    server = await startTestServer(redis.config, {}, { maintenanceMaxIntervalMs: 1_000, flowChildGraceMs: CHILD_GRACE_MS });
    client = createRedisClient(redis.config, 'flows-repair-test');
    const calls = new RedisCalls(client, 5_000);
    tasks = new RedisTaskStore(calls);
    flows = new RedisFlowStore(calls);
  });
  after(async () => {
    client.disconnect();
    await server.stop();
    await redis.stop();
  });

  const parentState = (queue: string, id: string, state: string) =>
    eventually(async () => ((await stateOf(server.client, queue, id)) === state ? true : undefined));

  it('FAIL_PARENT: a parent whose children were never stored fails with CHILD_NOT_STORED after the grace', async () => {
    const [p, c] = [queueOnMaster('cut', 0), queueOnMaster('cut', 1)];
    const root = flowNode(p, 'parent', [flowNode(c, 'a'), flowNode(c, 'b')]);
    await assert.rejects(flowsDyingAfter(flows, tasks, 1).submit(root), /the replica died/);
    assert.equal(await stateOf(server.client, p, 'parent'), 'TASK_STATE_WAITING_CHILDREN', 'the parent was stored, its children not');
    await parentState(p, 'parent', 'TASK_STATE_FAILED');
    const { task } = await server.client.getTask({ queue: p, task_id: 'parent' });
    assert.equal(task?.errors.filter((error) => error.type === 'ChildFailed').length, 1);
    const { children } = await server.client.listChildren({ queue: p, task_id: 'parent' });
    assert.deepEqual(children.map((child) => [child.task_id, child.state, child.error?.type]), [
      ['a', 'TASK_STATE_FAILED', 'CHILD_NOT_STORED'],
      ['b', 'TASK_STATE_FAILED', 'CHILD_NOT_STORED'],
    ]);
    assert.match(children[0]?.error?.message ?? '', /"a" of queue .* was never stored: the submit of its flow .* was cut short/);
  });

  it('IGNORE: the parent runs once its stored children finished, the missing ones read as failed', async () => {
    const [p, c, d] = [queueOnMaster('ign', 0), queueOnMaster('ign', 1), queueOnMaster('ign', 2)];
    // Level two spans two queues, one script each: the replica dies after storing the first.
    const root = flowNode(p, 'parent', [flowNode(c, 'stored', [], 'IGNORE'), flowNode(d, 'lost', [], 'IGNORE')]);
    await assert.rejects(flowsDyingAfter(flows, tasks, 2).submit(root), /the replica died/);
    // Its sibling script may still be under way when the submit fails.
    await eventually(async () => ((await tasks.get(c, 'stored'))?.state === 'PENDING' ? true : undefined));
    assert.equal(await tasks.get(d, 'lost'), undefined);
    assert.deepEqual(await completeAll(server.client, c), ['stored']);
    await parentState(p, 'parent', 'TASK_STATE_PENDING');
    const { children } = await server.client.listChildren({ queue: p, task_id: 'parent' });
    assert.deepEqual(children.map((child) => [child.task_id, child.state, child.error?.type ?? '']), [
      ['stored', 'TASK_STATE_SUCCEEDED', ''],
      ['lost', 'TASK_STATE_FAILED', 'CHILD_NOT_STORED'],
    ]);
  });

  it('submitting the same flow again stores the missing children; their success releases the failed parent', async () => {
    const [p, c] = [queueOnMaster('again', 0), queueOnMaster('again', 2)];
    await assert.rejects(flowsDyingAfter(flows, tasks, 1).submit(flowNode(p, 'parent', [flowNode(c, 'a')])), /the replica died/);
    await parentState(p, 'parent', 'TASK_STATE_FAILED');
    const { created } = await server.client.submitFlow({ root: node(p, 'parent', [node(c, 'a')]) });
    assert.equal(created, false);
    assert.deepEqual(await completeAll(server.client, c), ['a']);
    await parentState(p, 'parent', 'TASK_STATE_PENDING');
    const { children } = await server.client.listChildren({ queue: p, task_id: 'parent' });
    assert.deepEqual(children.map((child) => [child.task_id, child.state, child.result.toString()]), [['a', 'TASK_STATE_SUCCEEDED', 'a:done']]);
  });

  it('kill -9 of the replica mid-submit of a 5,006-task flow: the root fails instead of waiting forever', async () => {
    // The kill must land after the root is stored and before the last leaf is; a try that stored the whole flow
    // first is made again with fresh queues.
    for (let attempt = 0; attempt < 3; attempt++) {
      const [p, m, l] = [queueOnMaster(`kill${attempt}`, 0), queueOnMaster(`killmid${attempt}`, 1), queueOnMaster(`killleaf${attempt}`, 2)];
      const mids = Array.from({ length: 5 }, (_, i) => node(m, `m${i}`, Array.from({ length: 1_000 }, (_, j) => node(l, `l${i}-${j}`))));
      const doomed = await startServerProcess(redis.config);
      const viaDoomed = new BatonClient(doomed.grpcAddress);
      try {
        const submitting = viaDoomed.submitFlow({ root: node(p, 'root', mids) }).then(
          () => true,
          () => false,
        );
        await eventually(async () => ((await tasks.get(p, 'root')) ? true : undefined), 10_000, 1);
        doomed.child.kill('SIGKILL');
        if (await submitting) continue;
      } finally {
        viaDoomed.close();
        await doomed.stop();
      }
      // The leaves' queue exists only if the kill came after some leaves were stored.
      const leaves = await server.client.getQueue({ queue: l }).then(
        ({ queue }) => queue?.counts?.pending ?? 0,
        () => 0,
      );
      if (leaves === 5_000) continue;
      await eventually(async () => ((await stateOf(server.client, p, 'root')) === 'TASK_STATE_FAILED' ? true : undefined), 10_000);
      const { children } = await server.client.listChildren({ queue: p, task_id: 'root' });
      assert.ok(children.some((child) => child.state === 'TASK_STATE_FAILED'));
      return;
    }
    assert.fail('the kill never landed mid-submit');
  });

  it('replicas checking the same parents at once fail a FAIL_PARENT parent once and release an IGNORE parent once', async () => {
    const [p, c] = [queueOnMaster('twice', 1), queueOnMaster('twice', 2)];
    const dying = flowsDyingAfter(flows, tasks, 1);
    await assert.rejects(dying.submit(flowNode(p, 'fails', [flowNode(c, 'x')])), /the replica died/);
    await assert.rejects(flowsDyingAfter(flows, tasks, 1).submit(flowNode(p, 'runs', [flowNode(c, 'y', [], 'IGNORE')])), /the replica died/);
    // Three replicas' repairs at once (this server's maintenance may be a fourth), with no grace.
    const replicas = [0, 1, 2].map(() => new FlowRepair(flows, tasks, 0));
    await Promise.all(replicas.map((repair) => repair.checkParents(p)));
    assert.equal(await stateOf(server.client, p, 'fails'), 'TASK_STATE_FAILED');
    assert.equal(await stateOf(server.client, p, 'runs'), 'TASK_STATE_PENDING');
    await Promise.all(replicas.map((repair) => repair.checkParents(p)));
    const counts = new Map<string, number>();
    for await (const event of server.client.watchTasks({ queue: p, start: 'WATCH_START_OLDEST' })) {
      const key = `${event.task?.id ?? ''} ${event.type}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (event.task?.id === 'runs' && event.type === 'TASK_EVENT_TYPE_CHILDREN_FINISHED') break;
    }
    assert.equal(counts.get('fails TASK_EVENT_TYPE_FAILED'), 1);
    assert.equal(counts.get('runs TASK_EVENT_TYPE_CHILDREN_FINISHED'), 1);
    const { task } = await server.client.getTask({ queue: p, task_id: 'fails' });
    assert.equal(task?.errors.length, 1, 'the parent recorded one failure');
    assert.deepEqual(await completeAll(server.client, p), ['runs'], 'claimed once');
  });

  it('a parent whose children all exist is checked once and left waiting', async () => {
    const [p, c] = [queueOnMaster('whole', 0), queueOnMaster('whole', 1)];
    await server.client.submitFlow({ root: node(p, 'parent', [node(c, 'a'), node(c, 'b')]) });
    assert.equal(await new FlowRepair(flows, tasks, 0).checkParents(p), 0);
    assert.deepEqual(await flows.staleParents(p, 0, 10), [], 'the parent was checked: no pass looks at it again');
    assert.equal(await stateOf(server.client, p, 'parent'), 'TASK_STATE_WAITING_CHILDREN');
    await completeAll(server.client, c);
    await parentState(p, 'parent', 'TASK_STATE_PENDING');
  });

  it('a cancel cut short after the parent: maintenance cancels the remaining children down the tree', async () => {
    const [p, c, g] = [queueOnMaster('cancel', 0), queueOnMaster('cancel', 1), queueOnMaster('cancel', 2)];
    await server.client.submitFlow({
      root: node(p, 'parent', [node(c, 'done'), node(c, 'open'), node(g, 'sub', [node(c, 'grandchild')])]),
    });
    const { tasks: claimed } = await server.client.claimTasks({ queues: [c], worker_id: 'w', max_tasks: 1 });
    const [first] = claimed;
    assert.ok(first);
    assert.equal(first.task?.id, 'done');
    await server.client.completeTask({ queue: c, task_id: 'done', lease_token: first.lease_token, result: Buffer.from('') });
    // The parent's cancel script alone, as a replica runs it before it would cancel the children: then it dies.
    assert.equal((await tasks.cancel(p, 'parent')).state, 'CANCELLED');
    assert.equal(await stateOf(server.client, c, 'open'), 'TASK_STATE_PENDING');
    await eventually(async () => ((await stateOf(server.client, c, 'grandchild')) === 'TASK_STATE_CANCELLED' ? true : undefined));
    assert.equal(await stateOf(server.client, c, 'open'), 'TASK_STATE_CANCELLED');
    assert.equal(await stateOf(server.client, g, 'sub'), 'TASK_STATE_CANCELLED');
    assert.equal(await stateOf(server.client, c, 'done'), 'TASK_STATE_SUCCEEDED');
    await eventually(async () => ((await flows.notices(p, ['parent'], 0, 10)).length === 0 ? true : undefined));
  });

  it('a cancel that went through leaves nothing on the outbox', async () => {
    const [p, c] = [queueOnMaster('through', 2), queueOnMaster('through', 0)];
    await server.client.submitFlow({ root: node(p, 'parent', [node(c, 'a')]) });
    await server.client.cancelTask({ queue: p, task_id: 'parent' });
    assert.equal(await stateOf(server.client, c, 'a'), 'TASK_STATE_CANCELLED');
    assert.deepEqual(await flows.notices(p, ['parent'], 0, 10), []);
  });
});

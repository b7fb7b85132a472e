import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { rejectsWith } from '../support/api.js';
import { eventually, useTestServer } from '../support/baton.js';
import { completeAll, node, queueOnMaster, stateOf } from '../support/flows.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import { chain, childResults, group, submitFlow } from '../../clients/typescript/src/flows.js';
import { createWorker } from '../../clients/typescript/src/index.js';

describe('parent and child tasks on a 3-master cluster', () => {
  const setup = useTestServer(() => startRedisCluster(3));

  it('a tree across queues on different masters: each parent waits for its children, then runs with their results', async () => {
    const { client } = setup;
    const [top, middle, leaves] = [queueOnMaster('top', 0), queueOnMaster('mid', 1), queueOnMaster('leaf', 2)];
    const { tasks, created } = await client.submitFlow({
      root: node(top, 'report', [node(middle, 'section', [node(leaves, 'page-1'), node(leaves, 'page-2')]), node(leaves, 'cover')]),
    });
    assert.equal(created, true);
    assert.deepEqual(tasks.map((t) => [t.id, t.state]), [
      ['report', 'TASK_STATE_WAITING_CHILDREN'],
      ['section', 'TASK_STATE_WAITING_CHILDREN'],
      ['page-1', 'TASK_STATE_PENDING'],
      ['page-2', 'TASK_STATE_PENDING'],
      ['cover', 'TASK_STATE_PENDING'],
    ]);
    const page = tasks[2];
    assert.ok(page);
    assert.equal(page.parent_id, 'section');
    assert.equal(page.parent_queue, middle);
    assert.equal(page.root_id, 'report');
    assert.equal(page.root_queue, top);
    const [root] = tasks;
    assert.ok(root);
    assert.equal(root.root_id, 'report', 'a root is its own root');
    assert.equal(root.child_count, 2);

    assert.deepEqual(await completeAll(client, middle), [], 'a waiting parent is not claimable');
    assert.deepEqual((await completeAll(client, leaves)).sort(), ['cover', 'page-1', 'page-2']);
    await eventually(async () => ((await stateOf(client, middle, 'section')) === 'TASK_STATE_PENDING' ? true : undefined));
    assert.equal(await stateOf(client, top, 'report'), 'TASK_STATE_WAITING_CHILDREN', 'the root still waits for its section');

    const { children } = await client.listChildren({ queue: middle, task_id: 'section' });
    assert.deepEqual(
      children.map((c) => [c.queue, c.task_id, c.state, c.result.toString()]),
      [
        [leaves, 'page-1', 'TASK_STATE_SUCCEEDED', 'page-1:done'],
        [leaves, 'page-2', 'TASK_STATE_SUCCEEDED', 'page-2:done'],
      ],
    );
    assert.deepEqual(await completeAll(client, middle), ['section']);
    await eventually(async () => ((await stateOf(client, top, 'report')) === 'TASK_STATE_PENDING' ? true : undefined));
    const { tasks: flow } = await client.listTasks({ queue: leaves, root_id: 'report' });
    assert.deepEqual(flow.map((t) => t.id).sort(), ['cover', 'page-1', 'page-2']);
    const { tasks: pages } = await client.listTasks({ queue: leaves, parent_id: 'section' });
    assert.deepEqual(pages.map((t) => t.id).sort(), ['page-1', 'page-2']);
  });

  it('a level of more tasks than one submit batch in one queue is stored whole (3,000 grandchildren)', async () => {
    const { client } = setup;
    const [top, leaves] = [queueOnMaster('wide', 2), queueOnMaster('wideleaf', 0)];
    const parents = [0, 1, 2].map((p) => node(top, `p${p}`, Array.from({ length: 1_000 }, (_, i) => node(leaves, `g${p}-${i}`))));
    const { tasks } = await client.submitFlow({ root: node(top, 'root', parents) });
    assert.equal(tasks.length, 3_004);
    const { queue } = await client.getQueue({ queue: leaves });
    assert.equal(queue?.counts?.pending, 3_000);
  });

  it('submitting the same flow again creates nothing and changes nothing', async () => {
    const { client } = setup;
    const [a, b] = [queueOnMaster('again', 0), queueOnMaster('again', 1)];
    const flow = { root: node(a, 'parent', [node(b, 'child')]) };
    await client.submitFlow(flow);
    await completeAll(client, b);
    await eventually(async () => ((await stateOf(client, a, 'parent')) === 'TASK_STATE_PENDING' ? true : undefined));
    const again = await client.submitFlow(flow);
    assert.equal(again.created, false);
    assert.deepEqual(again.tasks.map((t) => t.state), ['TASK_STATE_PENDING', 'TASK_STATE_SUCCEEDED']);
  });

  it('fan-in: a parent with 1,000 children over three masters is released once, with every result', async () => {
    const { client } = setup;
    const queues = [queueOnMaster('fan', 0), queueOnMaster('fan', 1), queueOnMaster('fan', 2)];
    const parentQueue = queueOnMaster('sink', 1);
    const children = Array.from({ length: 1_000 }, (_, i) => node(queues[i % 3] ?? '', `c${i}`));
    await client.submitFlow({ root: node(parentQueue, 'sum', children) });
    const events = client.watchTasks({ queue: parentQueue, start: 'WATCH_START_OLDEST' });
    const finished = (async () => {
      let releases = 0;
      for await (const event of events) {
        if (event.type === 'TASK_EVENT_TYPE_CHILDREN_FINISHED') releases += 1;
        if (releases > 0) return releases;
      }
      return releases;
    })();
    await Promise.all(queues.map((queue) => completeAll(client, queue, 1_000)));
    await eventually(async () => ((await stateOf(client, parentQueue, 'sum')) === 'TASK_STATE_PENDING' ? true : undefined), 20_000);
    assert.equal(await finished, 1);
    const firstPage = await client.listChildren({ queue: parentQueue, task_id: 'sum' });
    assert.equal(firstPage.children.length, 100, 'a page holds 100 children by default');
    assert.equal(firstPage.next_page_token, '100');
    const results = await childResults(client, parentQueue, 'sum');
    assert.equal(results.length, 1_000);
    assert.equal(new Set(results.map((c) => c.task_id)).size, 1_000);
    assert.ok(results.every((c) => c.state === 'TASK_STATE_SUCCEEDED' && c.result.toString() === `${c.task_id}:done`));
    assert.deepEqual(await completeAll(client, parentQueue), ['sum'], 'the parent is claimed once');
  });
});

describe('what a child failure does to its parent', () => {
  const setup = useTestServer(() => startRedisCluster(3));

  async function failChild(queue: string, id: string): Promise<void> {
    const { client } = setup;
    const { tasks } = await client.claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 1 });
    const claimed = tasks[0];
    assert.equal(claimed?.task?.id, id);
    await client.failTask({ queue, task_id: id, lease_token: claimed.lease_token, permanent: true, error: { message: 'boom' } });
  }

  it('FAIL_PARENT (the default) fails the parent; RetryTask of the child lets the parent run', async () => {
    const { client } = setup;
    const [p, c] = [queueOnMaster('pol', 0), queueOnMaster('pol', 2)];
    await client.submitFlow({ root: node(p, 'parent', [node(c, 'bad'), node(c, 'good')]) });
    await failChild(c, 'bad');
    const failed = await eventually(async () => {
      const { task } = await client.getTask({ queue: p, task_id: 'parent' });
      return task?.state === 'TASK_STATE_FAILED' ? task : undefined;
    });
    assert.match(failed.error?.message ?? '', /bad finished FAILED/);
    await completeAll(client, c);
    assert.equal(await stateOf(client, p, 'parent'), 'TASK_STATE_FAILED', 'a sibling finishing does not revive it');
    await client.retryTask({ queue: c, task_id: 'bad' });
    assert.deepEqual(await completeAll(client, c), ['bad']);
    await eventually(async () => ((await stateOf(client, p, 'parent')) === 'TASK_STATE_PENDING' ? true : undefined));
    const { children } = await client.listChildren({ queue: p, task_id: 'parent' });
    assert.deepEqual(children.map((child) => child.state), ['TASK_STATE_SUCCEEDED', 'TASK_STATE_SUCCEEDED']);
  });

  it('IGNORE: the parent runs and reads the failure among the results', async () => {
    const { client } = setup;
    const [p, c] = [queueOnMaster('ign', 0), queueOnMaster('ign', 1)];
    await client.submitFlow({
      root: node(p, 'parent', [node(c, 'bad', [], { failure_policy: 'CHILD_FAILURE_POLICY_IGNORE' }), node(c, 'good')]),
    });
    await failChild(c, 'bad');
    await completeAll(client, c);
    await eventually(async () => ((await stateOf(client, p, 'parent')) === 'TASK_STATE_PENDING' ? true : undefined));
    const { children } = await client.listChildren({ queue: p, task_id: 'parent' });
    assert.deepEqual(children.map((child) => [child.task_id, child.state, child.error?.message ?? '']), [
      ['bad', 'TASK_STATE_FAILED', 'boom'],
      ['good', 'TASK_STATE_SUCCEEDED', ''],
    ]);
  });

  it('REMOVE: the parent stops waiting for the failed child', async () => {
    const { client } = setup;
    const [p, c, d] = [queueOnMaster('rem', 0), queueOnMaster('rem', 1), queueOnMaster('rem', 2)];
    await client.submitFlow({
      root: node(p, 'parent', [node(c, 'bad', [], { failure_policy: 'CHILD_FAILURE_POLICY_REMOVE' }), node(d, 'slow')]),
    });
    await failChild(c, 'bad');
    await completeAll(client, d);
    await eventually(async () => ((await stateOf(client, p, 'parent')) === 'TASK_STATE_PENDING' ? true : undefined));
  });

  it('cancelling a parent cancels its unfinished children down the tree, in every queue; finished ones stay', async () => {
    const { client } = setup;
    const [p, c, g] = [queueOnMaster('can', 0), queueOnMaster('can', 1), queueOnMaster('can', 2)];
    await client.submitFlow({ root: node(p, 'parent', [node(c, 'done'), node(c, 'sub', [node(g, 'grandchild')])]) });
    const { tasks } = await client.claimTasks({ queues: [c], worker_id: 'w', max_tasks: 1 });
    await client.completeTask({ queue: c, task_id: 'done', lease_token: tasks[0]?.lease_token ?? '', result: Buffer.from('') });
    const { task } = await client.cancelTask({ queue: p, task_id: 'parent' });
    assert.equal(task?.state, 'TASK_STATE_CANCELLED');
    assert.equal(await stateOf(client, c, 'sub'), 'TASK_STATE_CANCELLED');
    assert.equal(await stateOf(client, g, 'grandchild'), 'TASK_STATE_CANCELLED');
    assert.equal(await stateOf(client, c, 'done'), 'TASK_STATE_SUCCEEDED');
  });

  it('refuses a flow naming one task twice, and changes nothing', async () => {
    const { client } = setup;
    const q = queueOnMaster('dup', 0);
    await rejectsWith(client.submitFlow({ root: node(q, 'p', [node(q, 'x'), node(q, 'x')]) }), grpc.status.INVALID_ARGUMENT, /appears twice/);
    await rejectsWith(client.getTask({ queue: q, task_id: 'p' }), grpc.status.NOT_FOUND);
  });

  it('refuses a flow task with a unique key or a concurrency key, naming the field, and changes nothing', async () => {
    const { client } = setup;
    const q = queueOnMaster('keyed', 0);
    const keyed = (fields: Record<string, unknown>): ReturnType<typeof node> => {
      const child = node(q, 'c');
      return { ...child, task: { ...child.task, ...fields } };
    };
    await rejectsWith(
      client.submitFlow({ root: node(q, 'p', [keyed({ unique_key: 'k', unique_until_finished: true })]) }),
      grpc.status.INVALID_ARGUMENT,
      /root\.children\[0\]\.task\.unique_key/,
    );
    await rejectsWith(
      client.submitFlow({ root: node(q, 'p', [keyed({ concurrency_key: 'tenant-1' })]) }),
      grpc.status.INVALID_ARGUMENT,
      /root\.children\[0\]\.task\.concurrency_key/,
    );
    await rejectsWith(client.getTask({ queue: q, task_id: 'p' }), grpc.status.NOT_FOUND);
  });
});

describe('the TypeScript SDK shapes flows', () => {
  const setup = useTestServer(() => startRedisCluster(3));

  it('a chain runs A, then B, then C, each reading the result before it', async () => {
    const { client } = setup;
    const [qa, qb] = [queueOnMaster('chain', 0), queueOnMaster('chain', 1)];
    const { tasks } = await submitFlow(client, chain({ queue: qa, task_id: 'A' }, { queue: qb, task_id: 'B' }, { queue: qa, task_id: 'C' }));
    assert.deepEqual(tasks.map((t) => t.id), ['C', 'B', 'A']);
    assert.deepEqual(await completeAll(client, qa), ['A'], 'C waits for B');
    await eventually(async () => ((await stateOf(client, qb, 'B')) === 'TASK_STATE_PENDING' ? true : undefined));
    assert.deepEqual((await childResults(client, qb, 'B')).map((c) => c.result.toString()), ['A:done']);
    await completeAll(client, qb);
    await eventually(async () => ((await stateOf(client, qa, 'C')) === 'TASK_STATE_PENDING' ? true : undefined));
    assert.deepEqual((await childResults(client, qa, 'C')).map((c) => c.result.toString()), ['B:done']);
  });

  it('a group with a callback: the callback runs once every member finished, with all their results', async () => {
    const { client } = setup;
    const [q, cb] = [queueOnMaster('group', 2), queueOnMaster('callback', 0)];
    const { tasks } = await submitFlow(client, group([{ queue: q }, { queue: q }, { queue: q }], { queue: cb, task_id: 'total' }));
    assert.equal(tasks.length, 4);
    await completeAll(client, q);
    await eventually(async () => ((await stateOf(client, cb, 'total')) === 'TASK_STATE_PENDING' ? true : undefined));
    assert.equal((await childResults(client, cb, 'total')).filter((c) => c.state === 'TASK_STATE_SUCCEEDED').length, 3);
  });

  it("a worker's handler reads its children's results from ctx.childResults()", async () => {
    const { client } = setup;
    const [q, cb] = [queueOnMaster('sum', 1), queueOnMaster('sumcb', 2)];
    const addends = [1, 2, 3, 4].map((n) => ({ queue: q, payload: String(n) }));
    await submitFlow(client, group(addends, { queue: cb, task_id: 'total' }));
    const worker = createWorker({
      client,
      queues: [q, cb],
      handler: async (task, ctx) => {
        if (task.queue === q) return task.payload;
        const children = await ctx.childResults();
        return String(children.reduce((sum, child) => sum + Number(child.result.toString()), 0));
      },
    });
    void worker.run();
    try {
      const { task } = await client.waitTask({ queue: cb, task_id: 'total', timeout: { seconds: 10, nanos: 0 } });
      assert.equal(task?.result.toString(), '10');
    } finally {
      await worker.close(0);
    }
  });
});

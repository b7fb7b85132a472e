import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, useTestServer } from '../support/baton.js';
import { cli, tableRows } from '../support/cli.js';
import type { Run } from '../support/cli.js';
import { completeAll, node, queueOnMaster, stateOf } from '../support/flows.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';

describe('baton tree and the flow filters of baton list', () => {
  const setup = useTestServer(() => startRedisCluster(3));
  const run = (...args: string[]): Promise<Run> => cli([...args, '--server', setup.server.baton.grpcAddress]);

  it('tree draws a flow across queues with each state and the failure policies that are not the default', async () => {
    const [a, b] = [queueOnMaster('tree', 0), queueOnMaster('tree', 1)];
    await setup.client.submitFlow({
      root: node(a, 'root', [node(b, 'mid', [node(a, 'leaf')]), node(b, 'side', [], { failure_policy: 'CHILD_FAILURE_POLICY_IGNORE' })]),
    });
    await completeAll(setup.client, a);
    await eventually(async () => ((await stateOf(setup.client, b, 'mid')) === 'TASK_STATE_PENDING' ? true : undefined));
    const { code, stdout, stderr } = await run('tree', a, 'root');
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout.trimEnd(),
      [`${a}/root  WAITING_CHILDREN`, `├─ ${b}/mid  PENDING`, `│  └─ ${a}/leaf  SUCCEEDED`, `└─ ${b}/side  PENDING [ignore]`].join('\n'),
    );
  });

  it('list --parent and --root keep the tasks of one parent or one flow; get shows the links', async () => {
    const [a, b] = [queueOnMaster('lst', 0), queueOnMaster('lst', 2)];
    await setup.client.submitFlow({ root: node(a, 'r', [node(b, 'p', [node(b, 'c1'), node(b, 'c2')]), node(b, 'q')]) });
    await setup.client.submitTask({ queue: b, task_id: 'stranger' });
    const byParent = await run('list', b, '--parent', 'p');
    assert.deepEqual(tableRows(byParent.stdout).map((row) => row[0]).sort(), ['c1', 'c2']);
    const byRoot = await run('list', b, '--root', 'r');
    assert.deepEqual(tableRows(byRoot.stdout).map((row) => row[0]).sort(), ['c1', 'c2', 'p', 'q']);
    const got = await run('get', b, 'c1');
    assert.match(got.stdout, new RegExp(`parent +${b}/p \\(fail-parent\\)`));
    assert.match(got.stdout, new RegExp(`root +${a}/r`));
  });
});

describe("the dashboard's task page links a flow's tasks", () => {
  const setup = useTestServer(() => startRedisCluster(3), { dashboardAddress: '127.0.0.1:0' });

  it("a parent's page lists its children with their outcomes; a child's page links its parent and root", async () => {
    const [a, b] = [queueOnMaster('dash', 0), queueOnMaster('dash', 1)];
    await setup.client.submitFlow({
      root: node(a, 'root', [node(b, 'kid', [], { failure_policy: 'CHILD_FAILURE_POLICY_REMOVE' }), node(b, 'other')]),
    });
    const { tasks } = await setup.client.claimTasks({ queues: [b], worker_id: 'w', max_tasks: 1 });
    const [claimed] = tasks;
    assert.equal(claimed?.task?.id, 'kid');
    await setup.client.completeTask({ queue: b, task_id: 'kid', lease_token: claimed.lease_token, result: Buffer.from('') });
    const page = async (queue: string, id: string): Promise<string> => {
      const response = await fetch(`http://${setup.server.baton.dashboardAddress ?? ''}/queues/${queue}/tasks/${id}`);
      assert.equal(response.status, 200);
      return response.text();
    };
    await eventually(async () => ((await page(a, 'root')).includes('1 of 2 finished') ? true : undefined));
    const parent = await page(a, 'root');
    assert.match(parent, new RegExp(`<a href="/queues/${b}/tasks/kid">${b}/kid</a></td><td><span class="state succeeded">succeeded</span></td><td>remove</td>`));
    assert.match(parent, new RegExp(`<a href="/queues/${b}/tasks/other">${b}/other</a></td><td>unfinished</td><td>fail parent</td>`));
    const child = await page(b, 'kid');
    assert.match(child, new RegExp(`<th>parent</th><td><a href="/queues/${a}/tasks/root">${a}/root</a> \\(its failure: remove\\)`));
    assert.match(child, new RegExp(`<th>flow root</th><td><a href="/queues/${a}/tasks/root">`));
  });
});

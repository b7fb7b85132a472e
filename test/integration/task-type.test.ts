/**
 * A task's optional type: set on submit (and on StartTask, RunTask), stored in the record only when set, shown in
 * every view, and a filter of ListTasks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimOne, getTask, submit } from '../support/api.js';
import { uniqueQueue, useTestServer } from '../support/baton.js';
import { storedFieldNames } from '../support/storedTask.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import { watch } from '../support/watch.js';

describe('task types', () => {
  const setup = useTestServer(startPlainRedis);


  it('SubmitTask stores the type, and GetTask, ListTasks, claims and events show it', async () => {
    const queue = uniqueQueue('typed');
    const events = watch(setup.client, { queue, start: 'WATCH_START_OLDEST' });
    try {
      const submitted = await submit(setup.client, { queue, type: 'resize', payload: Buffer.from('img') });
      assert.equal(submitted.type, 'resize');
      assert.equal((await getTask(setup.client, queue, submitted.id)).type, 'resize');
      assert.equal((await setup.client.listTasks({ queue })).tasks[0]?.type, 'resize');
      assert.equal((await events.until(1))[0]?.task?.type, 'resize');
      const claimed = await claimOne(setup.client, queue);
      assert.equal(claimed.task.type, 'resize');
      const active = await setup.client.listActiveTasks({ queue });
      assert.equal(active.workers[0]?.tasks[0]?.type, 'resize', 'the operator view of active tasks shows it');
      await setup.client.completeTask({ queue, task_id: submitted.id, lease_token: claimed.lease_token });
      const completed = await setup.client.listCompletedTasks({ queue });
      assert.equal(completed.tasks[0]?.type, 'resize', 'the operator view of completed tasks shows it');
    } finally {
      events.cancel();
    }
  });

  it('an untyped task has an empty type and no type field in its record', async () => {
    const queue = uniqueQueue('untyped');
    const plain = await submit(setup.client, { queue });
    assert.equal(plain.type, '');
    assert.ok(!(await storedFieldNames(setup.redis, queue, plain.id)).includes('ty'));
    const typed = await submit(setup.client, { queue, type: 'email' });
    assert.ok((await storedFieldNames(setup.redis, queue, typed.id)).includes('ty'));
  });

  it('SubmitTasks, StartTask and RunTask set the type of the tasks they create', async () => {
    const queue = uniqueQueue('typed-create');
    const batch = await setup.client.submitTasks({
      requests: [{ queue, type: 'a' }, { queue, type: 'b' }, { queue }],
      return_tasks: true,
    });
    assert.deepEqual(
      batch.results.map((r) => r.task?.type),
      ['a', 'b', ''],
    );
    const started = await setup.client.startTask({ queue, task_id: 'started', worker_id: 'w', type: 'inline' });
    assert.equal(started.task?.type, 'inline');
    const ran = await setup.client.runTask({ task: { queue, task_id: 'ran', type: 'later' } });
    assert.equal(ran.task?.type, 'later');
  });

  it('ListTasks filters by type, alone and with a state, across pages', async () => {
    const queue = uniqueQueue('typed-list');
    const ids: Record<string, string[]> = { resize: [], email: [], '': [] };
    for (let i = 0; i < 12; i++) {
      const type = ['resize', 'email', ''][i % 3] ?? '';
      ids[type]?.push((await submit(setup.client, { queue, type, priority: i % 2 })).id);
    }
    // One resize task becomes ACTIVE: the index holds it, pending keeps the others.
    const claimed = await setup.client.claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 1 });
    const claimedTask = claimed.tasks[0]?.task;
    assert.ok(claimedTask);

    async function all(request: { type: string; state?: 'TASK_STATE_PENDING' | 'TASK_STATE_ACTIVE' }) {
      const seen: string[] = [];
      let page_token = '';
      for (let pages = 0; pages < 20; pages++) {
        const page = await setup.client.listTasks({ queue, page_size: 2, page_token, ...request });
        for (const task of page.tasks) {
          assert.equal(task.type, request.type);
          seen.push(task.id);
        }
        page_token = page.next_page_token;
        if (page_token === '') return seen.sort();
      }
      assert.fail('paging did not end');
    }
    assert.deepEqual(await all({ type: 'resize' }), [...(ids.resize ?? [])].sort());
    assert.deepEqual(await all({ type: 'email' }), [...(ids.email ?? [])].sort());
    const pendingEmail = await all({ type: 'email', state: 'TASK_STATE_PENDING' });
    assert.deepEqual(pendingEmail, [...(ids.email ?? [])].filter((id) => id !== claimedTask.id).sort());
    const activeOfType = await all({ type: claimedTask.type, state: 'TASK_STATE_ACTIVE' });
    assert.deepEqual(activeOfType, [claimedTask.id]);
    assert.deepEqual(await all({ type: 'none-of-these' }), []);
    const everything = await setup.client.listTasks({ queue, page_size: 100 });
    assert.equal(everything.tasks.length, 12, 'no filter lists every type');
  });
});

/**
 * The stored task record leaves out fields at their defaults (see src/store/lua/includes/record.lua), among them a
 * pending task's state and update and schedule times equal to its create time. What users see must not change:
 * every way of reading a task shows the same state and times, before and after a change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Task } from '../../clients/typescript/src/contract.js';
import { DEFAULT_KEYSPACE } from '../../src/store/keys.js';
import { claimOne, getTask, submit, toMs } from '../support/api.js';
import { uniqueQueue, useTestServer } from '../support/baton.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import { watch } from '../support/watch.js';

function times(task: Task | null | undefined): { create: number; update: number; schedule: number } {
  assert.ok(task);
  return { create: toMs(task.create_time), update: toMs(task.update_time), schedule: toMs(task.schedule_time) };
}

describe('the stored task record', () => {
  const setup = useTestServer(startPlainRedis);

  async function storedRecord(queue: string, id: string): Promise<Buffer> {
    const [tasksKey] = DEFAULT_KEYSPACE.queueKeys(queue);
    assert.ok(tasksKey);
    const record = await setup.redis.masters[0]?.client.hgetBuffer(tasksKey, id);
    assert.ok(record, 'the task is stored');
    return record;
  }

  it('of a pending task with a 100-byte payload fits a 128-byte allocation, even in a long-lived queue', async () => {
    const queue = uniqueQueue('record-size');
    await submit(setup.client, { queue });
    // Sequences from 2^16 on take the widest form a queue reaches before 2^32 tasks.
    const [, , , , , , , metaKey] = DEFAULT_KEYSPACE.queueKeys(queue);
    assert.ok(metaKey);
    await setup.redis.masters[0]?.client.hset(metaKey, 'seq', 1_000_000);
    const task = await submit(setup.client, { queue, payload: Buffer.alloc(100, 7) });
    // Redis keeps a value of up to 124 bytes (plus its 3-byte header and a NUL) in jemalloc's 128-byte class.
    assert.ok((await storedRecord(queue, task.id)).length <= 124);
    assert.equal(task.state, 'TASK_STATE_PENDING');
    const { create, update, schedule } = times(task);
    assert.equal(update, create);
    assert.equal(schedule, create);
  });

  it('reads back the state and times a pending task has, however it is read, before and after it changes', async () => {
    const queue = uniqueQueue('record-defaults');
    const events = watch(setup.client, { queue, start: 'WATCH_START_OLDEST' });
    try {
      const submitted = await submit(setup.client, { queue, payload: Buffer.from('x') });
      const created = times(submitted).create;
      for (const task of [
        await getTask(setup.client, queue, submitted.id),
        (await setup.client.listTasks({ queue, state: 'TASK_STATE_PENDING' })).tasks[0],
        (await setup.client.listTasks({ queue, include_payload: true })).tasks[0],
        (await events.until(1))[0]?.task,
      ]) {
        assert.equal(task?.state, 'TASK_STATE_PENDING');
        assert.deepEqual(times(task), { create: created, update: created, schedule: created });
      }

      await sleep(5); // so that each change below happens in a later millisecond than the one before
      const claimed = await claimOne(setup.client, queue, 'record-worker');
      assert.equal(claimed.task.state, 'TASK_STATE_ACTIVE');
      const claimTime = times(claimed.task).update;
      assert.ok(claimTime > created);
      assert.equal(times(claimed.task).schedule, created);

      await sleep(5);
      const { lease_token } = claimed;
      const released = await setup.client.releaseTask({ queue, task_id: submitted.id, lease_token });
      const releaseTime = times(released.task).update;
      assert.ok(releaseTime > claimTime);
      for (const task of [
        released.task,
        await getTask(setup.client, queue, submitted.id),
        (await setup.client.listTasks({ queue, state: 'TASK_STATE_PENDING' })).tasks[0],
        (await events.until(3))[2]?.task,
      ]) {
        assert.equal(task?.state, 'TASK_STATE_PENDING');
        assert.deepEqual(times(task), { create: created, update: releaseTime, schedule: releaseTime });
      }
      assert.deepEqual(
        events.events.map((e) => [e.type, e.task?.state]),
        [
          ['TASK_EVENT_TYPE_SUBMITTED', 'TASK_STATE_PENDING'],
          ['TASK_EVENT_TYPE_CLAIMED', 'TASK_STATE_ACTIVE'],
          ['TASK_EVENT_TYPE_RELEASED', 'TASK_STATE_PENDING'],
        ],
      );
    } finally {
      events.cancel();
    }
  });
});

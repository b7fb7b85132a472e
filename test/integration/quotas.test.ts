import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { claimOne, rejectsWith, submit } from '../support/api.js';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';

describe('per-queue quotas: pending tasks and stored payload bytes', () => {
  const setup = useTestServer();
  const client = () => setup.client;
  const info = async (queue: string) => {
    const { queue: found } = await client().getQueue({ queue });
    assert.ok(found?.counts && found.settings);
    return found;
  };

  it('refuses a submit past max_pending_tasks naming the field and limit, storing nothing; a batch answers per item', async () => {
    const queue = uniqueQueue('quota-pending');
    await client().updateQueue({ queue, settings: { max_pending_tasks: 3 } });
    assert.equal((await info(queue)).settings?.max_pending_tasks, 3);
    for (const id of ['a', 'b']) await submit(client(), { queue, task_id: id });
    // The third fits (two waiting), the fourth does not: scheduled tasks count as waiting too.
    const batch = await client().submitTasks({
      requests: [
        { queue, task_id: 'c', delay: { seconds: 60, nanos: 0 } },
        { queue, task_id: 'd' },
        { queue, task_id: 'a' },
      ],
    });
    assert.deepEqual(
      batch.results.map((r) => [r.task_id, r.error?.code ?? r.state]),
      [
        ['c', 'TASK_STATE_SCHEDULED'],
        ['', grpc.status.RESOURCE_EXHAUSTED],
        ['a', 'TASK_STATE_PENDING'],
      ],
      'an id stored already is answered as before, full or not',
    );
    assert.match(batch.results[1]?.error?.message ?? '', new RegExp(`queue "${queue}" is full: its max_pending_tasks is 3 .*task "d" was not stored`));
    await rejectsWith(client().submitTask({ queue, task_id: 'd' }), grpc.status.RESOURCE_EXHAUSTED, /max_pending_tasks is 3/);
    await rejectsWith(client().getTask({ queue, task_id: 'd' }), grpc.status.NOT_FOUND);
    const { counts } = await info(queue);
    assert.deepEqual([counts?.pending, counts?.scheduled], [2, 1]);

    const claimed = await claimOne(client(), queue);
    assert.equal(claimed.task.id, 'a');
    assert.equal((await submit(client(), { queue, task_id: 'e' })).id, 'e', 'a claim makes room');

    await client().updateQueue({ queue, settings: { max_pending_tasks: -1 } });
    assert.equal((await info(queue)).settings?.max_pending_tasks, 0, '-1 removes the quota');
    assert.equal((await submit(client(), { queue, task_id: 'f' })).id, 'f');
  });

  it('refuses a submit or StartTask past max_stored_payload_bytes; deleting tasks gives the bytes back', async () => {
    const queue = uniqueQueue('quota-bytes');
    await client().updateQueue({ queue, settings: { max_stored_payload_bytes: 1000 } });
    await submit(client(), { queue, task_id: 'big', payload: Buffer.alloc(600) });
    await rejectsWith(
      client().submitTask({ queue, task_id: 'over', payload: Buffer.alloc(500) }),
      grpc.status.RESOURCE_EXHAUSTED,
      /is full: its max_stored_payload_bytes is 1000 \(settings.max_stored_payload_bytes\); task "over" was not stored/,
    );
    await rejectsWith(
      client().startTask({ queue, task_id: 'started', worker_id: 'w1', payload: Buffer.alloc(500) }),
      grpc.status.RESOURCE_EXHAUSTED,
      /max_stored_payload_bytes is 1000/,
    );
    await rejectsWith(client().getTask({ queue, task_id: 'over' }), grpc.status.NOT_FOUND);
    await rejectsWith(client().getTask({ queue, task_id: 'started' }), grpc.status.NOT_FOUND);
    await submit(client(), { queue, task_id: 'fits', payload: Buffer.alloc(400) });
    assert.equal((await info(queue)).stored_payload_bytes, 1000);

    await client().purgeQueue({ queue });
    assert.equal((await info(queue)).stored_payload_bytes, 0);
    await submit(client(), { queue, task_id: 'after-purge', payload: Buffer.alloc(1000) });
  });

  it('gives the bytes of finished tasks back when retention deletes them', async () => {
    const queue = uniqueQueue('quota-retention');
    await client().updateQueue({ queue, settings: { max_stored_payload_bytes: 500, retention: { seconds: 1, nanos: 0 } } });
    await submit(client(), { queue, task_id: 'done', payload: Buffer.alloc(400) });
    const claimed = await claimOne(client(), queue);
    await client().completeTask({ queue, task_id: claimed.task.id, lease_token: claimed.lease_token });
    await rejectsWith(client().submitTask({ queue, payload: Buffer.alloc(200) }), grpc.status.RESOURCE_EXHAUSTED, /max_stored_payload_bytes is 500/);
    await eventually(async () => ((await info(queue)).stored_payload_bytes === 0 ? true : undefined), 15_000);
    await submit(client(), { queue, task_id: 'next', payload: Buffer.alloc(500) });
  });

  it('refuses a quota out of range naming the field, and changes nothing', async () => {
    const queue = uniqueQueue('quota-invalid');
    await client().updateQueue({ queue, settings: { max_pending_tasks: 10 } });
    await rejectsWith(
      client().updateQueue({ queue, settings: { max_pending_tasks: -2 } }),
      grpc.status.INVALID_ARGUMENT,
      /settings.max_pending_tasks: must be -1 \(no limit\) or an integer from 1 to 1000000000, got -2/,
    );
    await rejectsWith(
      client().updateQueue({ queue, settings: { max_stored_payload_bytes: 2 ** 41 } }),
      grpc.status.INVALID_ARGUMENT,
      /settings.max_stored_payload_bytes/,
    );
    assert.equal((await info(queue)).settings?.max_pending_tasks, 10);
  });
});

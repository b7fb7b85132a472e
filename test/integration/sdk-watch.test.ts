import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { durationFromMs } from '../../clients/typescript/src/index.js';
import type { TaskEvent } from '../../clients/typescript/src/contract.js';
import { claimOne, rejectsWith, sleep, submit } from '../support/api.js';
import { uniqueQueue, useTestServer } from '../support/baton.js';
import { startTestRedis } from '../../tools/redis/cluster.js';

describe('SDK: watchTasks, waitTask, runTask', () => {
  const setup = useTestServer(startTestRedis);

  it('watchTasks yields a task\'s lifecycle in order and ends quietly when the signal aborts', async () => {
    const queue = uniqueQueue('sdk-watch');
    const stop = new AbortController();
    const seen: TaskEvent[] = [];
    const consuming = (async () => {
      for await (const event of setup.client.watchTasks({ queue }, { signal: stop.signal })) {
        seen.push(event);
        if (seen.length === 3) stop.abort();
      }
    })();
    await sleep(100);
    await submit(setup.client, { queue, task_id: 'a' });
    const claimed = await claimOne(setup.client, queue, 'w1');
    await setup.client.completeTask({ queue, task_id: 'a', lease_token: claimed.lease_token });
    await consuming;
    assert.deepEqual(seen.map((e) => e.type), ['TASK_EVENT_TYPE_SUBMITTED', 'TASK_EVENT_TYPE_CLAIMED', 'TASK_EVENT_TYPE_SUCCEEDED']);
    assert.ok(seen.every((e) => e.cursor !== '' && e.task?.id === 'a'));
    assert.equal(seen[1]?.worker_id, 'w1');
  });

  it('watchTasks resumes after a cursor, and breaking out of the loop ends it', async () => {
    const queue = uniqueQueue('sdk-watch-cursor');
    await submit(setup.client, { queue, task_id: 'one' });
    await submit(setup.client, { queue, task_id: 'two' });
    let first: TaskEvent | undefined;
    for await (const event of setup.client.watchTasks({ queue, start: 'WATCH_START_OLDEST' })) {
      first = event;
      break;
    }
    assert.equal(first?.task?.id, 'one');
    for await (const event of setup.client.watchTasks({ queue, cursor: first.cursor })) {
      assert.equal(event.task?.id, 'two');
      break;
    }
  });

  it('watchTasks yields a burst one event at a time in order, and stops mid-message when the signal aborts', async () => {
    const queue = uniqueQueue('sdk-watch-burst');
    const ids = Array.from({ length: 500 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    await setup.client.submitTasks({ requests: ids.map((task_id) => ({ queue, task_id })) });
    const all: string[] = [];
    for await (const event of setup.client.watchTasks({ queue, start: 'WATCH_START_OLDEST' })) {
      all.push(event.task?.id ?? '');
      if (all.length === ids.length) break;
    }
    assert.deepEqual(all, ids);
    const stop = new AbortController();
    const some: string[] = [];
    for await (const event of setup.client.watchTasks({ queue, start: 'WATCH_START_OLDEST' }, { signal: stop.signal })) {
      some.push(event.task?.id ?? '');
      if (some.length === 10) stop.abort();
    }
    assert.deepEqual(some, ids.slice(0, 10), 'nothing after the abort, though the message held more');
  });

  it('watchTasks throws the gRPC error the stream ends with', async () => {
    const consume = async (): Promise<void> => {
      for await (const event of setup.client.watchTasks({ queue: uniqueQueue('sdk-watch-bad'), cursor: 'not-a-cursor' })) {
        assert.fail(`no event expected, got ${event.type}`);
      }
    };
    await rejectsWith(consume(), grpc.status.INVALID_ARGUMENT);
  });

  it('waitTask reports finished=false when its timeout passes; runTask returns the worker\'s result', async () => {
    const idle = uniqueQueue('sdk-wait');
    await submit(setup.client, { queue: idle, task_id: 'idle' });
    const waited = await setup.client.waitTask({ queue: idle, task_id: 'idle', timeout: durationFromMs(200) });
    assert.equal(waited.finished, false);
    assert.equal(waited.task?.state, 'TASK_STATE_PENDING');
    const queue = uniqueQueue('sdk-run');
    const worker = (async () => {
      const claimed = await setup.client.claimTasks({ queues: [queue], worker_id: 'w', wait_timeout: durationFromMs(5_000) });
      const item = claimed.tasks[0];
      assert.ok(item?.task);
      await setup.client.completeTask({ queue, task_id: item.task.id, lease_token: item.lease_token, result: Buffer.from('done') });
    })();
    const ran = await setup.client.runTask({ task: { queue, task_id: 'job' }, timeout: durationFromMs(5_000) });
    await worker;
    assert.equal(ran.finished, true);
    assert.equal(ran.created, true);
    assert.equal(ran.task?.result.toString(), 'done');
  });
});

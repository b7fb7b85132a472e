import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { BatonClient } from '../../clients/typescript/src/client.js';
import type { TaskLogLine } from '../../clients/typescript/src/contract.js';
import { claimOne, duration, rejectsWith, submit, toMs } from '../support/api.js';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';

/** Submits and claims one task; its lease token appends to its log. */
async function runningTask(client: BatonClient, queue: string, taskId = 'task-1'): Promise<{ queue: string; task_id: string; lease_token: string }> {
  await submit(client, { queue, task_id: taskId });
  const { lease_token } = await claimOne(client, queue);
  return { queue, task_id: taskId, lease_token };
}

async function allLines(client: BatonClient, queue: string, taskId: string): Promise<TaskLogLine[]> {
  const lines: TaskLogLine[] = [];
  for (let after = 0, pages = 0; pages < 100; pages++) {
    const page = await client.getTaskLogs({ queue, task_id: taskId, after_position: after, page_size: 1000 });
    lines.push(...page.lines);
    if (page.lines.length === 0 || (page.lines.at(-1)?.position ?? 0) >= page.last_position) break;
    after = page.lines.at(-1)?.position ?? after;
  }
  return lines;
}

describe('task logs', () => {
  const setup = useTestServer();

  it('reads back appended lines in order, with positions, the attempt and the time each was logged', async () => {
    const held = await runningTask(setup.client, uniqueQueue('logs-read'));
    const before = Date.now();
    await setup.client.appendTaskLogs({ ...held, lines: [{ text: 'starting' }, { text: 'step 1 of 2', time: { seconds: 1_700_000_000, nanos: 5_000_000 } }] });
    const appended = await setup.client.appendTaskLogs({ ...held, lines: [{ text: 'done ✓' }] });
    assert.deepEqual([appended.first_position, appended.last_position], [1, 3]);

    const page = await setup.client.getTaskLogs({ queue: held.queue, task_id: held.task_id });
    assert.deepEqual(page.lines.map((l) => [l.position, l.text, l.attempt, l.truncated]), [
      [1, 'starting', 1, false],
      [2, 'step 1 of 2', 1, false],
      [3, 'done ✓', 1, false],
    ]);
    assert.equal(toMs(page.lines[1]?.time), 1_700_000_000_005);
    assert.ok(toMs(page.lines[0]?.time) >= before - 1000, 'a line without a time gets the server clock');
    assert.deepEqual([page.first_position, page.last_position, page.state], [1, 3, 'TASK_STATE_ACTIVE']);

    const rest = await setup.client.getTaskLogs({ queue: held.queue, task_id: held.task_id, after_position: 1, page_size: 1 });
    assert.deepEqual(rest.lines.map((l) => l.text), ['step 1 of 2']);
  });

  it('keeps the newest 1,000 lines, dropping the oldest', async () => {
    const held = await runningTask(setup.client, uniqueQueue('logs-lines'));
    for (let batch = 0; batch < 3; batch++) {
      const lines = Array.from({ length: 500 }, (_, i) => ({ text: `line ${batch * 500 + i + 1}` }));
      await setup.client.appendTaskLogs({ ...held, lines });
    }
    const lines = await allLines(setup.client, held.queue, held.task_id);
    assert.equal(lines.length, 1000);
    assert.deepEqual([lines[0]?.position, lines[0]?.text], [501, 'line 501']);
    assert.deepEqual([lines.at(-1)?.position, lines.at(-1)?.text], [1500, 'line 1500']);
  });

  it('keeps at most 64 KiB of text, and cuts a line over 4 KiB to 4 KiB marked truncated', async () => {
    const held = await runningTask(setup.client, uniqueQueue('logs-bytes'));
    const long = 'é'.repeat(3000); // 6,000 bytes of UTF-8
    await setup.client.appendTaskLogs({ ...held, lines: [{ text: long }] });
    const [cut] = (await setup.client.getTaskLogs({ queue: held.queue, task_id: held.task_id })).lines;
    assert.ok(cut);
    assert.equal(cut.truncated, true);
    assert.equal(cut.text, 'é'.repeat(2048), 'cut at a character boundary within 4,096 bytes');

    const kib = 'x'.repeat(1024);
    await setup.client.appendTaskLogs({ ...held, lines: Array.from({ length: 100 }, () => ({ text: kib })) });
    const lines = await allLines(setup.client, held.queue, held.task_id);
    const bytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line.text), 0);
    assert.equal(bytes, 64 * 1024);
    assert.deepEqual([lines[0]?.position, lines.at(-1)?.position], [38, 101]);
  });

  it('refuses an append without the current lease, and one after the task finished, changing nothing', async () => {
    const held = await runningTask(setup.client, uniqueQueue('logs-fenced'));
    await setup.client.appendTaskLogs({ ...held, lines: [{ text: 'mine' }] });
    await rejectsWith(setup.client.appendTaskLogs({ ...held, lease_token: 'tnot-the-token', lines: [{ text: 'forged' }] }), grpc.status.ABORTED, /lease_token/);

    await setup.client.completeTask({ ...held });
    await rejectsWith(setup.client.appendTaskLogs({ ...held, lines: [{ text: 'late' }] }), grpc.status.ABORTED, /SUCCEEDED/);
    assert.deepEqual((await allLines(setup.client, held.queue, held.task_id)).map((l) => l.text), ['mine']);
  });

  it('refuses a stale token once the lease ran out and another attempt holds the task', async () => {
    const queue = uniqueQueue('logs-stale');
    const first = await runningTask(setup.client, queue);
    await setup.client.heartbeat({ ...first, lease_duration: duration(1000) });
    const second = await eventually(async () => {
      const { tasks } = await setup.client.claimTasks({ queues: [queue], worker_id: 'worker-2', max_tasks: 1 });
      return tasks[0];
    }, 10_000, 100);
    await rejectsWith(setup.client.appendTaskLogs({ ...first, lines: [{ text: 'stale' }] }), grpc.status.ABORTED);
    await setup.client.appendTaskLogs({ queue, task_id: first.task_id, lease_token: second.lease_token, lines: [{ text: 'second attempt' }] });
    const lines = await allLines(setup.client, queue, first.task_id);
    assert.deepEqual(lines.map((l) => [l.text, l.attempt]), [['second attempt', 2]]);
  });

  it('refuses bad requests with the field and the limit', async () => {
    const held = await runningTask(setup.client, uniqueQueue('logs-invalid'));
    await rejectsWith(setup.client.appendTaskLogs({ ...held, lines: [] }), grpc.status.INVALID_ARGUMENT, /lines: must hold 1 to 1000 lines, got 0/);
    const tooMany = Array.from({ length: 1001 }, () => ({ text: 'x' }));
    await rejectsWith(setup.client.appendTaskLogs({ ...held, lines: tooMany }), grpc.status.INVALID_ARGUMENT, /lines.*1000/);
    await rejectsWith(setup.client.getTaskLogs({ queue: held.queue, task_id: held.task_id, page_size: 1001 }), grpc.status.INVALID_ARGUMENT, /page_size/);
    await rejectsWith(setup.client.getTaskLogs({ queue: held.queue, task_id: 'no-such-task' }), grpc.status.NOT_FOUND);
    assert.equal((await setup.client.getTaskLogs({ queue: held.queue, task_id: held.task_id })).last_position, 0);
  });

  it('deletes a log with its task when the queue is purged', async () => {
    const held = await runningTask(setup.client, uniqueQueue('logs-purge'));
    await setup.client.appendTaskLogs({ ...held, lines: [{ text: 'soon gone' }] });
    await setup.client.completeTask(held);
    await setup.client.purgeQueue({ queue: held.queue, include_finished: true });
    await rejectsWith(setup.client.getTaskLogs({ queue: held.queue, task_id: held.task_id }), grpc.status.NOT_FOUND);
    // A new task under the same id starts with an empty log.
    const again = await runningTask(setup.client, held.queue, held.task_id);
    assert.equal((await setup.client.getTaskLogs({ queue: again.queue, task_id: again.task_id })).lines.length, 0);
  });

  it('deletes a log with its task when the task outlives the retention', async () => {
    const held = await runningTask(setup.client, uniqueQueue('logs-retention'));
    await setup.client.updateQueue({ queue: held.queue, settings: { retention: duration(1000) } });
    await setup.client.appendTaskLogs({ ...held, lines: [{ text: 'soon gone' }] });
    await setup.client.completeTask(held);
    await eventually(async () => {
      const error = await setup.client.getTaskLogs({ queue: held.queue, task_id: held.task_id }).then(() => undefined, (e: unknown) => e);
      return (error as grpc.ServiceError | undefined)?.code === grpc.status.NOT_FOUND ? true : undefined;
    }, 10_000, 100);
    const again = await runningTask(setup.client, held.queue, held.task_id);
    assert.equal((await setup.client.getTaskLogs({ queue: again.queue, task_id: again.task_id })).lines.length, 0);
  });

  it('follows a log as lines are appended, and ends once the task is finished', async () => {
    const held = await runningTask(setup.client, uniqueQueue('logs-follow'));
    await setup.client.appendTaskLogs({ ...held, lines: [{ text: 'before' }] });
    const received: string[] = [];
    const following = (async () => {
      for await (const line of setup.client.watchTaskLogs({ queue: held.queue, task_id: held.task_id })) received.push(line.text);
    })();
    await eventually(() => Promise.resolve(received.length === 1 ? true : undefined));
    await setup.client.appendTaskLogs({ ...held, lines: [{ text: 'during 1' }, { text: 'during 2' }] });
    await eventually(() => Promise.resolve(received.length === 3 ? true : undefined));
    await setup.client.appendTaskLogs({ ...held, lines: [{ text: 'last' }] });
    await setup.client.completeTask(held);
    await following;
    assert.deepEqual(received, ['before', 'during 1', 'during 2', 'last']);

    const resumed: number[] = [];
    for await (const line of setup.client.watchTaskLogs({ queue: held.queue, task_id: held.task_id, after_position: 2 })) resumed.push(line.position);
    assert.deepEqual(resumed, [3, 4]);
  });

  it('refuses to follow a task that does not exist', async () => {
    const follow = (async () => {
      for await (const line of setup.client.watchTaskLogs({ queue: uniqueQueue('logs-none'), task_id: 'missing' })) assert.fail(`unexpected ${line.text}`);
    })();
    await rejectsWith(follow, grpc.status.NOT_FOUND);
  });
});

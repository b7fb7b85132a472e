import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { claimOne, duration, rejectsWith, submit } from '../support/api.js';
import { eventually, uniqueQueue, useReplicas } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { metricsOf } from '../support/metrics.js';
import { samplesOf, valueOf } from '../support/prometheus.js';
import { watch } from '../support/watch.js';
import type { RedisNode } from '../../tools/redis/cluster.js';

/** Every key on `node`, by SCAN. */
async function scanAll(node: RedisNode): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await node.client.call('SCAN', cursor, 'COUNT', 1000)) as [string, string[]];
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

describe('two Baton installs with their own namespaces on one Redis Cluster', () => {
  const installs = useReplicas([{ namespace: 'blue' }, { namespace: 'green' }]);
  const blue = (): TestServer => installs.servers[0] as TestServer;
  const green = (): TestServer => installs.servers[1] as TestServer;

  it('keep tasks of the same queue name apart: get, list, claim and the queue list see only their own', async () => {
    const queue = uniqueQueue('orders');
    await submit(blue().client, { queue, task_id: 'shared-id' });
    await submit(green().client, { queue, task_id: 'shared-id', type: 'green-type' });
    await submit(green().client, { queue, task_id: 'green-only' });

    assert.deepEqual((await blue().client.listTasks({ queue })).tasks.map((t) => t.id), ['shared-id']);
    assert.deepEqual((await green().client.listTasks({ queue })).tasks.map((t) => t.id).sort(), ['green-only', 'shared-id']);
    await rejectsWith(blue().client.getTask({ queue, task_id: 'green-only' }), grpc.status.NOT_FOUND);
    assert.equal((await blue().client.getQueue({ queue })).queue?.counts?.pending, 1);

    const onlyGreen = uniqueQueue('green-only');
    await submit(green().client, { queue: onlyGreen });
    const blueQueues = (await blue().client.listQueues({ page_size: 1000 })).queues.map((q) => q.name);
    assert.ok(blueQueues.includes(queue) && !blueQueues.includes(onlyGreen), 'blue lists only its own queues');

    const claimed = await claimOne(blue().client, queue);
    assert.equal(claimed.task.id, 'shared-id');
    assert.notEqual(claimed.task.type, 'green-type');
    const greenClaim = await green().client.claimTasks({ queues: [queue], worker_id: 'g', max_tasks: 10 });
    assert.equal(greenClaim.tasks.length, 2, "blue's claim took nothing of green's");
  });

  it("do not wake each other's waiting claims or feed each other's watches", async () => {
    const queue = uniqueQueue('wake');
    const greenWatch = watch(green().client, { queue });
    const blueWatch = watch(blue().client, { queue });
    const waiting = green().client.claimTasks({ queues: [queue], worker_id: 'g', wait_timeout: duration(1_500) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const startedAt = Date.now();
    await submit(blue().client, { queue, task_id: 'blue-task' });
    await blueWatch.until(1);
    const response = await waiting;
    assert.equal(response.tasks.length, 0, 'the waiting green claim found nothing');
    assert.ok(Date.now() - startedAt >= 1_200, 'and was not woken early by the blue submit');

    await submit(green().client, { queue, task_id: 'green-task' });
    const [event] = await greenWatch.until(1);
    assert.equal(event?.task?.id, 'green-task');
    assert.equal(greenWatch.events.length, 1, 'green saw no event of blue');
    assert.equal(blueWatch.events.length, 1, 'blue saw no event of green');
    greenWatch.cancel();
    blueWatch.cancel();
  });

  it('keep workers, schedules and task logs apart', async () => {
    const queue = uniqueQueue('apart');
    await blue().client.registerWorker({ worker_id: 'blue-worker', queues: [queue] });
    assert.deepEqual((await blue().client.listWorkers({ queue })).workers.map((w) => w.worker_id), ['blue-worker']);
    assert.deepEqual((await green().client.listWorkers({ queue })).workers, []);
    await rejectsWith(green().client.getWorker({ worker_id: 'blue-worker' }), grpc.status.NOT_FOUND);

    await blue().client.createSchedule({ schedule_id: 'nightly', cron: '0 3 * * *', task: { queue, type: 'report' } });
    assert.deepEqual((await green().client.listSchedules({ queue })).schedules, []);
    await green().client.createSchedule({ schedule_id: 'nightly', cron: '0 4 * * *', task: { queue, type: 'report' } });
    assert.equal((await blue().client.getSchedule({ queue, schedule_id: 'nightly' })).schedule?.cron, '0 3 * * *');

    await submit(blue().client, { queue, task_id: 'logged' });
    await submit(green().client, { queue, task_id: 'logged' });
    const held = await claimOne(blue().client, queue);
    const greenLines = green().client.watchTaskLogs({ queue, task_id: 'logged' });
    const firstGreenLine = greenLines.next();
    await blue().client.appendTaskLogs({ queue, task_id: 'logged', lease_token: held.lease_token, lines: [{ text: 'blue says hi' }] });
    const greenHeld = await claimOne(green().client, queue);
    await green().client.appendTaskLogs({ queue, task_id: 'logged', lease_token: greenHeld.lease_token, lines: [{ text: 'green says hi' }] });
    assert.equal((await firstGreenLine).value?.text, 'green says hi');
    await greenLines.return(undefined);
  });

  it('reap their own expired leases, and report their own queues in the gauges', async () => {
    const queue = uniqueQueue('gauges');
    await submit(blue().client, { queue, task_id: 'short' });
    await submit(blue().client, { queue });
    await blue().client.claimTasks({ queues: [queue], worker_id: 'w', lease_duration: duration(1_000) });
    await eventually(async () => ((await blue().client.getTask({ queue, task_id: 'short' })).task?.state === 'TASK_STATE_PENDING' ? true : undefined));

    const blueSamples = await eventually(async () => {
      const samples = await metricsOf(blue());
      return valueOf(samples, 'baton_queue_tasks', { queue, state: 'pending' }) === 2 ? samples : undefined;
    }, 6_000);
    assert.equal(valueOf(blueSamples, 'baton_queue_tasks', { queue, state: 'pending' }), 2);
    assert.equal(samplesOf(await metricsOf(green()), 'baton_queue_tasks', { queue }).length, 0, 'green has no gauge of a blue queue');
  });

  it('write every key under their own prefix and hash tag, and none under the unnamed one', async () => {
    const keys = (await Promise.all(installs.redis.masters.map(scanAll))).flat();
    const byInstall = (ns: string): string[] => keys.filter((key) => key.startsWith(`baton:${ns}:`));
    assert.ok(byInstall('blue').length > 10 && byInstall('green').length > 10, 'both installs wrote keys');
    assert.deepEqual(keys.filter((key) => !/^baton:(blue|green):/.test(key)), [], 'every key carries a namespace');
    for (const ns of ['blue', 'green']) {
      for (const shared of ['queues', 'sweep', `{${ns}:w}:workers`, `{${ns}:s}:ids`]) {
        assert.ok(keys.includes(`baton:${ns}:${shared}`), `${ns} wrote its ${shared} key`);
      }
    }
    for (const ns of ['blue', 'green']) {
      for (const key of byInstall(ns).filter((k) => k.includes('{'))) {
        assert.ok(key.startsWith(`baton:${ns}:{${ns}:`), `${key} has a hash tag of its namespace`);
      }
    }
  });
});

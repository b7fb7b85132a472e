/**
 * Partitioned queues (QueueSettings.partitions) on a 3-master cluster: the lifecycle on a queue of 6 partitions,
 * raising the count with tasks in flight, and bad input.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { claimOne, duration, getTask, rejectsWith, submit } from '../support/api.js';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import { DEFAULT_KEYSPACE } from '../../src/store/keys.js';
import { keySlot } from '../../src/store/nodePipelines.js';

describe('partitioned queues on 3 masters', () => {
  const setup = useTestServer(() => startRedisCluster(3));
  const client = () => setup.client;

  /** A new queue of `partitions` partitions. */
  async function partitioned(label: string, partitions = 6): Promise<string> {
    const queue = uniqueQueue(label);
    const { queue: info } = await client().updateQueue({ queue, settings: { partitions } });
    assert.equal(info?.settings?.partitions, partitions);
    return queue;
  }

  /** The master holding a key's slot (the test cluster gives master i the i-th third of the slots). */
  const masterOf = (key: string): number => Math.floor(keySlot(key) / Math.ceil(16384 / 3));

  /** Tasks of the queue per partition, as its keys hold them (PENDING ones by the pending set). */
  async function pendingPerPartition(queue: string, history: number[]): Promise<number[]> {
    return Promise.all(
      DEFAULT_KEYSPACE.partitionAddresses(queue, history).map(async (address) => {
        const pending = DEFAULT_KEYSPACE.queueKeys(address)[1] ?? '';
        const master = setup.redis.masters[masterOf(pending)];
        assert.ok(master);
        return master.client.zcard(pending);
      }),
    );
  }

  it('spreads submits over the partitions, one master per two partitions, and counts them all', async () => {
    const queue = await partitioned('spread');
    for (let i = 0; i < 60; i++) await submit(client(), { queue });
    const perPartition = await pendingPerPartition(queue, [1, 6]);
    assert.deepEqual(perPartition, [10, 10, 10, 10, 10, 10], 'round-robin, one partition per submit');
    const masters = DEFAULT_KEYSPACE.partitionAddresses(queue, [1, 6]).map((address) => masterOf(DEFAULT_KEYSPACE.queueKeys(address)[0] ?? ''));
    assert.deepEqual([0, 1, 2].map((m) => masters.filter((x) => x === m).length), [2, 2, 2]);
    const { queue: info } = await client().getQueue({ queue });
    assert.equal(info?.counts?.pending, 60);
  });

  it('gives a generated id its partition, and every per-task call goes to it', async () => {
    const queue = await partitioned('per-task');
    const tasks = [];
    for (let i = 0; i < 6; i++) tasks.push(await submit(client(), { queue, payload: Buffer.from(`p${i}`) }));
    const suffixes = tasks.map((t) => /\.(\d+)$/.exec(t.id)?.[1] ?? '0').sort();
    assert.deepEqual(suffixes, ['0', '1', '2', '3', '4', '5']);
    for (const task of tasks) assert.equal((await getTask(client(), queue, task.id)).id, task.id);
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 6 });
    assert.equal(claimed.tasks.length, 6, 'a claim takes from every partition');
    const [first, second, third, fourth, ...rest] = claimed.tasks;
    assert.ok(first?.task && second?.task && third?.task && fourth?.task);
    await client().heartbeat({ queue, task_id: first.task.id, lease_token: first.lease_token, progress: { current: 1, total: 2, message: '' } });
    const done = await client().completeTask({ queue, task_id: first.task.id, lease_token: first.lease_token, result: Buffer.from('ok') });
    assert.equal(done.task?.state, 'TASK_STATE_SUCCEEDED');
    const failed = await client().failTask({ queue, task_id: second.task.id, lease_token: second.lease_token, error: { message: 'boom' }, retry_delay: duration(0) });
    assert.equal(failed.task?.state, 'TASK_STATE_PENDING', 'a failed task with attempts left is retried in its partition');
    await client().releaseTask({ queue, task_id: third.task.id, lease_token: third.lease_token });
    const cancelled = await client().cancelTask({ queue, task_id: fourth.task.id });
    assert.equal(cancelled.task?.cancel_requested || cancelled.task?.state === 'TASK_STATE_CANCELLED', true);
    const batch = await client().completeTasks({
      requests: rest.map((c) => ({ queue, task_id: c.task?.id ?? '', lease_token: c.lease_token, result: Buffer.from('ok') })),
    });
    assert.deepEqual(batch.results.map((r) => r.state), rest.map(() => 'TASK_STATE_SUCCEEDED'));
    const again = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 6 });
    assert.deepEqual(again.tasks.map((c) => c.task?.id).sort(), [second.task.id, third.task.id].sort());
    await rejectsWith(client().getTask({ queue, task_id: 'no-such-task' }), grpc.status.NOT_FOUND, new RegExp(`queue "${queue}"`));
  });

  it("keeps a caller's task_id unique across partitions and finds it by id", async () => {
    const queue = await partitioned('caller-ids');
    for (let i = 0; i < 12; i++) await submit(client(), { queue, task_id: `order-${i}` });
    const again = await client().submitTask({ queue, task_id: 'order-3', payload: Buffer.from('other') });
    assert.equal(again.created, false);
    assert.equal((await client().getQueue({ queue })).queue?.counts?.pending, 12);
    for (let i = 0; i < 12; i++) assert.equal((await getTask(client(), queue, `order-${i}`)).state, 'TASK_STATE_PENDING');
    const spread = await pendingPerPartition(queue, [1, 6]);
    assert.ok(spread.filter((n) => n > 0).length > 1, `ids hash over the partitions (${spread.join(',')})`);
  });

  it('starts a task by id (StartTask) in its partition, and a second start finds it there', async () => {
    const queue = await partitioned('start');
    const started = await client().startTask({ queue, task_id: 'job-1', worker_id: 'w' });
    assert.equal(started.created, true);
    const again = await client().startTask({ queue, task_id: 'job-1', worker_id: 'w', lease_token: started.lease_token });
    assert.equal(again.created, false);
    await client().completeTask({ queue, task_id: 'job-1', lease_token: again.lease_token });
    assert.equal((await getTask(client(), queue, 'job-1')).state, 'TASK_STATE_SUCCEEDED');
    assert.equal((await client().getQueue({ queue })).queue?.counts?.succeeded, 1);
  });

  it('places tasks of one concurrency key, unique key or partition key in one partition, so their limits hold', async () => {
    const queue = await partitioned('keys');
    await client().updateQueue({ queue, settings: { concurrency_key_limit: 1 } });
    for (let i = 0; i < 6; i++) await submit(client(), { queue, concurrency_key: 'tenant-a' });
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 6 });
    assert.equal(claimed.tasks.length, 1, 'the key limit of 1 holds across the queue');
    const first = await client().submitTask({ queue, unique_key: 'once', unique_until_finished: true });
    const second = await client().submitTask({ queue, unique_key: 'once', unique_until_finished: true });
    assert.equal(second.created, false);
    assert.equal(second.task?.id, first.task?.id);
    const keyed = [];
    for (let i = 0; i < 5; i++) keyed.push(await submit(client(), { queue, partition_key: 'customer-7', priority: i }));
    const partitionsUsed = new Set(keyed.map((t) => /\.(\d+)$/.exec(t.id)?.[1] ?? '0'));
    assert.equal(partitionsUsed.size, 1);
  });

  it('requeues a lease that ran out in any partition', async () => {
    const queue = await partitioned('expiry');
    for (let i = 0; i < 6; i++) await submit(client(), { queue });
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'crashing', max_tasks: 6, lease_duration: duration(1_000) });
    assert.equal(claimed.tasks.length, 6);
    await eventually(async () => ((await client().getQueue({ queue })).queue?.counts?.pending === 6 ? true : undefined), 10_000);
    for (const { task } of claimed.tasks) assert.equal((await getTask(client(), queue, task?.id ?? '')).attempt, 1);
    const again = await client().claimTasks({ queues: [queue], worker_id: 'healthy', max_tasks: 6 });
    assert.deepEqual(again.tasks.map((c) => c.task?.attempt), [2, 2, 2, 2, 2, 2]);
  });

  it('hands out nothing from any partition while the queue is paused, and wakes claims on resume', async () => {
    const queue = await partitioned('pause');
    await client().pauseQueue({ queue });
    for (let i = 0; i < 6; i++) await submit(client(), { queue });
    assert.equal((await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 6 })).tasks.length, 0);
    const waiting = client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 6, wait_timeout: duration(5_000) });
    await client().resumeQueue({ queue });
    assert.ok((await waiting).tasks.length >= 1, 'a waiting claim wakes on resume');
  });

  it('wakes a waiting claim for a task submitted to any partition', async () => {
    const queue = await partitioned('wake');
    const waiting = client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 1, wait_timeout: duration(5_000) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const tasks = [];
    for (let i = 0; i < 3; i++) tasks.push(await submit(client(), { queue }));
    const [claimed] = (await waiting).tasks;
    assert.ok(tasks.some((t) => t.id === claimed?.task?.id));
  });

  it('raises the count with tasks in flight: old tasks stay reachable, new ones spread over every partition', async () => {
    const queue = await partitioned('raise', 2);
    const old = [];
    for (let i = 0; i < 4; i++) old.push(await submit(client(), { queue }));
    for (let i = 0; i < 4; i++) await submit(client(), { queue, task_id: `mine-${i}` });
    const held = await claimOne(client(), queue, 'w');
    const { queue: info } = await client().updateQueue({ queue, settings: { partitions: 6 } });
    assert.equal(info?.settings?.partitions, 6);
    assert.equal(info.counts?.pending, 7);
    for (const task of old) assert.equal((await getTask(client(), queue, task.id)).id, task.id);
    for (let i = 0; i < 4; i++) assert.equal((await getTask(client(), queue, `mine-${i}`)).id, `mine-${i}`);
    const resubmit = await client().submitTask({ queue, task_id: 'mine-2' });
    assert.equal(resubmit.created, false, 'an id submitted before the change is found, not stored again');
    const done = await client().completeTask({ queue, task_id: held.task.id, lease_token: held.lease_token });
    assert.equal(done.task?.state, 'TASK_STATE_SUCCEEDED');
    for (let i = 0; i < 12; i++) await submit(client(), { queue });
    const spread = await pendingPerPartition(queue, [2, 6]);
    assert.ok(spread.every((n) => n > 0), `every partition took tasks (${spread.join(',')})`);
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 100 });
    assert.equal(claimed.tasks.length, 19);
  });

  it('refuses a partition count out of range or lowered, naming the field and the limit, and changes nothing', async () => {
    const queue = await partitioned('bad', 4);
    await rejectsWith(client().updateQueue({ queue, settings: { partitions: -1 } }), grpc.status.INVALID_ARGUMENT, /settings\.partitions.*1.*256/);
    await rejectsWith(client().updateQueue({ queue, settings: { partitions: 257 } }), grpc.status.INVALID_ARGUMENT, /settings\.partitions.*256/);
    await rejectsWith(client().updateQueue({ queue, settings: { partitions: 2 } }), grpc.status.FAILED_PRECONDITION, /settings\.partitions.*lowered/);
    await rejectsWith(client().updateQueue({ queue, settings: { max_pending_tasks: 10 } }), grpc.status.FAILED_PRECONDITION, /max_pending_tasks/);
    await rejectsWith(client().updateQueue({ queue, settings: { claim_rate_limit: { claims: 5, period: duration(1_000) } } }), grpc.status.FAILED_PRECONDITION, /claim_rate_limit/);
    await rejectsWith(
      client().submitTask({ queue, partition_key: 'x'.repeat(257) }),
      grpc.status.INVALID_ARGUMENT,
      /partition_key.*256/,
    );
    assert.equal((await client().getQueue({ queue })).queue?.settings?.partitions, 4);
  });
});

import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import type { Input } from '../../clients/typescript/src/client.js';
import { durationFromMs } from '../../clients/typescript/src/index.js';
import type { SubmitTaskRequest } from '../../clients/typescript/src/contract.js';
import { claimOne, duration, getTask, rejectsWith, toMs } from '../support/api.js';
import { uniqueQueue, useReplicas, useTestServer } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { parseExposition, scrape, valueOf } from '../support/prometheus.js';

describe('debounce: a submit pushes back the unstarted task holding its key, with its own payload', () => {
  const setup = useTestServer();
  const client = () => setup.client;
  const debounced = (queue: string, payload: string, request: Input<typeof SubmitTaskRequest> = {}) =>
    client().submitTask({ queue, payload: Buffer.from(payload), unique_key: 'save-doc', debounce: duration(60_000), ...request });

  it('replaces the payload, metadata and priority of the scheduled task and sets its schedule to now + debounce', async () => {
    const queue = uniqueQueue('debounce');
    const first = await debounced(queue, 'v1', { metadata: { rev: '1' } });
    assert.ok(first.task);
    assert.deepEqual([first.created, first.debounced, first.task.state], [true, false, 'TASK_STATE_SCHEDULED']);
    const firstSchedule = toMs(first.task.schedule_time);
    const before = Date.now();
    const second = await debounced(queue, 'v2', { task_id: 'ignored', metadata: { rev: '2' }, priority: 5 });
    assert.deepEqual([second.created, second.debounced, second.task?.id], [false, true, first.task.id]);
    const task = await getTask(client(), queue, first.task.id);
    assert.deepEqual([task.payload.toString(), task.metadata, task.priority], ['v2', { rev: '2' }, 5]);
    assert.ok(toMs(task.schedule_time) >= before + 60_000 - 50, 'pushed to now + debounce');
    assert.ok(toMs(task.schedule_time) > firstSchedule);
    assert.equal((await client().listTasks({ queue })).tasks.length, 1);
  });

  it('debounces a pending task too, making it scheduled', async () => {
    const queue = uniqueQueue('debounce-pending');
    const first = await debounced(queue, 'v1', { debounce: duration(1) });
    const claimable = await claimOne(client(), queue);
    assert.equal(claimable.task.id, first.task?.id);
    await client().releaseTask({ queue, task_id: claimable.task.id, lease_token: claimable.lease_token });
    assert.equal((await getTask(client(), queue, claimable.task.id)).state, 'TASK_STATE_PENDING');
    const second = await debounced(queue, 'v2');
    assert.deepEqual([second.debounced, second.task?.state, second.task?.payload.toString()], [true, 'TASK_STATE_SCHEDULED', 'v2']);
  });

  it('creates a new task once the first is ACTIVE: the running one is left alone', async () => {
    const queue = uniqueQueue('debounce-active');
    const first = await debounced(queue, 'v1', { debounce: duration(1) });
    const running = await claimOne(client(), queue);
    assert.equal(running.task.id, first.task?.id);
    const second = await debounced(queue, 'v2');
    assert.deepEqual([second.created, second.debounced], [true, false]);
    assert.notEqual(second.task?.id, first.task?.id);
    assert.equal((await getTask(client(), queue, running.task.id)).payload.toString(), 'v1');
    const third = await debounced(queue, 'v3');
    assert.deepEqual([third.debounced, third.task?.id], [true, second.task?.id], 'the new task holds the key now');
  });

  it("refuses a debounce that would grow the stored payload past the queue's byte quota, leaving the task as it was", async () => {
    const queue = uniqueQueue('debounce-quota');
    await client().updateQueue({ queue, settings: { max_stored_payload_bytes: 100 } });
    const first = await debounced(queue, 'x'.repeat(60));
    await rejectsWith(
      debounced(queue, 'y'.repeat(150)),
      grpc.status.RESOURCE_EXHAUSTED,
      new RegExp(`max_stored_payload_bytes is 100 .*task "${first.task?.id ?? ''}" was not debounced \\(it keeps its payload\\)`),
    );
    const task = await getTask(client(), queue, first.task?.id ?? '');
    assert.equal(task.payload.toString(), 'x'.repeat(60));
    assert.equal((await client().getQueue({ queue })).queue?.stored_payload_bytes, 60);
    const smaller = await debounced(queue, 'z'.repeat(90));
    assert.deepEqual([smaller.debounced, smaller.task?.payload.toString()], [true, 'z'.repeat(90)], 'a debounce that fits is applied');
  });

  it('tells watchers: a debounced event with the pushed schedule', async () => {
    const queue = uniqueQueue('debounce-events');
    await debounced(queue, 'v1');
    await debounced(queue, 'v2');
    const seen: [string, string | undefined][] = [];
    for await (const event of client().watchTasks({ queue, start: 'WATCH_START_OLDEST' })) {
      seen.push([event.type, event.task?.state]);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, [
      ['TASK_EVENT_TYPE_SUBMITTED', 'TASK_STATE_SCHEDULED'],
      ['TASK_EVENT_TYPE_DEBOUNCED', 'TASK_STATE_SCHEDULED'],
    ]);
  });

  it('honours keys within one SubmitTasks batch and across batches: one task per key, the last payload wins', async () => {
    const queue = uniqueQueue('debounce-batch');
    const batch = await client().submitTasks({
      return_tasks: true,
      requests: [
        { queue, task_id: 'a1', payload: Buffer.from('a1'), unique_key: 'a', debounce: duration(60_000) },
        { queue, task_id: 'b1', unique_key: 'b', unique_for: duration(60_000) },
        { queue, task_id: 'a2', payload: Buffer.from('a2'), unique_key: 'a', debounce: duration(60_000) },
        { queue, task_id: 'b2', unique_key: 'b', unique_for: duration(60_000) },
        { queue, task_id: 'plain' },
      ],
    });
    assert.deepEqual(
      batch.results.map((r) => [r.task_id, r.created, r.debounced]),
      [
        ['a1', true, false],
        ['b1', true, false],
        ['a1', false, true],
        ['b1', false, false],
        ['plain', true, false],
      ],
    );
    assert.equal(batch.results[2]?.task?.payload.toString(), 'a2');
    assert.equal((await getTask(client(), queue, 'a1')).payload.toString(), 'a2');
    assert.deepEqual(
      (await client().listTasks({ queue })).tasks.map((t) => t.id).sort(),
      ['a1', 'b1', 'plain'],
    );
    const next = await client().submitTasks({ requests: [{ queue, task_id: 'b3', unique_key: 'b', unique_for: duration(60_000) }] });
    assert.deepEqual(next.results.map((r) => [r.task_id, r.created]), [['b1', false]]);
  });

  it('the TS SDK submitter (SubmitTasksStream) debounces too: the last payload on the stream wins', async () => {
    const queue = uniqueQueue('debounce-stream');
    const submitter = client().submitter();
    const results = ['s1', 's2', 's3'].map((payload) =>
      submitter.submit({ queue, payload, unique_key: 'k', debounce: durationFromMs(60_000) }),
    );
    await submitter.close();
    const settled = await Promise.all(results);
    assert.deepEqual(settled.map((r) => [r.created, r.debounced]), [[true, false], [false, true], [false, true]]);
    assert.equal(new Set(settled.map((r) => r.task_id)).size, 1);
    assert.equal((await getTask(client(), queue, settled[0]?.task_id ?? '')).payload.toString(), 's3');
  });

  it('counts deduplicated submits per queue in baton_tasks_deduplicated_total', async () => {
    const queue = uniqueQueue('debounce-metrics');
    await debounced(queue, 'v1');
    await debounced(queue, 'v2');
    await debounced(queue, 'v3');
    await client().submitTask({ queue, unique_key: 'save-doc', unique_until_finished: true });
    const samples = parseExposition(await scrape(setup.server.baton.metricsAddress));
    assert.equal(valueOf(samples, 'baton_tasks_deduplicated_total', { queue, outcome: 'debounced' }), 2);
    assert.equal(valueOf(samples, 'baton_tasks_deduplicated_total', { queue, outcome: 'existing' }), 1);
    assert.equal(valueOf(samples, 'baton_tasks_submitted_total', { queue }), 1);
  });
});

describe('unique keys across two replicas on a 3-master Redis Cluster', () => {
  const replicas = useReplicas([{}, {}]);
  const replicaA = (): TestServer => replicas.servers[0] as TestServer;
  const replicaB = (): TestServer => replicas.servers[1] as TestServer;

  it('concurrent submits of one key from both replicas create exactly one task', async () => {
    for (let round = 0; round < 20; round++) {
      const queue = uniqueQueue('unique-race');
      const request = (replica: TestServer, i: number) =>
        replica.client.submitTask({ queue, task_id: `t${i}`, unique_key: 'once', unique_for: duration(60_000) });
      const answers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => request(i % 2 === 0 ? replicaA() : replicaB(), i)));
      assert.equal(answers.filter((a) => a.created).length, 1, `round ${round}: exactly one created`);
      assert.equal(new Set(answers.map((a) => a.task?.id)).size, 1, `round ${round}: all answered with that task`);
      assert.equal((await replicaA().client.listTasks({ queue })).tasks.length, 1);
    }
  });
});

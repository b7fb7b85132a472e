import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { BatonClient } from '../../clients/typescript/src/client.js';
import type { Input } from '../../clients/typescript/src/client.js';
import { statusOf } from '../../clients/typescript/src/errors.js';
import { SubmitTasksStreamRequest } from '../../clients/typescript/src/contract.js';
import type { SubmitTasksStreamResponse } from '../../clients/typescript/src/contract.js';
import { getTask } from '../support/api.js';
import { startTestServer, uniqueQueue, useTestServer } from '../support/baton.js';

/** A raw SubmitTasksStream: what it answered, and how it ended. */
function openStream(client: BatonClient) {
  const call = client.tasks.submitTasksStream();
  const answers: SubmitTasksStreamResponse[] = [];
  call.on('data', (response: SubmitTasksStreamResponse) => answers.push(response));
  call.on('error', () => undefined);
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  return {
    send: (request: Input<typeof SubmitTasksStreamRequest>) => call.write(SubmitTasksStreamRequest.fromPartial(request)),
    closeSend: () => call.end(),
    answers,
    ended,
  };
}

describe('SubmitTasksStream: submitting on one long-lived stream', () => {
  const setup = useTestServer();
  const client = () => setup.client;

  it('stores every request and answers each one, in order, with a result per item', async () => {
    const queue = uniqueQueue('stream-order');
    const stream = openStream(client());
    stream.send({ requests: [{ queue, payload: Buffer.from('a') }, { queue, payload: Buffer.from('b') }] });
    stream.send({ requests: [{ queue, payload: Buffer.from('c') }] });
    stream.send({ requests: [{ queue, task_id: 'named', payload: Buffer.from('d') }], return_tasks: true });
    stream.closeSend();
    assert.equal((await stream.ended).code, grpc.status.OK, 'ends OK once every request is answered');
    assert.deepEqual(stream.answers.map((a) => a.results.length), [2, 1, 1]);
    const [first, second, third] = stream.answers;
    const ids = [...(first?.results ?? []), ...(second?.results ?? [])].map((r) => r.task_id);
    const payloads = await Promise.all(ids.map(async (id) => (await getTask(client(), queue, id)).payload.toString()));
    assert.deepEqual(payloads, ['a', 'b', 'c'], 'answers follow the order of the requests');
    assert.deepEqual(
      first?.results.map((r) => [r.created, r.state, r.task]),
      [[true, 'TASK_STATE_PENDING', undefined], [true, 'TASK_STATE_PENDING', undefined]],
    );
    assert.equal(third?.results[0]?.task?.payload.toString(), 'd', 'return_tasks returns the whole task');
  });

  it('keeps the order of submits to a queue: the first sent is the first claimed', async () => {
    const queue = uniqueQueue('stream-fifo');
    const stream = openStream(client());
    for (let i = 0; i < 50; i++) stream.send({ requests: [{ queue, payload: Buffer.from(String(i)) }] });
    stream.closeSend();
    await stream.ended;
    const claimed = await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 50 });
    assert.deepEqual(claimed.tasks.map((t) => t.task?.payload.toString()), Array.from({ length: 50 }, (_, i) => String(i)));
  });

  it('fails a bad item alone, naming its field, and goes on with the next requests', async () => {
    const queue = uniqueQueue('stream-bad-item');
    const stream = openStream(client());
    stream.send({ requests: [{ queue, priority: 10 }, { queue, payload: Buffer.from('ok') }] });
    stream.send({ requests: [{ queue }] });
    stream.closeSend();
    assert.equal((await stream.ended).code, grpc.status.OK);
    const [bad, good] = stream.answers[0]?.results ?? [];
    assert.equal(bad?.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad.error.message, /priority.*-9.*9/);
    assert.equal(good?.state, 'TASK_STATE_PENDING');
    assert.equal(stream.answers[1]?.results[0]?.state, 'TASK_STATE_PENDING');
    const view = await client().getQueue({ queue });
    assert.equal(view.queue?.counts?.pending, 2, 'only the good items were stored');
  });

  it('ends the stream with INVALID_ARGUMENT naming requests and the limit when a request holds too many items', async () => {
    const queue = uniqueQueue('stream-too-many');
    const stream = openStream(client());
    stream.send({ requests: Array.from({ length: 1001 }, () => ({ queue })) });
    const status = await stream.ended;
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.details, /requests: has more than 1000 entries; the limit is 1000/);
    const view = await client().getQueue({ queue }).catch(() => undefined);
    assert.equal(view?.queue?.counts?.pending ?? 0, 0, 'nothing was stored');
  });

  it('ends with UNAVAILABLE when the server shuts down, after answering what it read', async () => {
    const own = await startTestServer(setup.redis.config);
    const stream = openStream(own.client);
    stream.send({ requests: [{ queue: uniqueQueue('stream-drain') }] });
    while (stream.answers.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const stopping = own.stop();
    const status = await stream.ended;
    await stopping;
    assert.equal(status.code, grpc.status.UNAVAILABLE);
    assert.match(status.details, /shutting down/);
  });
});

describe('TaskSubmitter: the SDK producer on SubmitTasksStream', () => {
  const setup = useTestServer();
  const client = () => setup.client;

  it('resolves each submit with its own result, and close() waits for them all', async () => {
    const queue = uniqueQueue('submitter');
    const submitter = client().submitter();
    const results = Array.from({ length: 2500 }, (_, i) => submitter.submit({ queue, payload: Buffer.from(`p${i}`) }));
    await submitter.close();
    const settled = await Promise.all(results);
    assert.equal(new Set(settled.map((r) => r.task_id)).size, 2500);
    assert.ok(settled.every((r) => r.created && r.state === 'TASK_STATE_PENDING'));
    assert.equal((await getTask(client(), queue, settled[1234]?.task_id ?? '')).payload.toString(), 'p1234');
  });

  it('rejects a bad submit alone with its gRPC status and message', async () => {
    const queue = uniqueQueue('submitter-bad');
    const submitter = client().submitter();
    const bad = submitter.submit({ queue, max_attempts: 5000 });
    const good = submitter.submit({ queue });
    await assert.rejects(bad, (error: unknown) => {
      assert.equal(statusOf(error), grpc.status.INVALID_ARGUMENT);
      assert.match(String(error), /max_attempts.*1000/);
      return true;
    });
    assert.equal((await good).state, 'TASK_STATE_PENDING');
    await submitter.close();
    await assert.rejects(submitter.submit({ queue }), /closed/);
  });

  it('resends submits that name their task id when the server goes away, and fails those without one', async () => {
    const own = await startTestServer(setup.redis.config);
    const address = own.baton.grpcAddress;
    const producer = new BatonClient(address);
    const queue = uniqueQueue('submitter-failover');
    const submitter = producer.submitter();
    await submitter.submit({ queue, task_id: 'warm-up' });

    const stopping = own.stop();
    // Sent while the server drains: it no longer reads them, so they are left unanswered.
    const named = Array.from({ length: 20 }, (_, i) => submitter.submit({ queue, task_id: `named-${i}` }));
    const unnamed = submitter.submit({ queue }).then(
      () => 'stored',
      (error: unknown) => statusOf(error),
    );
    await stopping;
    assert.equal(await unnamed, grpc.status.UNAVAILABLE, 'a submit without an id may have been stored: it fails');

    const replacement = await startTestServer(setup.redis.config, { grpcAddress: address });
    try {
      const results = await Promise.all(named);
      assert.deepEqual(results.map((r) => r.task_id), Array.from({ length: 20 }, (_, i) => `named-${i}`));
      const view = await client().getQueue({ queue });
      assert.equal(view.queue?.counts?.pending, 21, 'each named task stored exactly once, the unnamed one never');
      await submitter.close();
    } finally {
      producer.close();
      await replacement.stop();
    }
  });
});

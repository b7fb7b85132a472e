import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError, createWorker } from '../../clients/typescript/src/index.js';
import type { BatonClient, Task } from '../../clients/typescript/src/index.js';
import { claimOne, duration, getTask } from '../support/api.js';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';
import { startTestRedis } from '../../tools/redis/cluster.js';

const TEXT = 'héllo';
const BINARY = Uint8Array.from([0x00, 0xff, 0xfe, 0x80]);

/** Every way the SDK submits a task, each returning the new task's id. */
const SUBMIT_PATHS: Record<string, (client: BatonClient, queue: string, payload: string | Uint8Array) => Promise<string>> = {
  submitTask: async (client, queue, payload) => (await client.submitTask({ queue, payload })).task?.id ?? '',
  submitTasks: async (client, queue, payload) => (await client.submitTasks({ requests: [{ queue, payload }] })).results[0]?.task_id ?? '',
  submitter: async (client, queue, payload) => {
    const submitter = client.submitter();
    try {
      return (await submitter.submit({ queue, payload })).task_id;
    } finally {
      await submitter.close();
    }
  },
  runTask: async (client, queue, payload) =>
    (await client.runTask({ task: { queue, payload }, timeout: duration(0) })).task?.id ?? '',
  startTask: async (client, queue, payload) => {
    const id = `${queue}-started`;
    await client.startTask({ queue, task_id: id, worker_id: 'w', payload });
    return id;
  },
};

describe('SDK payloads', () => {
  const setup = useTestServer(startTestRedis);

  for (const [path, submit] of Object.entries(SUBMIT_PATHS)) {
    it(`${path} stores a string payload as its UTF-8 bytes`, async () => {
      const queue = uniqueQueue(`utf8-${path}`);
      const id = await submit(setup.client, queue, TEXT);
      const stored = await getTask(setup.client, queue, id);
      assert.deepEqual(stored.payload, Buffer.from(TEXT, 'utf8'));
      assert.equal(stored.payload.toString('utf8'), TEXT);
    });

    it(`${path} stores Buffer and Uint8Array payloads byte for byte`, async () => {
      const queue = uniqueQueue(`bytes-${path}`);
      const id = await submit(setup.client, queue, BINARY);
      assert.deepEqual((await getTask(setup.client, queue, id)).payload, Buffer.from(BINARY));
      const other = uniqueQueue(`buffer-${path}`);
      const bufferId = await submit(setup.client, other, Buffer.from(BINARY));
      assert.deepEqual((await getTask(setup.client, other, bufferId)).payload, Buffer.from(BINARY));
    });
  }

  it('a claimed task carries a string payload as its UTF-8 bytes (not decoded as base64)', async () => {
    const queue = uniqueQueue('utf8-claim');
    await setup.client.submitTask({ queue, payload: TEXT });
    await setup.client.submitTask({ queue, payload: 'test' });
    assert.deepEqual((await claimOne(setup.client, queue)).task.payload, Buffer.from([0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]));
    assert.deepEqual((await claimOne(setup.client, queue)).task.payload, Buffer.from('test', 'utf8'));
  });

  it('completeTask stores a string result as its UTF-8 bytes', async () => {
    const queue = uniqueQueue('utf8-result');
    await setup.client.submitTask({ queue, payload: 'x' });
    const { task, lease_token } = await claimOne(setup.client, queue);
    await setup.client.completeTask({ queue, task_id: task.id, lease_token, result: TEXT });
    assert.deepEqual((await getTask(setup.client, queue, task.id)).result, Buffer.from(TEXT, 'utf8'));
  });

  it('submits `json` as the UTF-8 of its JSON text, on every submit path', async () => {
    const value = { to: 'ada@example.com', tags: ['wélcome'], n: 1 };
    const text = Buffer.from(JSON.stringify(value), 'utf8');
    const queue = uniqueQueue('json');
    const submitter = setup.client.submitter();
    const ids = [
      (await setup.client.submitTask({ queue, json: value })).task?.id,
      (await setup.client.submitTasks({ requests: [{ queue, json: value }] })).results[0]?.task_id,
      (await submitter.submit({ queue, json: value })).task_id,
      (await setup.client.runTask({ task: { queue, json: value }, timeout: duration(0) })).task?.id,
    ];
    await submitter.close();
    for (const id of ids) assert.deepEqual((await getTask(setup.client, queue, id ?? '')).payload, text);
  });

  it('refuses a submit that gives both `payload` and `json`, or a `json` with no JSON form', async () => {
    const both = { queue: 'q', payload: 'a', json: 'b' };
    await assert.rejects(setup.client.submitTask(both), /payload or its json, not both/);
    await assert.rejects(setup.client.submitTasks({ requests: [both] }), TypeError);
    await assert.rejects(setup.client.runTask({ task: both }), TypeError);
    const submitter = setup.client.submitter();
    await assert.rejects(submitter.submit(both), TypeError);
    await submitter.close();
    await assert.rejects(setup.client.submitTask({ queue: 'q', json: () => 1 }), /no JSON form/);
  });

  it('hands the handler its JSON payload through ctx.json()', { timeout: 10_000 }, async () => {
    const queue = uniqueQueue('json-handler');
    const { task: submitted } = await setup.client.submitTask({ queue, json: { to: 'ada', count: 2 } });
    const seen: unknown[] = [];
    const worker = createWorker({
      client: setup.client,
      queues: queue,
      handler: (_task, ctx) => {
        const input = ctx.json<{ to: string; count: number }>();
        seen.push(input);
        return `${input.to} x${input.count}`;
      },
    });
    void worker.run();
    try {
      const done = await finished(setup.client, queue, submitted?.id ?? '');
      assert.equal(done.state, 'TASK_STATE_SUCCEEDED');
      assert.deepEqual(seen, [{ to: 'ada', count: 2 }]);
      assert.equal(done.result.toString(), 'ada x2');
    } finally {
      await worker.close(0);
    }
  });

  it('fails the task for good, naming it, when ctx.json() finds no JSON', { timeout: 10_000 }, async () => {
    const queue = uniqueQueue('not-json');
    const { task: submitted } = await setup.client.submitTask({ queue, payload: 'not json', max_attempts: 3 });
    const id = submitted?.id ?? '';
    let thrown: unknown;
    const worker = createWorker({
      client: setup.client,
      queues: queue,
      handler: (_task, ctx) => {
        try {
          return JSON.stringify(ctx.json());
        } catch (error) {
          thrown = error;
          throw error;
        }
      },
    });
    void worker.run();
    try {
      const done = await finished(setup.client, queue, id);
      assert.ok(thrown instanceof PermanentError);
      assert.match(thrown.message, new RegExp(`task ${id} .*${queue}.* not JSON`));
      assert.equal(done.state, 'TASK_STATE_FAILED', 'not retried: the payload will not change');
      assert.equal(done.attempt, 1);
      assert.match(done.errors[0]?.message ?? '', /not JSON/);
    } finally {
      await worker.close(0);
    }
  });
});

async function finished(client: BatonClient, queue: string, id: string): Promise<Task> {
  return eventually(async () => {
    const task = await getTask(client, queue, id);
    return ['TASK_STATE_SUCCEEDED', 'TASK_STATE_FAILED', 'TASK_STATE_EXHAUSTED'].includes(task.state) ? task : undefined;
  });
}

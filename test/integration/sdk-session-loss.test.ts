import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatonClient, createWorker, durationFromMs } from '../../clients/typescript/src/index.js';
import type { WorkTasksRequest } from '../../clients/typescript/src/contract.js';
import { eventually, uniqueQueue, useTestServer } from '../support/baton.js';
import { startTestRedis } from '../../tools/redis/cluster.js';

const TERMINAL = new Set(['TASK_STATE_SUCCEEDED', 'TASK_STATE_FAILED', 'TASK_STATE_EXHAUSTED', 'TASK_STATE_CANCELLED']);

/**
 * A client whose first WorkTasks session dies the moment the worker sends completions on it: the message never
 * reaches the server and the stream is cancelled, as when the connection drops with the completions in flight.
 * Counts the completions sent afterwards, on a later session or by CompleteTasks (whichever is up first).
 */
function clientLosingFirstSession(address: string): { client: BatonClient; dropped: number; resent: number } {
  const client = new BatonClient(address);
  const seen = { client, dropped: 0, resent: 0 };
  let opened = 0;
  const openSession = client.workers.workTasks.bind(client.workers);
  client.workers.workTasks = ((...args: Parameters<typeof openSession>) => {
    const stream = openSession(...args);
    const first = ++opened === 1;
    const write = stream.write.bind(stream) as (message: WorkTasksRequest) => boolean;
    stream.write = ((message: WorkTasksRequest) => {
      const completions = message.completions.length;
      if (!first || completions === 0) {
        seen.resent += completions;
        return write(message);
      }
      seen.dropped += completions;
      setImmediate(() => {
        stream.cancel();
      });
      return true;
    }) as typeof stream.write;
    return stream;
  }) as typeof client.workers.workTasks;
  const completeTasks = client.completeTasks.bind(client);
  client.completeTasks = (request, options) => {
    seen.resent += request.requests?.length ?? 0;
    return completeTasks(request, options);
  };
  return seen;
}

describe('Worker session loss', () => {
  const setup = useTestServer(startTestRedis);

  it('sends again the completions a dead session left unanswered: the task SUCCEEDED on its only attempt', { timeout: 20_000 }, async () => {
    const queue = uniqueQueue('session-loss');
    const { task: submitted } = await setup.client.submitTask({
      queue,
      payload: Buffer.from('last chance'),
      // The only attempt: a completion dropped shows as EXHAUSTED once the lease runs out.
      max_attempts: 1,
      lease_duration: durationFromMs(1_000),
    });
    const id = submitted?.id ?? '';
    const seen = clientLosingFirstSession(setup.server.baton.grpcAddress);
    const errors: unknown[] = []; // the lost session is reported here
    let runs = 0;
    const worker = createWorker({
      client: seen.client,
      queues: queue,
      leaseDuration: 1_000,
      handler: () => {
        runs += 1;
        return 'done';
      },
    });
    worker.on('error', (error) => errors.push(error));
    void worker.run();
    try {
      const task = await eventually(async () => {
        const { task: found } = await setup.client.getTask({ queue, task_id: id });
        return found && TERMINAL.has(found.state) ? found : undefined;
      }, 10_000);
      assert.equal(seen.dropped, 1, 'the completion was in flight when the first session died');
      assert.equal(task.state, 'TASK_STATE_SUCCEEDED', `the task ended ${task.state}: ${JSON.stringify(task.errors)}`);
      assert.equal(task.attempt, 1, 'the attempt was charged once');
      assert.deepEqual(task.errors, [], 'no attempt failed');
      assert.equal(task.result.toString(), 'done');
      assert.equal(seen.resent, 1, 'it was sent again once, when the worker was connected again');
      assert.equal(runs, 1, 'the handler ran once');
    } finally {
      await worker.close(0);
      seen.client.close();
    }
  });
});

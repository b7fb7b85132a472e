import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { createWorker } from '../../clients/typescript/src/index.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startTestRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { sleep } from '../support/api.js';

describe('worker runner: RegisterWorker', () => {
  let redis: TestRedis;
  /** Calls a worker lost 300 ms after it was last seen. */
  let server: TestServer;
  before(async () => {
    redis = await startTestRedis();
    server = await startTestServer(redis.config, { workerLostAfterMs: 300 });
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it('announces itself at start with hostname, pid and SDK, and stays alive while idle in a long poll', async () => {
    const queue = uniqueQueue('registry');
    const worker = createWorker({
      client: server.client,
      queues: queue,
      handler: () => undefined,
      // An idle session's claim waits 30 s, the lost window many times over: only RegisterWorker keeps it visible.
      registerInterval: 100,
    });
    const running = worker.run();
    const seen = await eventually(async () => (await server.client.listWorkers({ queue })).workers.find((w) => w.worker_id === worker.workerId));
    assert.equal(seen.hostname, hostname());
    assert.equal(seen.pid, process.pid);
    assert.equal(seen.sdk_name, 'baton-ts');
    assert.match(seen.sdk_version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(seen.queues, [queue]);

    await sleep(1_000);
    const later = await server.client.getWorker({ worker_id: worker.workerId });
    assert.equal(later.worker?.status, 'WORKER_STATUS_ALIVE', 'still alive after three lost windows of idling');

    await worker.close();
    await running;
    await eventually(async () => {
      const { worker: gone } = await server.client.getWorker({ worker_id: worker.workerId });
      return gone?.status === 'WORKER_STATUS_LOST' ? true : undefined;
    });
  });
});

import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import { getTask, rejectsWith, submit } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { ChaosCluster } from '../chaos/cluster.js';

describe('replicated acknowledgements (N=1) across a full Redis outage (3 masters + 3 replicas, AOF always)', () => {
  let cluster: ChaosCluster;
  let server: TestServer;

  before(async () => {
    cluster = await ChaosCluster.start('always');
    const clusterNodes = cluster.seeds.split(',').map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) }));
    const redis = { clusterNodes, tls: false, commandTimeoutMs: 1_500, replicaAcks: 1, replicaAckTimeoutMs: 500 };
    server = await startTestServer(redis);
  });
  after(async () => {
    await server.stop();
    await cluster.stop();
  });

  it('drops writes that timed out while Redis was down (never run later) and serves again once it is back', async () => {
    const queue = uniqueQueue('outage');
    await submit(server.client, { queue, task_id: 'before' });
    const ports = cluster.nodes.map((n) => n.port);
    await Promise.all(ports.map((port) => cluster.kill(port)));
    // Queued in ioredis (the cluster's offline queue) while no node answers, answered UNAVAILABLE at the deadline.
    await Promise.all(
      ['late-1', 'late-2', 'late-3'].map((id) =>
        rejectsWith(server.client.submitTask({ queue, task_id: id }, { retry: false, timeoutMs: 5_000 }), grpc.status.UNAVAILABLE),
      ),
    );
    await Promise.all(ports.map((port) => cluster.restart(port)));
    await cluster.waitOk(30_000);
    // The process is still here (a late pipelined command once threw out of ioredis's offline queue and ended it).
    await eventually(async () => submit(server.client, { queue, task_id: 'after' }).catch(() => undefined), 20_000, 200);
    assert.equal((await getTask(server.client, queue, 'before')).id, 'before');
    for (const id of ['late-1', 'late-2', 'late-3']) {
      await rejectsWith(getTask(server.client, queue, id), grpc.status.NOT_FOUND);
    }
  });
});

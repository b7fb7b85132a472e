import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { BatonClient } from '../../clients/typescript/src/client.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { RedisNode, TestRedis } from '../../tools/redis/cluster.js';
import { rejectsWith } from '../support/api.js';
import { clientWith, writeTokensFile } from '../support/auth.js';
import { startTestServer } from '../support/baton.js';
import { keysOfQueue } from '../support/redisKeys.js';
import type { TestServer } from '../support/baton.js';

describe('bounded queues: --max-queues, and DeleteQueue for admins only', () => {
  let dir = '';
  let redis: TestRedis;
  let server: TestServer;
  let producer: BatonClient;
  let admin: BatonClient;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-queue-limit-'));
    const tokensFile = join(dir, 'tokens.json');
    writeTokensFile(tokensFile, [
      { name: 'producer', tokens: ['t-produce'], grants: [{ queues: '*', roles: ['produce'] }] },
      { name: 'ops', tokens: ['t-admin'], grants: [{ queues: '*', roles: ['admin'] }] },
    ]);
    redis = await startRedisCluster();
    server = await startTestServer(redis.config, { authTokensFile: tokensFile, maxQueues: 3 });
    producer = clientWith(server.baton.grpcAddress, { token: 't-produce' });
    admin = clientWith(server.baton.grpcAddress, { token: 't-admin' });
  });
  after(async () => {
    producer.close();
    admin.close();
    await server.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const node = (): RedisNode => {
    const master = redis.masters[0];
    assert.ok(master);
    return master;
  };
  const listed = async (): Promise<string[]> => (await admin.listQueues({})).queues.map((q) => q.name).sort();

  it('refuses the queue one past the limit with RESOURCE_EXHAUSTED naming it, storing nothing, until one is deleted', async () => {
    await producer.submitTask({ queue: 'limit-a' });
    await producer.submitTask({ queue: 'limit-b' });
    await admin.updateQueue({ queue: 'limit-c', settings: { max_attempts: 2 } });
    await rejectsWith(
      producer.submitTask({ queue: 'limit-d', task_id: 'refused' }),
      grpc.status.RESOURCE_EXHAUSTED,
      /queue "limit-d" would exceed the limit of 3 queues \(--max-queues\)/,
    );
    await rejectsWith(admin.updateQueue({ queue: 'limit-d', settings: { max_attempts: 2 } }), grpc.status.RESOURCE_EXHAUSTED, /limit of 3 queues/);
    assert.deepEqual(await keysOfQueue(node(), 'limit-d'), []);
    assert.deepEqual(await listed(), ['limit-a', 'limit-b', 'limit-c']);

    // A batch answers per item: the known queues' items are stored, the new queue's refused.
    const batch = await producer.submitTasks({ requests: [{ queue: 'limit-a' }, { queue: 'limit-d' }, { queue: 'limit-b' }] });
    assert.deepEqual(
      batch.results.map((r) => (r.error ? r.error.code : r.state)),
      ['TASK_STATE_PENDING', grpc.status.RESOURCE_EXHAUSTED, 'TASK_STATE_PENDING'],
    );

    assert.equal((await admin.deleteQueue({ queue: 'limit-c' })).deleted_task_count, 0);
    const { task } = await producer.submitTask({ queue: 'limit-d', task_id: 'accepted' });
    assert.equal(task?.id, 'accepted');
    assert.deepEqual(await listed(), ['limit-a', 'limit-b', 'limit-d']);
  });

  it('refuses DeleteQueue to a produce-only token and deletes nothing', async () => {
    const before = await keysOfQueue(node(), 'limit-a');
    await rejectsWith(producer.deleteQueue({ queue: 'limit-a', force: true }), grpc.status.PERMISSION_DENIED, /admin/);
    assert.deepEqual(await keysOfQueue(node(), 'limit-a'), before);
    assert.ok((await listed()).includes('limit-a'));
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { BatonClient } from '../../clients/typescript/src/client.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { rejectsWith, sleep } from '../support/api.js';
import { clientWith, writeTokensFile } from '../support/auth.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';

describe('per-token rate limits', () => {
  let dir = '';
  let redis: TestRedis;
  let server: TestServer;
  let limited: BatonClient;
  let unlimited: BatonClient;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-rate-'));
    const tokensFile = join(dir, 'tokens.json');
    writeTokensFile(tokensFile, [
      // One call per two seconds after a burst of three: the test's calls are well inside one refill.
      { name: 'batch-job', tokens: ['t-slow'], grants: [{ queues: '*', roles: ['produce'] }], rate: { callsPerSecond: 0.5, burst: 3 } },
      { name: 'api', tokens: ['t-fast'], grants: [{ queues: '*', roles: ['produce'] }] },
    ]);
    redis = await startPlainRedis();
    server = await startTestServer(redis.config, { authTokensFile: tokensFile });
    limited = clientWith(server.baton.grpcAddress, { token: 't-slow' });
    unlimited = clientWith(server.baton.grpcAddress, { token: 't-fast' });
  });
  after(async () => {
    limited.close();
    unlimited.close();
    await server.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses calls past the burst with RESOURCE_EXHAUSTED and when to retry, storing nothing; others are unaffected', async () => {
    const queue = uniqueQueue('rate');
    for (const id of ['a', 'b', 'c']) await limited.submitTask({ queue, task_id: id });
    const refused = await limited.submitTask({ queue, task_id: 'd' }).then(
      () => assert.fail('the fourth call was accepted'),
      (error: unknown) => error as grpc.ServiceError,
    );
    assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED, refused.details);
    assert.match(refused.details, /principal "batch-job" is over its rate limit of 0\.5 calls\/s \(burst 3\); retry in \d+ ms/);
    const retryAfterMs = Number(refused.metadata.get('retry-after-ms')[0]);
    assert.ok(retryAfterMs > 0 && retryAfterMs <= 2_000, `retry-after-ms ${retryAfterMs}`);

    await rejectsWith(unlimited.getTask({ queue, task_id: 'd' }), grpc.status.NOT_FOUND);
    for (let i = 0; i < 10; i++) await unlimited.submitTask({ queue, task_id: `fast-${i}` });

    await sleep(retryAfterMs + 100);
    assert.equal((await limited.submitTask({ queue, task_id: 'd' })).task?.id, 'd', 'accepted once the bucket refilled');
  });
});

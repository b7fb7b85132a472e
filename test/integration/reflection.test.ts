import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { writeTokensFile } from '../support/auth.js';
import { startTestServer } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { listServices } from '../support/reflection.js';

/** Asserts that listing services fails with `code`, its message matching `message`. */
async function refused(call: Promise<unknown>, code: grpc.status, message: RegExp): Promise<void> {
  await assert.rejects(call, (error: grpc.ServiceError) => {
    assert.equal(error.code, code, `expected ${grpc.status[code]}, got ${grpc.status[error.code]}: ${error.details}`);
    assert.match(error.details, message);
    return true;
  });
}

describe('server reflection follows the documented access policy', () => {
  let dir = '';
  let redis: TestRedis;
  let withAuth: TestServer;
  let off: TestServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-reflection-'));
    const tokensFile = join(dir, 'tokens.json');
    writeTokensFile(tokensFile, [
      { name: 'billing-api', tokens: ['t-produce'], grants: [{ queues: 'billing-*', roles: ['produce', 'watch'] }] },
      { name: 'billing-ops', tokens: ['t-billing-admin'], grants: [{ queues: 'billing-*', roles: ['admin'] }] },
    ]);
    redis = await startPlainRedis();
    withAuth = await startTestServer(redis.config, { authTokensFile: tokensFile, reflection: true });
    off = await startTestServer(redis.config, { authTokensFile: tokensFile, reflection: false });
  });
  after(async () => {
    await withAuth.stop();
    await off.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with tokens checked, serves reflection to an admin of any queue and refuses everyone else', async () => {
    const address = withAuth.baton.grpcAddress;
    await refused(listServices(address), grpc.status.UNAUTHENTICATED, /missing bearer token/);
    await refused(listServices(address, 't-produce'), grpc.status.PERMISSION_DENIED, /principal "billing-api" holds the admin role on no queue/);
    const names = await listServices(address, 't-billing-admin');
    assert.ok(names.includes('baton.v1.QueueService'), names.join(', '));
  });

  it('turned off (as the Helm chart does), is not served at all, even to an admin', async () => {
    await refused(listServices(off.baton.grpcAddress, 't-billing-admin'), grpc.status.UNIMPLEMENTED, /ServerReflectionInfo|not implemented|unimplemented/i);
  });
});

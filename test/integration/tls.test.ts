import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { BatonClient } from '../../clients/typescript/src/client.js';
import type { ConnectionOptions } from '../../clients/typescript/src/connection.js';
import { HealthClient } from '../../clients/typescript/src/contract.js';
import { hashToken } from '../../src/auth/principals.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { rejectsWith } from '../support/api.js';
import { clientWith, writeTokensFile } from '../support/auth.js';
import { eventually, startTestServer } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { cli } from '../support/cli.js';
import { makeCa, makeCert, makeServerCert } from '../support/tls.js';
import type { CertFiles } from '../support/tls.js';

/** localhost:<port>: the name the server certificate is for. */
const byName = (address: string): string => `localhost:${address.slice(address.lastIndexOf(':') + 1)}`;

describe('gRPC over TLS', () => {
  let dir = '';
  let ca: CertFiles;
  let redis: TestRedis | undefined;
  /** TLS with bearer tokens. */
  let tls: TestServer | undefined;
  /** mTLS: client certificates signed by the CA, and a principal for one of them. */
  let mtls: TestServer | undefined;
  let serverFiles: CertFiles;
  const clients: BatonClient[] = [];
  const connect = (server: TestServer | undefined, connection: ConnectionOptions): BatonClient => {
    const client = clientWith(byName(server?.baton.grpcAddress ?? ''), connection);
    clients.push(client);
    return client;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-tls-'));
    ca = makeCa(dir, 'ca');
    // The server reads copies, so the reload test can replace them.
    const issued = makeServerCert(dir, ca);
    serverFiles = { cert: join(dir, 'live.pem'), key: join(dir, 'live.key') };
    copyFileSync(issued.cert, serverFiles.cert);
    copyFileSync(issued.key, serverFiles.key);
    const tokensFile = join(dir, 'tokens.json');
    writeTokensFile(tokensFile, [
      { name: 'producer', tokens: ['t-produce'], grants: [{ queues: 'jobs', roles: ['produce', 'watch'] }] },
      { name: 'worker.example', certificate: true, grants: [{ queues: 'jobs', roles: ['work', 'watch'] }] },
    ]);
    redis = await startPlainRedis();
    tls = await startTestServer(
      redis.config,
      { authTokensFile: tokensFile, tls: { certFile: serverFiles.cert, keyFile: serverFiles.key } },
      { reloadPollMs: 100 },
    );
    const mtlsServer = makeServerCert(dir, ca, 'mtls-server');
    mtls = await startTestServer(redis.config, {
      authTokensFile: tokensFile,
      tls: { certFile: mtlsServer.cert, keyFile: mtlsServer.key, clientCaFile: ca.cert },
      healthAddress: '127.0.0.1:0',
    });
  });
  after(async () => {
    for (const client of clients) client.close();
    await tls?.stop();
    await mtls?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the SDK with a token over TLS, and a plaintext client not at all', async () => {
    const { task } = await connect(tls, { token: 't-produce', tls: { ca: ca.cert } }).submitTask({ queue: 'jobs' });
    assert.equal(task?.state, 'TASK_STATE_PENDING');
    await rejectsWith(connect(tls, { token: 't-produce' }).getQueue({ queue: 'jobs' }, { timeoutMs: 2_000 }), grpc.status.UNAVAILABLE);
  });

  it('serves the CLI with --tls-ca and BATON_TOKEN', async () => {
    const server = byName(tls?.baton.grpcAddress ?? '');
    const submitted = await cli(['submit', 'jobs', 'hello', '--json', '--server', server, '--tls-ca', ca.cert], { env: { BATON_TOKEN: 't-produce' } });
    assert.equal(submitted.code, 0, submitted.stderr);
    const stats = await cli(['stats', 'jobs', '--server', server], { env: { BATON_TOKEN: 't-produce', BATON_TLS_CA: ca.cert } });
    assert.equal(stats.code, 0, stats.stderr);
    const denied = await cli(['claim', 'jobs', '--server', server, '--tls-ca', ca.cert], { env: { BATON_TOKEN: 't-produce' } });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /PERMISSION_DENIED: principal "producer" lacks the work role on queue "jobs"/);
  });

  it('prints the hash of a token read from stdin (baton token-hash)', async () => {
    const result = await cli(['token-hash'], { stdin: Buffer.from('t-produce\n') });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), hashToken('t-produce'));
  });

  it('with a client CA, takes a client certificate as the principal it names', async () => {
    const client = makeCert(dir, ca, 'client', 'worker.example', ['DNS:worker.example']);
    const worker = connect(mtls, { tls: { ca: ca.cert, cert: client.cert, key: client.key } });
    const { tasks } = await worker.claimTasks({ queues: ['jobs'], worker_id: 'w1', max_tasks: 1 });
    assert.equal(tasks.length, 1);
    const stranger = makeCert(dir, ca, 'stranger', 'stranger', ['DNS:stranger']);
    await rejectsWith(
      connect(mtls, { tls: { ca: ca.cert, cert: stranger.cert, key: stranger.key } }).getQueue({ queue: 'jobs' }),
      grpc.status.UNAUTHENTICATED,
      /no principal for the client certificate \(stranger\)/,
    );
  });

  it('with a client CA, refuses a client without a certificate at the handshake', async () => {
    await rejectsWith(connect(mtls, { token: 't-produce', tls: { ca: ca.cert } }).getQueue({ queue: 'jobs' }, { timeoutMs: 2_000 }), grpc.status.UNAVAILABLE);
  });

  it('answers health checks over TLS without a token', async () => {
    const health = new HealthClient(byName(tls?.baton.grpcAddress ?? ''), grpc.credentials.createSsl(readFileSync(ca.cert)));
    try {
      const status = await new Promise<string>((resolve, reject) => {
        health.check({ service: '' }, (error, response) => {
          if (error) reject(error);
          else resolve(response.status);
        });
      });
      assert.equal(status, 'SERVING');
    } finally {
      health.close();
    }
  });

  it('answers plaintext health checks on --health-addr (for probes) with mTLS on, and nothing else there', async () => {
    const address = mtls?.baton.healthAddress;
    assert.ok(address);
    const health = new HealthClient(address, grpc.credentials.createInsecure());
    const plain = clientWith(address, {});
    clients.push(plain);
    try {
      const status = await new Promise<string>((resolve, reject) => {
        health.check({ service: 'baton.v1.TaskService' }, (error, response) => {
          if (error) reject(error);
          else resolve(response.status);
        });
      });
      assert.equal(status, 'SERVING');
      await rejectsWith(plain.getQueue({ queue: 'jobs' }, { retry: false }), grpc.status.UNIMPLEMENTED);
    } finally {
      health.close();
    }
  });

  it('takes a renewed certificate for new connections without a restart', async () => {
    const ca2 = makeCa(dir, 'ca2');
    const renewed = makeServerCert(dir, ca2, 'renewed');
    copyFileSync(renewed.key, serverFiles.key);
    copyFileSync(renewed.cert, serverFiles.cert);
    await eventually(async () => {
      const client = connect(tls, { token: 't-produce', tls: { ca: ca2.cert } });
      return (await client.getQueue({ queue: 'jobs' }, { timeoutMs: 1_000, retry: false }).catch(() => undefined)) ? true : undefined;
    });
    await rejectsWith(connect(tls, { token: 't-produce', tls: { ca: ca.cert } }).getQueue({ queue: 'jobs' }, { timeoutMs: 2_000 }), grpc.status.UNAVAILABLE);
  });
});

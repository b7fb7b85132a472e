import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BatonClient } from '../../clients/typescript/src/client.js';
import { freePort, startRedisServer } from '../../tools/redis/local.js';
import { eventually } from '../support/baton.js';
import { makeCa, makeServerCert } from '../support/tls.js';

describe('Redis over TLS', () => {
  it('runs against a redis-server that only speaks TLS, trusting its CA through NODE_EXTRA_CA_CERTS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-redis-tls-'));
    const ca = makeCa(dir, 'ca');
    const cert = makeServerCert(dir, ca);
    const tlsPort = await freePort();
    // Plain port 0: nothing but TLS is served, so a plaintext connection could not pass by mistake.
    const redis = await startRedisServer(dir, await freePort(), [
      '--port', '0', '--tls-port', String(tlsPort), '--tls-cert-file', cert.cert, '--tls-key-file', cert.key,
      '--tls-ca-cert-file', ca.cert, '--tls-auth-clients', 'no',
    ]);
    const grpcPort = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'src', 'main.ts')], {
      env: {
        PATH: process.env.PATH,
        NODE_EXTRA_CA_CERTS: ca.cert,
        BATON_REDIS_URL: `rediss://localhost:${tlsPort}`,
        BATON_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
        BATON_METRICS_ADDR: 'off',
        BATON_DASHBOARD_ADDR: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const client = new BatonClient(`127.0.0.1:${grpcPort}`, { env: {} });
    try {
      await eventually(() => Promise.resolve(output.includes('baton serving') || child.exitCode !== null || undefined), 20_000);
      assert.ok(output.includes('baton serving'), output);
      const { task } = await client.submitTask({ queue: 'over-tls', payload: 'x' });
      assert.ok(task);
      const { task: read } = await client.getTask({ queue: 'over-tls', task_id: task.id });
      assert.equal(read?.state, 'TASK_STATE_PENDING');
    } finally {
      client.close();
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

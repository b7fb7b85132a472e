import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, it } from 'node:test';
import { PROTO_LOADER_OPTIONS, protoDir } from '../../src/transport/grpc/protos.js';
import { duration, rejectsWith, submit } from '../support/api.js';
import { eventually, startTestServer, uniqueQueue, useTestServer } from '../support/baton.js';
import { listServices } from '../support/reflection.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';

/** A health client built from the .proto file on disk, as a generic gRPC tool would. */
interface HealthCheckClient {
  Check(request: { service: string }, callback: (error: grpc.ServiceError | null, response?: { status: string }) => void): void;
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
  close(): void;
}

function healthClient(address: string): HealthCheckClient {
  const definition = protoLoader.loadSync('grpc/health/v1/health.proto', { ...PROTO_LOADER_OPTIONS, includeDirs: [protoDir()] });
  const Health = (grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } }).grpc.health.v1.Health;
  return new Health(address, grpc.credentials.createInsecure()) as unknown as HealthCheckClient;
}

function check(address: string, service: string): Promise<string> {
  const client = healthClient(address);
  return new Promise((resolve, reject) => {
    client.Check({ service }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response?.status ?? '');
    });
  });
}

describe('the server process', () => {
  const setup = useTestServer();

  it('reports SERVING on grpc.health.v1 for the server and each Baton service', async () => {
    assert.equal(await check(setup.server.baton.grpcAddress, ''), 'SERVING');
    assert.equal(await check(setup.server.baton.grpcAddress, 'baton.v1.WorkerService'), 'SERVING');
    await rejectsWith(check(setup.server.baton.grpcAddress, 'no.such.Service'), grpc.status.NOT_FOUND);
  });

  it('lists its services through server reflection', async () => {
    const names = await listServices(setup.server.baton.grpcAddress);
    assert.ok(names.includes('baton.v1.TaskService'));
    assert.ok(names.includes('baton.v1.WorkerService'));
  });
});

describe('graceful shutdown', () => {
  it('ends waiting claims at once with an empty result, so workers reconnect elsewhere', async () => {
    const redis = await startPlainRedis();
    const server = await startTestServer(redis.config);
    try {
      const queue = uniqueQueue('drain');
      const waiting = server.client.claimTasks({ queues: [queue], worker_id: 'w', wait_timeout: duration(30_000) });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      const stopping = server.baton.stop();
      const response = await waiting;
      assert.equal(response.tasks.length, 0);
      assert.ok(Date.now() - started < 1_000, 'the long poll ended at once, not at its timeout');
      await stopping;
    } finally {
      server.client.close();
      await redis.stop();
    }
  });
});

describe('health Watch on graceful shutdown', () => {
  it('tells each watcher NOT_SERVING, then ends its stream OK without holding the drain', async () => {
    const redis = await startPlainRedis();
    const server = await startTestServer(redis.config, { shutdownGraceMs: 10_000 });
    const client = healthClient(server.baton.grpcAddress);
    try {
      const heard: string[] = [];
      const watch = client.Watch({ service: 'baton.v1.TaskService' });
      const ended = new Promise<grpc.StatusObject>((resolve) => watch.on('status', resolve));
      watch.on('data', (response: { status: string }) => heard.push(response.status));
      await eventually(() => Promise.resolve(heard.length > 0 ? true : undefined));
      const started = Date.now();
      await server.stop();
      const status = await ended;
      assert.equal(status.code, grpc.status.OK);
      assert.deepEqual(heard, ['SERVING', 'NOT_SERVING']);
      assert.ok(Date.now() - started < 5_000, 'the drain did not wait for the grace period');
    } finally {
      client.close();
      await redis.stop();
    }
  });
});

describe('when Redis is unreachable', () => {
  it('calls fail with UNAVAILABLE instead of hanging, and work resumes when Redis is back', async () => {
    const redis = await startPlainRedis();
    const server = await startTestServer(redis.config);
    try {
      const queue = uniqueQueue('outage');
      await submit(server.client, { queue });
      const node = redis.masters[0];
      assert.ok(node);
      node.process.kill('SIGSTOP');
      const started = Date.now();
      await rejectsWith(server.client.submitTask({ queue }, { timeoutMs: 15_000 }), grpc.status.UNAVAILABLE, /Redis/);
      assert.ok(Date.now() - started < 5_000, 'the command timeout bounds the call');
      node.process.kill('SIGCONT');
      const after = await submit(server.client, { queue });
      assert.equal(after.state, 'TASK_STATE_PENDING');
    } finally {
      await server.stop();
      await redis.stop();
    }
  });
});

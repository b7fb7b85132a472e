import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, it } from 'node:test';
import { PROTO_LOADER_OPTIONS, protoDir } from '../../src/grpc/protos.js';
import type { ProtoGrpcType as HealthProto } from '../../src/grpc/generated/health.js';
import { duration, rejectsWith, submit } from '../support/api.js';
import { startTestServer, uniqueQueue, useTestServer } from '../support/baton.js';
import { startPlainRedis } from '../support/redis.js';

function healthClient(address: string): InstanceType<HealthProto['grpc']['health']['v1']['Health']> {
  const definition = protoLoader.loadSync('grpc/health/v1/health.proto', { ...PROTO_LOADER_OPTIONS, includeDirs: [protoDir()] });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as HealthProto;
  return new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
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
    const definition = protoLoader.loadSync('grpc/reflection/v1alpha/reflection.proto', {
      ...PROTO_LOADER_OPTIONS,
      includeDirs: [`${require.resolve('@grpc/reflection/package.json').replace(/package\.json$/, '')}build/proto`],
    });
    const reflection = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { reflection: { v1alpha: { ServerReflection: grpc.ServiceClientConstructor } } };
    };
    const client = new reflection.grpc.reflection.v1alpha.ServerReflection(
      setup.server.baton.grpcAddress,
      grpc.credentials.createInsecure(),
    );
    const names = await new Promise<string[]>((resolve, reject) => {
      const stream = (client as unknown as { ServerReflectionInfo: () => grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }> }).ServerReflectionInfo();
      stream.on('data', (response: { list_services_response?: { service: { name: string }[] } }) => {
        resolve(response.list_services_response?.service.map((s) => s.name) ?? []);
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
    client.close();
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

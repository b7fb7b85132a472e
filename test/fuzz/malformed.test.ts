import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { describe, it } from 'node:test';
import { HealthService, QueueServiceService, ScheduleServiceService, TaskServiceService, WorkerServiceService } from '../../src/transport/grpc/contract.js';
import { RequestBounds } from '../../src/transport/grpc/requestBounds.js';
import { protoDefinition } from '../../src/transport/grpc/protos.js';
import { useTestServer } from '../support/baton.js';
import { rawClient } from '../support/rawGrpc.js';
import type { RawMethod, RawStatus } from '../support/rawGrpc.js';
import { KINDS, malformed, Rng } from './generate.js';
import type { Kind } from './generate.js';

/** The default keeps `npm test` near half a minute on a small machine; BATON_FUZZ_COUNT=100000 for the full run. */
const COUNT = Number(process.env.BATON_FUZZ_COUNT ?? 15_000);
const SEED = Number(process.env.BATON_FUZZ_SEED ?? 20);
const IN_FLIGHT = 64;
/** A request that turns out valid may open a stream that would never end by itself. */
const DEADLINE_MS = 300;
const BATCH = 500;

interface Target extends RawMethod {
  requestType: string;
}

function targets(): Target[] {
  const services: [string, Record<string, { path: string; requestStream: boolean; responseStream: boolean }>][] = [
    ['baton.v1', TaskServiceService],
    ['baton.v1', WorkerServiceService],
    ['baton.v1', QueueServiceService],
    ['baton.v1', ScheduleServiceService],
    ['grpc.health.v1', HealthService],
  ];
  return services.flatMap(([pkg, service]) =>
    Object.values(service).map(({ path, requestStream, responseStream }) => ({
      path,
      requestStream,
      responseStream,
      requestType: pkg === 'grpc.health.v1' ? 'grpc.health.v1.HealthCheckRequest' : `${pkg}.${path.slice(path.lastIndexOf('/') + 1)}Request`,
    })),
  );
}

/** Every key of the keyspace with a hash of its DUMP: equal snapshots mean nothing was written. */
async function snapshot(redis: Redis): Promise<Map<string, string>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const dumps = await Promise.all(keys.map((key) => redis.dumpBuffer(key)));
  return new Map(keys.map((key, i) => [key, createHash('sha256').update(dumps[i] ?? 'gone').digest('hex')]));
}

describe('fuzz: malformed requests over every RPC', () => {
  // Maintenance idle for the run, so any write to Redis is a request's.
  const setup = useTestServer(undefined, {}, { maintenanceTickMs: 3_600_000 });

  it(`answers ${COUNT} generated malformed requests with 0 crashes, 0 INTERNAL, and no change to Redis from refused ones`, async () => {
    const all = targets();
    assert.ok(all.length >= 30, `${all.length} methods`);
    const bounds = new RequestBounds(1_048_576, protoDefinition());
    const plans = new Map(all.map((t) => [t.path, bounds.planFor(t.requestType)]));
    const client = rawClient(setup.server.baton.grpcAddress, all);
    const node = setup.redis.config.clusterNodes?.[0];
    const redis = new Redis(node ? { host: node.host, port: node.port } : { path: '' });
    const rng = new Rng(SEED);
    const codes = new Map<string, number>();
    const bad: string[] = [];
    let checkedBatches = 0;
    let refusedRequests = 0;
    const started = Date.now();
    try {
      for (let done = 0; done < COUNT; ) {
        const size = Math.min(BATCH, COUNT - done);
        const cases = Array.from({ length: size }, (_, i) => {
          const target = all[(done + i) % all.length] as Target;
          const kind: Kind = rng.pick(KINDS);
          return { target, kind, bytes: malformed(rng, plans.get(target.path) ?? bounds.planFor(target.requestType), kind) };
        });
        const before = await snapshot(redis);
        // A pool rather than lockstep rounds: a call that waits out its deadline holds up only its own slot.
        const statuses: RawStatus[] = new Array<RawStatus>(cases.length);
        let next = 0;
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            for (let i = next++; i < cases.length; i = next++) {
              const c = cases[i];
              if (c) statuses[i] = await client.invoke(c.target.path, c.bytes, DEADLINE_MS);
            }
          }),
        );
        statuses.forEach((status, i) => {
          const name = (grpc.status[status.code] as string | undefined) ?? String(status.code);
          codes.set(name, (codes.get(name) ?? 0) + 1);
          const c = cases[i];
          if ((status.code === grpc.status.INTERNAL || status.code === grpc.status.UNKNOWN) && c) {
            bad.push(`${c.target.path} ${c.kind} ${c.bytes.toString('hex').slice(0, 200)}: ${name} ${status.details}`);
          }
        });
        const allRefused = statuses.every((s) => s.code !== grpc.status.OK && s.code !== grpc.status.DEADLINE_EXCEEDED && s.code !== grpc.status.CANCELLED);
        if (allRefused) {
          assert.deepEqual(await snapshot(redis), before, `batch ${done}-${done + size}: a refused request changed Redis`);
          checkedBatches++;
        } else {
          // Some requests of the batch were valid; check the refused ones on their own.
          const refused = cases.filter((_, i) => statuses[i]?.code === grpc.status.INVALID_ARGUMENT);
          const again = await snapshot(redis);
          for (const c of refused) await client.invoke(c.target.path, c.bytes, DEADLINE_MS);
          assert.deepEqual(await snapshot(redis), again, `batch ${done}: a request refused as INVALID_ARGUMENT changed Redis`);
          checkedBatches++;
        }
        refusedRequests += statuses.filter((s) => s.code === grpc.status.INVALID_ARGUMENT).length;
        done += size;
      }
      const health = await setup.client.getQueue({ queue: 'still-up' }).then(() => 'ok', (error: unknown) => grpc.status[(error as grpc.ServiceError).code]);
      console.log(
        `fuzz: ${COUNT} requests over ${all.length} methods in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${SEED}); ` +
          `${refusedRequests} INVALID_ARGUMENT; ${checkedBatches} batches with Redis unchanged; codes ${JSON.stringify(Object.fromEntries(codes))}; server afterwards: ${health}`,
      );
      assert.deepEqual(bad.slice(0, 10), [], `${bad.length} requests answered INTERNAL or UNKNOWN`);
      assert.notEqual(health, 'UNAVAILABLE');
    } finally {
      client.close();
      redis.disconnect();
    }
  });
});

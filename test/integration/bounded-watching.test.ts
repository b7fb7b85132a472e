import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { BatonClient } from '../../clients/typescript/src/client.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { clientWith, writeTokensFile } from '../support/auth.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { batonConnections, mib, startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { watch } from '../support/watch.js';
import type { Watch } from '../support/watch.js';

const WATCHES = 5_000;
/** Streams per client connection: under the server's limit per connection (CONNECTION_STREAMS_MAX). */
const WATCHES_PER_CONNECTION = 1_000;
/** A command connection and a subscriber per server, per node, and a little room. */
const CONNECTIONS_MAX = 2 * 1 + 2;
const RSS_MAX = 400 * 1024 * 1024;
const SUBMIT_P50_MAX_MS = 100;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Infinity;
}

describe('bounded watching: many watched queues share a few Redis connections', () => {
  let redis: TestRedis;
  let server: ServerProcess;
  const clients: BatonClient[] = [];
  const watches: Watch[] = [];
  const queues = Array.from({ length: WATCHES }, () => uniqueQueue('watched'));

  before(async () => {
    redis = await startRedisCluster();
    server = await startServerProcess(redis.config);
    for (let i = 0; i < WATCHES / WATCHES_PER_CONNECTION; i++) {
      // A subchannel pool of its own: each client is its own HTTP/2 connection.
      clients.push(new BatonClient(server.grpcAddress, {}, { 'grpc.use_local_subchannel_pool': 1 }));
    }
    queues.forEach((queue, i) => watches.push(watch(clients[Math.floor(i / WATCHES_PER_CONNECTION)] as BatonClient, { queue })));
  });

  after(async () => {
    for (const w of watches) w.cancel();
    for (const client of clients) client.close();
    await server.stop();
    await redis.stop();
  });

  it(`holds ${WATCHES} WatchTasks on as many queues that do not exist with a few connections, and each still gets its events`, async () => {
    const submitter = new BatonClient(server.grpcAddress);
    try {
      // Every watch is live once a task submitted after it was opened reaches it; the last ones opened are checked.
      const probed = [0, WATCHES / 2, WATCHES - 1];
      const rssBefore = server.rss();
      const started = Date.now();
      // The server may still be opening the watches: the first submit waits its turn.
      for (const i of probed) await submitter.submitTask({ queue: queues[i] ?? '' }, { timeoutMs: 120_000 });
      for (const i of probed) await watches[i]?.until(1, 30_000);
      for (const w of watches) assert.equal(w.error, undefined, w.error?.message);
      const rss = server.rss();
      const connections = await batonConnections(redis.masters[0]?.client ?? assert.fail());
      console.log(`${WATCHES} watches open and probed in ${Date.now() - started} ms: ${connections} Redis connections from the server, RSS ${mib(rss)} (${mib(rssBefore)} before the probes)`);
      assert.ok(connections <= CONNECTIONS_MAX, `${connections} Redis connections for ${WATCHES} watched queues`);
      assert.ok(rss < RSS_MAX, `server RSS ${mib(rss)}`);
    } finally {
      submitter.close();
    }
  });

  it('keeps a plain SubmitTask fast while they watch', async () => {
    const submitter = new BatonClient(server.grpcAddress);
    try {
      const queue = uniqueQueue('plain');
      const times: number[] = [];
      for (let i = 0; i < 40; i++) {
        const started = performance.now();
        await submitter.submitTask({ queue });
        times.push(performance.now() - started);
      }
      console.log(`SubmitTask p50 ${median(times).toFixed(1)} ms with ${WATCHES} watches open`);
      assert.ok(median(times) < SUBMIT_P50_MAX_MS, `SubmitTask p50 ${median(times).toFixed(1)} ms`);
    } finally {
      submitter.close();
    }
  });

  it('lets a watcher resume from its cursor without losing an event, while the others watch', async () => {
    const queue = queues[1] ?? '';
    const first = watches[1] ?? assert.fail();
    const submitter = new BatonClient(server.grpcAddress);
    try {
      await submitter.submitTask({ queue, task_id: 'a' });
      const [seen] = await first.until(1, 30_000);
      first.cancel();
      await submitter.submitTask({ queue, task_id: 'b' });
      await submitter.submitTask({ queue, task_id: 'c' });
      const resumed = watch(clients[0] ?? assert.fail(), { queue, cursor: seen?.cursor ?? '' });
      const events = await resumed.until(2, 30_000);
      resumed.cancel();
      assert.deepEqual(events.map((e) => e.task?.id), ['b', 'c']);
    } finally {
      submitter.close();
    }
  });
});

describe('a limit on the watch streams one principal holds open', () => {
  const LIMIT = 3;
  let dir = '';
  let redis: TestRedis;
  let server: TestServer;
  const clients: BatonClient[] = [];
  const as = (token: string): BatonClient => {
    const client = clientWith(server.baton.grpcAddress, { token });
    clients.push(client);
    return client;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-watch-limit-'));
    const tokensFile = join(dir, 'tokens.json');
    writeTokensFile(tokensFile, [
      { name: 'dashboard', tokens: ['t-dash'], grants: [{ queues: '*', roles: ['watch', 'produce'] }] },
      { name: 'other', tokens: ['t-other'], grants: [{ queues: '*', roles: ['watch'] }] },
    ]);
    redis = await startRedisCluster();
    server = await startTestServer(redis.config, { authTokensFile: tokensFile }, { watchesPerPrincipalMax: LIMIT });
  });

  after(async () => {
    for (const client of clients) client.close();
    await server.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses one more with RESOURCE_EXHAUSTED over all its connections, others unaffected, and frees a slot when one closes', async () => {
    const queue = uniqueQueue('limited');
    // From separate clients: the limit is the principal's, over all its calls.
    const open = [watch(as('t-dash'), { queue }), watch(as('t-dash'), { queue }), watch(as('t-dash'), { queue })];
    await as('t-dash').submitTask({ queue, task_id: 'seen' });
    for (const w of open) await w.until(1);

    const refused = watch(as('t-dash'), { queue });
    await refused.ended;
    assert.equal(refused.error?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(refused.error.details, /principal "dashboard" has 3 WatchTasks streams open on this server/);

    const other = watch(as('t-other'), { queue: uniqueQueue('other') });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(other.error, undefined, 'another principal watches');
    other.cancel();

    open[0]?.cancel();
    const again = await eventually(async () => {
      const next = watch(as('t-dash'), { queue, start: 'WATCH_START_OLDEST' });
      await Promise.race([next.until(1), next.ended]);
      if (next.error) return undefined;
      return next;
    }, 10_000, 100);
    assert.equal(again.events[0]?.task?.id, 'seen');
    again.cancel();
    for (const w of open) w.cancel();
  });
});

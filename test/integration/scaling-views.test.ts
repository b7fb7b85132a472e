import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import { uniqueQueue, useTestServer } from '../support/baton.js';
import { callsBetween, commandCalls } from '../support/serverProcess.js';

const WORKERS = 2_000;
const WORKER_QUEUES = 50;
const QUEUES = 2_000;
const PAGE = 100;
const REGISTER_P50_MAX_MS = 100;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Infinity;
}

describe('the registry and operator views scale with what they show, not with everything stored', () => {
  // Three masters: calls over many queues go to every node. Maintenance makes its first pass at start and then
  // stays quiet, so the commands counted below are the calls' own.
  const setup = useTestServer(() => startRedisCluster(3), {}, { maintenanceTickMs: 3_600_000 });
  const calls = async (): Promise<Map<string, number>> => {
    const total = new Map<string, number>();
    for (const node of setup.redis.masters) {
      for (const [name, count] of await commandCalls(node.client)) total.set(name, (total.get(name) ?? 0) + count);
    }
    return total;
  };
  const workerQueues = Array.from({ length: WORKER_QUEUES }, () => uniqueQueue('served'));

  it(`keeps RegisterWorker fast and reads no whole registry with ${WORKERS} workers`, async () => {
    for (let i = 0; i < WORKERS; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          setup.client.registerWorker({ worker_id: `w${i + j}`, hostname: 'h', queues: [workerQueues[(i + j) % WORKER_QUEUES] ?? ''] }),
        ),
      );
    }
    const before = await calls();
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      const { worker } = await setup.client.registerWorker({ worker_id: `w${i}`, queues: [workerQueues[i % WORKER_QUEUES] ?? ''] });
      times.push(performance.now() - started);
      assert.equal(worker?.worker_id, `w${i}`);
    }
    const after = await calls();
    console.log(`RegisterWorker p50 ${median(times).toFixed(1)} ms with ${WORKERS} workers`);
    assert.ok(median(times) < REGISTER_P50_MAX_MS, `RegisterWorker p50 ${median(times).toFixed(1)} ms`);
    assert.equal(callsBetween(before, after, ['hgetall', 'zrange']), 0, 'no call reads the whole registry');
    assert.ok(callsBetween(before, after) <= 30 * 12, `${callsBetween(before, after)} commands for 30 registrations`);
    assert.equal((await setup.client.getWorker({ worker_id: 'w7' })).worker?.hostname, 'h');
  });

  it('pages ListWorkers: bounded pages that together hold every worker once', async () => {
    const seen = new Set<string>();
    let token = '';
    let pages = 0;
    do {
      const page = await setup.client.listWorkers({ include_lost: true, page_size: PAGE, page_token: token });
      assert.ok(page.workers.length <= PAGE, `a page of ${page.workers.length}`);
      for (const worker of page.workers) seen.add(worker.worker_id);
      token = page.next_page_token;
      pages += 1;
      assert.ok(pages <= WORKERS / PAGE + 1, 'the pages end');
    } while (token !== '');
    assert.equal(seen.size, WORKERS);
    const first = await setup.client.listWorkers({});
    assert.equal(first.workers.length, 100, 'the default page size');
    await assert.rejects(setup.client.listWorkers({ page_token: first.next_page_token, queue: workerQueues[0] ?? '' }), /page_token: belongs to a different queue/);
    await assert.rejects(setup.client.listWorkers({ page_token: 'eyJ3IjoxMDB9' }), /page_token: is not a token returned by this method/);
  });

  it(`lists active tasks over ${QUEUES} queues running scripts only where leases are held`, async () => {
    const queues = Array.from({ length: QUEUES }, () => uniqueQueue('many'));
    for (let i = 0; i < QUEUES; i += 200) {
      await Promise.all(queues.slice(i, i + 200).map((queue) => setup.client.submitTask({ queue })));
    }
    const held = [queues[3] ?? '', queues[QUEUES - 1] ?? ''];
    for (const queue of held) await setup.client.claimTasks({ queues: [queue], worker_id: 'holder' });
    const before = await calls();
    const { workers } = await setup.client.listActiveTasks({});
    const after = await calls();
    const scripts = callsBetween(before, after, ['evalsha', 'eval']);
    const commands = callsBetween(before, after);
    const known = QUEUES + WORKER_QUEUES + 1;
    console.log(`ListActiveTasks over ${known} queues: ${scripts} scripts, ${commands} commands`);
    assert.deepEqual(workers.find((w) => w.worker_id === 'holder')?.tasks.map((t) => t.queue).sort(), [...held].sort());
    // The listing script of each queue holding leases, and no other.
    assert.equal(scripts, held.length, `${scripts} scripts`);
    // One count per queue (pipelined per node), the list of queues, and the scripts' own commands.
    assert.ok(commands <= known + 3 + 10 * held.length, `${commands} commands`);

    const pageBefore = await calls();
    const page = await setup.client.listQueues({ page_size: PAGE });
    const pageScripts = callsBetween(pageBefore, await calls(), ['evalsha', 'eval']);
    assert.equal(page.queues.length, PAGE);
    // The page's scripts, pipelined per node.
    assert.ok(pageScripts <= PAGE, `${pageScripts} scripts for a page of ${PAGE} queues`);
  });
});

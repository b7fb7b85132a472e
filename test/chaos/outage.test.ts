/**
 * Every Redis node down for seconds, then back, three times over, under one Baton process (built, as in the other
 * chaos tests): ioredis's cluster subscriber and Baton's own listeners must not pile up across outages
 * (MaxListenersExceededWarning on stderr), and the process's memory must come back close to where it was.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { BatonClient } from '../../clients/typescript/src/client.js';
import { BatonReplica } from './baton.js';
import { ChaosCluster } from './cluster.js';

const OUTAGES = 3;
const OUTAGE_MS = 4_000;
/** Room for the heap's own swings (a GC that has not run yet); a leak per outage shows well above it. */
const RSS_SLACK_BYTES = 40 * 1024 * 1024;

/** The process's resident memory, as its /metrics says. */
async function residentBytes(baton: BatonReplica): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${baton.metricsPort}/metrics`)).text();
  const match = /^process_resident_memory_bytes (\d+)/m.exec(text);
  assert.ok(match, 'the metrics show the resident memory');
  return Number(match[1]);
}

/** Submits, claims and completes a few tasks, retrying while Redis comes back. */
async function work(client: BatonClient, round: number): Promise<void> {
  const until = Date.now() + 30_000;
  for (let i = 0; i < 20; i++) {
    for (;;) {
      try {
        const queue = `outage-q${i % 4}`;
        await client.submitTask({ queue, task_id: `r${round}-t${i}` }, { timeoutMs: 3_000, retry: false });
        const { tasks } = await client.claimTasks({ queues: [queue], worker_id: 'outage-worker' }, { timeoutMs: 3_000, retry: false });
        for (const { task, lease_token } of tasks) {
          if (task) await client.completeTask({ queue, task_id: task.id, lease_token }, { timeoutMs: 3_000, retry: false });
        }
        break;
      } catch (error) {
        if (Date.now() > until) throw error;
        await sleep(200);
      }
    }
  }
}

describe('chaos: every Redis node down and back, again and again', () => {
  it('leaves no listener warning and no memory behind', async () => {
    const cluster = await ChaosCluster.start();
    const baton = await BatonReplica.start(cluster.seeds);
    const client = new BatonClient(baton.address);
    try {
      await work(client, 0);
      const before = await residentBytes(baton);
      for (let outage = 1; outage <= OUTAGES; outage++) {
        await Promise.all(cluster.nodes.map((node) => cluster.kill(node.port)));
        await sleep(OUTAGE_MS);
        await Promise.all(cluster.nodes.map((node) => cluster.restart(node.port)));
        await cluster.waitOk(30_000);
        await work(client, outage);
      }
      await sleep(2_000);
      const after = await residentBytes(baton);
      process.stdout.write(`  resident memory: ${(before / 2 ** 20).toFixed(0)} MB before, ${(after / 2 ** 20).toFixed(0)} MB after ${OUTAGES} outages\n`);
      assert.equal(baton.log.stderr, 0, `nothing on stderr: ${baton.log.samples.join('\n')}`);
      assert.equal(baton.log.unexpected, 0, 'no call answered INTERNAL');
      assert.ok(after < before + RSS_SLACK_BYTES, `memory came back: ${before} bytes before, ${after} after`);
    } finally {
      client.close();
      await baton.stop('SIGKILL');
      await cluster.stop();
    }
  });
});

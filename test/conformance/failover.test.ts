/** Conformance, a Baton replica killed mid-session: the worker carries on with another, nothing lost or doubled. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { BatonClient, isStatus, status } from '../../clients/typescript/src/index.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { watch } from '../support/watch.js';
import { freePort } from '../../tools/redis/local.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { ROOT, SCENARIO_TIMEOUT, spawnWorker, submitTyped, waitUntil } from './harness.js';
import type { WorkerProcess } from './harness.js';
import { WORKERS } from './workers.js';

/** A Baton server in a process of its own, so that it can be killed outright. */
async function startServerProcess(redisUrl: string): Promise<{ address: string; child: ChildProcess }> {
  const address = `127.0.0.1:${await freePort()}`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/main.ts'), '--grpc-addr', address, '--metrics-addr', 'off', '--dashboard-addr', 'off', '--log-level', 'error'],
    { cwd: ROOT, env: { ...process.env, BATON_REDIS_URL: redisUrl }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new BatonClient(address);
  try {
    await waitUntil(
      `the server at ${address} to serve`,
      async () => {
        if (child.exitCode !== null) throw new Error(`the server exited: ${stderr}`);
        try {
          await client.listTasks({ queue: 'conformance-probe' }, { timeoutMs: 500, retry: false });
          return true;
        } catch (error) {
          if (isStatus(error, status.UNAVAILABLE) || isStatus(error, status.DEADLINE_EXCEEDED)) return undefined;
          throw error;
        }
      },
      20_000,
    );
  } finally {
    client.close();
  }
  return { address, child };
}

for (const worker of WORKERS) {
  describe(`conformance (${worker.language}): failover`, () => {
    let redis: TestRedis;
    let second: TestServer;
    let first: { address: string; child: ChildProcess } | undefined;
    const processes: WorkerProcess[] = [];

    before(async () => {
      await worker.prepare?.();
      redis = await startPlainRedis();
      second = await startTestServer(redis.config);
    });
    afterEach(async () => {
      await Promise.all(processes.splice(0).map((p) => p.stop()));
      if (first && first.child.exitCode === null && first.child.signalCode === null) {
        first.child.kill('SIGKILL');
        await once(first.child, 'exit');
      }
    });
    after(async () => {
      await second.stop();
      await redis.stop();
    });

    it('8. a server killed mid-session: every task SUCCEEDED exactly once, none lost', SCENARIO_TIMEOUT, async () => {
      const url = redis.config.url;
      assert.ok(url);
      first = await startServerProcess(url);
      const queue = uniqueQueue(`conformance-${worker.language}-failover`);
      const events = watch(second.client, { queue, start: 'WATCH_START_OLDEST' });
      try {
        const workerProcess = spawnWorker(worker, {
          BATON_SERVER: `${first.address},${second.baton.grpcAddress}`,
          BATON_QUEUE: queue,
          BATON_CONCURRENCY: '4',
          BATON_LEASE_MS: '2000',
        });
        processes.push(workerProcess);
        await workerProcess.waitForLine('READY', 20_000);
        const ids = await submitTyped(second.client, queue, 'sleep', Array.from({ length: 12 }, () => '700'));
        await workerProcess.waitForLines((line) => line.startsWith('START '), 2);
        first.child.kill('SIGKILL');
        await once(first.child, 'exit');

        const tasks = await waitUntil(
          'every task to finish',
          async () => {
            const all = await Promise.all(ids.map(async (task_id) => (await second.client.getTask({ queue, task_id })).task));
            return all.every((t) => t?.state === 'TASK_STATE_SUCCEEDED' || t?.state === 'TASK_STATE_FAILED' || t?.state === 'TASK_STATE_EXHAUSTED')
              ? all
              : undefined;
          },
          20_000,
        );
        for (const task of tasks) {
          assert.equal(task?.state, 'TASK_STATE_SUCCEEDED', workerProcess.describe());
          assert.equal(task.result.toString('utf8'), 'slept');
        }
        // Completed once each: one succeeded event per task, and no other completion got through.
        const succeededPerTask = (): Map<string, number> => {
          const perTask = new Map<string, number>();
          for (const event of events.events) {
            if (event.type !== 'TASK_EVENT_TYPE_SUCCEEDED' || !event.task) continue;
            perTask.set(event.task.id, (perTask.get(event.task.id) ?? 0) + 1);
          }
          return perTask;
        };
        await waitUntil('a succeeded event for every task', () =>
          Promise.resolve(succeededPerTask().size === ids.length ? true : undefined),
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        const perTask = succeededPerTask();
        assert.deepEqual([...perTask.keys()].sort(), [...ids].sort());
        assert.ok([...perTask.values()].every((n) => n === 1), 'no task completed twice');
      } finally {
        events.cancel();
      }
    });
  });
}

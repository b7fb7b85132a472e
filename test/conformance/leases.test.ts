/** Conformance, leases: kept alive by heartbeats, cancellation through them, a late completion refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationFromMs } from '../../clients/typescript/src/index.js';
import { SCENARIO_TIMEOUT, submitTyped, useConformance, waitUntil } from './harness.js';
import { WORKERS } from './workers.js';

const LEASE_MS = 1_000;

for (const worker of WORKERS) {
  describe(`conformance (${worker.language}): leases`, () => {
    const baton = useConformance(worker);

    it('2. a long task kept alive past several leases: sleep 3x the lease, SUCCEEDED on attempt 1', SCENARIO_TIMEOUT, async () => {
      const queue = baton.queue('long');
      const workerProcess = await baton.startWorker(queue, { BATON_LEASE_MS: String(LEASE_MS) });
      const [id = ''] = await submitTyped(baton.client, queue, 'sleep', [String(3 * LEASE_MS)]);
      const [task] = await baton.finished(queue, [id]);
      assert.equal(task?.state, 'TASK_STATE_SUCCEEDED', workerProcess.describe());
      assert.equal(task.attempt, 1);
      assert.equal(task.result.toString('utf8'), 'slept');
      assert.equal(task.errors.length, 0, 'no lease ran out');
      assert.equal(workerProcess.count(`START ${id}`), 1);
    });

    it('3. cancel reaches a running handler: the worker prints CANCELLED and the task ends CANCELLED', SCENARIO_TIMEOUT, async () => {
      const queue = baton.queue('cancel');
      const workerProcess = await baton.startWorker(queue, { BATON_LEASE_MS: String(LEASE_MS) });
      const [id = ''] = await submitTyped(baton.client, queue, 'wait-cancel', ['']);
      await workerProcess.waitForLine(`START ${id}`);
      const { task: requested } = await baton.client.cancelTask({ queue, task_id: id });
      assert.equal(requested?.cancel_requested, true);
      await workerProcess.waitForLine(`CANCELLED ${id}`, 5_000);
      const [task] = await baton.finished(queue, [id], 5_000);
      assert.equal(task?.state, 'TASK_STATE_CANCELLED');
    });

    it('4. a stale completion is refused, not retried forever, and the worker goes on working', SCENARIO_TIMEOUT, async () => {
      const queue = baton.queue('stale');
      const workerProcess = await baton.startWorker(queue, { BATON_LEASE_MS: String(LEASE_MS), BATON_CONCURRENCY: '1' });
      const [id = ''] = await submitTyped(baton.client, queue, 'sleep', ['300'], { max_attempts: 10 });
      await workerProcess.waitForLine(`START ${id}`);
      // Paused past its lease: the task is taken over by another worker, which completes it.
      workerProcess.signal('SIGSTOP');
      try {
        const other = await waitUntil(
          'another worker to take the task over once the lease ran out',
          async () => {
            try {
              return await baton.client.startTask({
                queue,
                task_id: id,
                worker_id: 'other-worker',
                lease_duration: durationFromMs(60_000),
              });
            } catch {
              return undefined; // LOCKED while a lease holds
            }
          },
          15_000,
        );
        await baton.client.completeTask({ queue, task_id: id, lease_token: other.lease_token, result: 'from the other worker' });
      } finally {
        workerProcess.signal('SIGCONT');
      }
      // The paused worker's late outcome is refused; the task keeps the other worker's result.
      const [next = ''] = await submitTyped(baton.client, queue, 'echo', ['after']);
      const [afterwards] = await baton.finished(queue, [next], 10_000);
      assert.equal(afterwards?.state, 'TASK_STATE_SUCCEEDED', workerProcess.describe());
      assert.equal(afterwards.result.toString('utf8'), 'echo:after');
      const stale = await baton.task(queue, id);
      assert.equal(stale.state, 'TASK_STATE_SUCCEEDED');
      assert.equal(stale.result.toString('utf8'), 'from the other worker');
      assert.ok(workerProcess.running, 'the worker is still running');
    });
  });
}

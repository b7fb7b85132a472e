/** Conformance, graceful shutdown: SIGTERM gives held tasks back at once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SCENARIO_TIMEOUT, submitTyped, useConformance } from './harness.js';
import { WORKERS } from './workers.js';

for (const worker of WORKERS) {
  describe(`conformance (${worker.language}): shutdown`, () => {
    const baton = useConformance(worker);

    it('7. SIGTERM releases held tasks: exit 0, both PENDING at once, no attempt used up', SCENARIO_TIMEOUT, async () => {
      const queue = baton.queue('sigterm');
      // A long lease: a task PENDING afterwards was given back, not requeued when its lease ran out.
      const workerProcess = await baton.startWorker(queue, { BATON_LEASE_MS: '60000' });
      const ids = await submitTyped(baton.client, queue, 'hold', ['', '']);
      await workerProcess.waitForLines((line) => line.startsWith('START '), 2);
      workerProcess.signal('SIGTERM');
      const exit = await Promise.race([
        workerProcess.exited,
        new Promise<'timeout'>((resolve) => setTimeout(resolve, 10_000, 'timeout')),
      ]);
      assert.deepEqual(exit, { code: 0, signal: null }, workerProcess.describe());
      for (const id of ids) {
        const task = await baton.task(queue, id);
        assert.equal(task.state, 'TASK_STATE_PENDING', id);
        assert.equal(task.attempt, 1, 'the claim it had is the only one so far');
        assert.equal(task.errors.length, 0, 'released, not expired (no LEASE_EXPIRED error)');
        assert.equal(task.lease, undefined);
      }
      // The next claim gets them at once.
      const claimed = await baton.client.claimTasks({ queues: [queue], worker_id: 'next', max_tasks: 2 });
      assert.deepEqual(claimed.tasks.map((t) => t.task?.id).sort(), [...ids].sort());
    });
  });
}

/** Conformance, what handlers come to: results, permanent failure, retry with backoff, routing by type, logs. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SCENARIO_TIMEOUT, submitTyped, useConformance } from './harness.js';
import { WORKERS } from './workers.js';

for (const worker of WORKERS) {
  describe(`conformance (${worker.language}): outcomes`, () => {
    const baton = useConformance(worker);

    it('1. echo: 20 tasks all SUCCEEDED with the right result, each on attempt 1', SCENARIO_TIMEOUT, async () => {
      const queue = baton.queue('echo');
      await baton.startWorker(queue);
      const payloads = Array.from({ length: 20 }, (_, i) => `hello ${i}`);
      const ids = await submitTyped(baton.client, queue, 'echo', payloads);
      const tasks = await baton.finished(queue, ids);
      for (const [i, task] of tasks.entries()) {
        assert.equal(task.state, 'TASK_STATE_SUCCEEDED', task.id);
        assert.equal(task.result.toString('utf8'), `echo:hello ${i}`);
        assert.equal(task.attempt, 1);
      }
    });

    it('5. permanent failure: fail-permanent ends FAILED on attempt 1 with its message', SCENARIO_TIMEOUT, async () => {
      const queue = baton.queue('permanent');
      await baton.startWorker(queue);
      const [id = ''] = await submitTyped(baton.client, queue, 'fail-permanent', [''], { max_attempts: 5 });
      const [task] = await baton.finished(queue, [id]);
      assert.equal(task?.state, 'TASK_STATE_FAILED');
      assert.equal(task.attempt, 1);
      assert.equal(task.error?.message, `permanent ${id}`);
      assert.equal(task.errors.length, 1);
    });

    it('6. retry with backoff: fail-retry ends SUCCEEDED on attempt 3 with two recorded errors', SCENARIO_TIMEOUT, async () => {
      const queue = baton.queue('retry');
      await baton.startWorker(queue);
      const started = Date.now();
      const [id = ''] = await submitTyped(baton.client, queue, 'fail-retry', [''], { max_attempts: 5 });
      const [task] = await baton.finished(queue, [id]);
      assert.equal(task?.state, 'TASK_STATE_SUCCEEDED');
      assert.equal(task.attempt, 3);
      assert.equal(task.result.toString('utf8'), 'ok after 3');
      assert.deepEqual(
        task.errors.map((e) => [e.attempt, e.message]),
        [
          [1, 'retry 1'],
          [2, 'retry 2'],
        ],
      );
      // The retry delay of 100 ms, not the task's default backoff (1 s, then 2 s), spaced the attempts.
      assert.ok(Date.now() - started < 2_500, `retried after the handler's delay, took ${Date.now() - started}ms`);
    });

    it('9. type routing: echo and json succeed, a type with no handler ends FAILED naming the type', SCENARIO_TIMEOUT, async () => {
      const queue = baton.queue('routing');
      await baton.startWorker(queue);
      const [echo = ''] = await submitTyped(baton.client, queue, 'echo', ['x']);
      const [json = ''] = await submitTyped(baton.client, queue, 'json', [JSON.stringify({ a: 2, b: 40 })]);
      const [nope = ''] = await submitTyped(baton.client, queue, 'nope', ['?'], { max_attempts: 5 });
      const [echoed, summed, unknown] = await baton.finished(queue, [echo, json, nope]);
      assert.equal(echoed?.state, 'TASK_STATE_SUCCEEDED');
      assert.equal(echoed.result.toString('utf8'), 'echo:x');
      assert.equal(summed?.state, 'TASK_STATE_SUCCEEDED');
      assert.deepEqual(JSON.parse(summed.result.toString('utf8')), { sum: 42 });
      assert.equal(unknown?.state, 'TASK_STATE_FAILED');
      assert.equal(unknown.attempt, 1, 'failed permanently, not retried');
      assert.match(unknown.error?.message ?? '', /no handler for task type "nope"/);
    });

    it('10. trace context: the handler runs in the trace of the producer that submitted the task', SCENARIO_TIMEOUT, async () => {
      const queue = baton.queue('trace');
      await baton.startWorker(queue);
      const traceId = randomBytes(16).toString('hex');
      const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
      const [id = ''] = await submitTyped(baton.client, queue, 'trace', [''], { trace_context: { traceparent, tracestate: 'vendor=1' } });
      const [task] = await baton.finished(queue, [id]);
      assert.equal(task?.state, 'TASK_STATE_SUCCEEDED');
      assert.equal(task.result.toString('utf8'), traceId);
    });

    it('11. logs: lines a handler logs are stored, in order, before its task completes', SCENARIO_TIMEOUT, async () => {
      const queue = baton.queue('logs');
      await baton.startWorker(queue);
      const ids = await submitTyped(baton.client, queue, 'logs', ['3', '250']);
      const tasks = await baton.finished(queue, ids);
      for (const [i, count] of [3, 250].entries()) {
        const task = tasks[i];
        assert.equal(task?.state, 'TASK_STATE_SUCCEEDED');
        assert.equal(task.result.toString('utf8'), `logged ${count}`);
        const page = await baton.client.getTaskLogs({ queue, task_id: task.id, page_size: 1000 });
        const expected = [...Array.from({ length: count }, (_, n) => `line ${n + 1} of ${count}`), 'done ✓'];
        assert.deepEqual(page.lines.map((line) => line.text), expected);
        assert.deepEqual(new Set(page.lines.map((line) => line.attempt)), new Set([1]));
        assert.deepEqual(page.lines.map((line) => line.position), expected.map((_, n) => n + 1));
      }
    });
  });
}

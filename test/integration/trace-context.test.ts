/**
 * A task's W3C trace context: taken at submit (SubmitTask, SubmitTasks, StartTask), stored in the record only when
 * sent, and handed back with the task to whoever reads or claims it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimOne, getTask, submit } from '../support/api.js';
import { uniqueQueue, useTestServer } from '../support/baton.js';
import { storedFieldNames } from '../support/storedTask.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';

const producer = {
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
};

describe('trace context', () => {
  const setup = useTestServer(startPlainRedis);


  it('SubmitTask stores the trace context, and GetTask and the claiming worker see it', async () => {
    const queue = uniqueQueue('traced');
    const submitted = await submit(setup.client, { queue, trace_context: producer });
    assert.deepEqual(submitted.trace_context, producer);
    assert.deepEqual((await getTask(setup.client, queue, submitted.id)).trace_context, producer);
    assert.deepEqual((await claimOne(setup.client, queue)).task.trace_context, producer);
  });

  it('a task submitted without one has none, and no trace fields in its record', async () => {
    const queue = uniqueQueue('untraced');
    const plain = await submit(setup.client, { queue });
    assert.equal(plain.trace_context, undefined);
    const names = await storedFieldNames(setup.redis, queue, plain.id);
    assert.ok(!names.includes('tp') && !names.includes('tt'));
    const parentOnly = await submit(setup.client, { queue, trace_context: { traceparent: producer.traceparent, tracestate: '' } });
    assert.deepEqual((await getTask(setup.client, queue, parentOnly.id)).trace_context, { traceparent: producer.traceparent, tracestate: '' });
    assert.deepEqual(await storedFieldNames(setup.redis, queue, parentOnly.id).then((all) => all.filter((name) => name.startsWith('t'))), ['tp']);
  });

  it('SubmitTasks keeps each task its own trace context', async () => {
    const queue = uniqueQueue('traced-batch');
    const other = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', tracestate: '' };
    const response = await setup.client.submitTasks({
      requests: [
        { queue, task_id: 'a', trace_context: producer },
        { queue, task_id: 'b', trace_context: other },
        { queue, task_id: 'c' },
      ],
    });
    assert.equal(response.results.length, 3);
    assert.deepEqual((await getTask(setup.client, queue, 'a')).trace_context, producer);
    assert.deepEqual((await getTask(setup.client, queue, 'b')).trace_context, other);
    assert.equal((await getTask(setup.client, queue, 'c')).trace_context, undefined);
  });

  it('StartTask creating the task stores the trace context it was given', async () => {
    const queue = uniqueQueue('traced-start');
    const started = await setup.client.startTask({ queue, task_id: 'started', worker_id: 'w', trace_context: producer });
    assert.deepEqual(started.task?.trace_context, producer);
  });
});

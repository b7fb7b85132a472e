/**
 * OpenTelemetry tracing from producer to worker, recorded by an in-memory exporter: the producer's span, the
 * server's span for SubmitTask and the worker's handler span are one trace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { PermanentError, createWorker } from '../../clients/typescript/src/index.js';
import type { Worker } from '../../clients/typescript/src/index.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const producerTracer = trace.getTracer('producer');

describe('tracing with an OpenTelemetry SDK registered', () => {
  let redis: TestRedis;
  let server: TestServer;
  const workers: Worker[] = [];

  before(async () => {
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    redis = await startPlainRedis();
    server = await startTestServer(redis.config);
  });
  after(async () => {
    await Promise.all(workers.map((worker) => worker.close(0)));
    await server.stop();
    await redis.stop();
    await provider.shutdown();
  });

  /** Submits one task inside a producer span; returns that span's context. */
  async function submitInSpan(queue: string, taskId: string): Promise<SpanContext> {
    return await producerTracer.startActiveSpan('produce', async (span) => {
      try {
        await server.client.submitTask({ queue, task_id: taskId, payload: 'x' });
        return span.spanContext();
      } finally {
        span.end();
      }
    });
  }

  function spanNamed(name: string, traceId: string): ReadableSpan | undefined {
    return exporter.getFinishedSpans().find((span) => span.name === name && span.spanContext().traceId === traceId);
  }

  it('one trace runs from the producer span through the server span of SubmitTask to the handler span', async () => {
    const queue = uniqueQueue('traced');
    let seenInHandler: SpanContext | undefined;
    const worker = createWorker({
      client: server.client,
      queues: [queue],
      handler: () => {
        seenInHandler = trace.getActiveSpan()?.spanContext();
      },
    });
    workers.push(worker);
    void worker.run();
    const producer = await submitInSpan(queue, 'one');

    const handlerSpan = await eventually(() => Promise.resolve(spanNamed(`baton.process ${queue}`, producer.traceId)), 10_000);
    const serverSpan = spanNamed('baton.v1.TaskService/SubmitTask', producer.traceId);
    assert.ok(serverSpan, 'the server recorded SubmitTask in the producer trace');
    assert.equal(serverSpan.kind, SpanKind.SERVER);
    assert.equal(serverSpan.attributes['rpc.method'], 'SubmitTask');
    assert.equal(serverSpan.attributes['rpc.grpc.status_code'], 0);
    assert.equal(serverSpan.parentSpanContext?.spanId, producer.spanId, 'the server span is the producer span child');
    assert.equal(handlerSpan.kind, SpanKind.CONSUMER);
    assert.equal(handlerSpan.parentSpanContext?.spanId, producer.spanId, 'the handler span is the producer span child');
    assert.equal(handlerSpan.parentSpanContext.isRemote, true);
    assert.equal(handlerSpan.attributes['messaging.message.id'], 'one');
    assert.equal(handlerSpan.attributes['messaging.destination.name'], queue);
    assert.equal(handlerSpan.attributes['baton.task.attempt'], 1);
    assert.equal(handlerSpan.status.code, SpanStatusCode.UNSET);
    assert.equal(seenInHandler?.spanId, handlerSpan.spanContext().spanId, 'the handler span is active in the handler');
    const task = (await server.client.getTask({ queue, task_id: 'one' })).task;
    assert.equal(task?.trace_context?.traceparent, `00-${producer.traceId}-${producer.spanId}-01`);
  });

  it('a handler that throws ends its span with status ERROR and the exception recorded', async () => {
    const queue = uniqueQueue('traced-failing');
    const worker = createWorker({
      client: server.client,
      queues: [queue],
      handler: () => {
        throw new PermanentError('no such image');
      },
    });
    workers.push(worker);
    void worker.run();
    const producer = await submitInSpan(queue, 'broken');
    const handlerSpan = await eventually(() => Promise.resolve(spanNamed(`baton.process ${queue}`, producer.traceId)), 10_000);
    assert.equal(handlerSpan.status.code, SpanStatusCode.ERROR);
    assert.equal(handlerSpan.status.message, 'no such image');
    assert.equal(handlerSpan.events[0]?.name, 'exception');
  });

  it('a task submitted outside any span carries no trace context, and its handler span starts a new trace', async () => {
    const queue = uniqueQueue('untraced');
    let seenInHandler: SpanContext | undefined;
    const worker = createWorker({
      client: server.client,
      queues: [queue],
      handler: () => {
        seenInHandler = trace.getActiveSpan()?.spanContext();
      },
    });
    workers.push(worker);
    void worker.run();
    const submitted = (await server.client.submitTask({ queue, task_id: 'plain' })).task;
    assert.equal(submitted?.trace_context, undefined);
    const handlerSpan = await eventually(
      () => Promise.resolve(exporter.getFinishedSpans().find((span) => span.name === `baton.process ${queue}`)),
      10_000,
    );
    assert.equal(handlerSpan.parentSpanContext, undefined);
    assert.equal(seenInHandler?.traceId, handlerSpan.spanContext().traceId);
  });
});

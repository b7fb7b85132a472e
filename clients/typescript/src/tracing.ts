import type * as grpc from '@grpc/grpc-js';
import { InterceptingCall } from '@grpc/grpc-js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, context, createTraceState, isSpanContextValid, propagation, trace } from '@opentelemetry/api';
import type { Context, TextMapSetter } from '@opentelemetry/api';
import type { Task, TraceContext } from './contract.js';
import { packageVersion } from './version.js';

/**
 * W3C trace context through Baton, with @opentelemetry/api only: every call carries the active span's context in
 * its metadata (the server's span for the call is its child), a submitted task stores it (trace_context), and a
 * worker runs each handler in a span whose parent is the stored context. Without a registered OpenTelemetry SDK
 * the API is a no-op: no span is recorded, and a task submitted with a trace context still carries it on.
 */

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

const tracer = trace.getTracer('@baton/client', packageVersion());

/** The active span's context as W3C traceparent and tracestate, or undefined when no valid span is active. */
export function activeTraceContext(): TraceContext | undefined {
  const span = trace.getSpanContext(context.active());
  if (span === undefined || !isSpanContextValid(span)) return undefined;
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0');
  return { traceparent: `00-${span.traceId}-${span.spanId}-${flags}`, tracestate: span.traceState?.serialize() ?? '' };
}

/** A context whose (remote) parent span is the one `stored` names; the root context when it names none. */
export function contextOf(stored: TraceContext | undefined): Context {
  const match = stored === undefined ? null : TRACEPARENT.exec(stored.traceparent);
  if (!match || match[1] === 'ff') return ROOT_CONTEXT;
  const [, , traceId = '', spanId = '', flags = '00'] = match;
  const spanContext = {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(stored?.tracestate ? { traceState: createTraceState(stored.tracestate) } : {}),
  };
  return isSpanContextValid(spanContext) ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}

const metadataSetter: TextMapSetter<grpc.Metadata> = {
  set: (metadata, key, value) => {
    metadata.set(key, value);
  },
};

/** Adds the active context's propagation headers (traceparent …, by the registered propagator) to every call. */
export const propagationInterceptor: grpc.Interceptor = (callOptions, nextCall) =>
  new InterceptingCall(nextCall(callOptions), {
    start: (metadata, listener, next) => {
      propagation.inject(context.active(), metadata, metadataSetter);
      next(metadata, listener);
    },
  });

/**
 * Runs a handler in a CONSUMER span "baton.process <queue>", the child of the producer's span the task carries,
 * active while the handler runs; its status is ERROR when the handler throws. Nothing is wrapped when no SDK
 * records the span and the task carries no context.
 */
export async function inHandlerSpan<Result>(task: Task, run: () => Promise<Result>): Promise<Result> {
  const parent = contextOf(task.trace_context);
  const span = tracer.startSpan(`baton.process ${task.queue}`, { kind: SpanKind.CONSUMER }, parent);
  if (span.isRecording()) {
    // Set once recording is known, so that a worker without an SDK builds no attributes per task.
    span.setAttributes({
      'messaging.system': 'baton',
      'messaging.operation.type': 'process',
      'messaging.destination.name': task.queue,
      'messaging.message.id': task.id,
      'baton.task.attempt': task.attempt,
      ...(task.type === '' ? {} : { 'baton.task.type': task.type }),
    });
  } else if (parent === ROOT_CONTEXT) {
    return run();
  }
  try {
    return await context.with(trace.setSpan(parent, span), run);
  } catch (error) {
    if (error instanceof Error) span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

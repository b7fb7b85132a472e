import * as grpc from '@grpc/grpc-js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import type { Span, TextMapGetter } from '@opentelemetry/api';
import { packageVersion } from '../../clients/typescript/src/version.js';

/** Reads propagation headers (traceparent, tracestate, baggage …) from a call's gRPC metadata. */
const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key);
    if (values.length === 0) return undefined;
    return values.map(String);
  },
};

/**
 * A SERVER span per call, named by its method ("baton.v1.TaskService/SubmitTask"), the child of the caller's span
 * when its metadata carries one (read with the globally registered propagator, W3C trace context by default in the
 * OpenTelemetry SDK), ended with the call's status.
 *
 * Through @opentelemetry/api only: without a registered SDK the tracer is the API's no-op, and a call costs one
 * check of the span it returns, which is not recording, so nothing else is done.
 */
export function tracingInterceptor(): grpc.ServerInterceptor {
  const tracer = trace.getTracer('baton', packageVersion());
  return (method, call) => {
    let span: Span | undefined;
    const end = (code: grpc.status, details: string): void => {
      if (span === undefined) return;
      span.setAttribute('rpc.grpc.status_code', code);
      if (code !== grpc.status.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: details });
      span.end();
      span = undefined;
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, forward) => {
            const started = tracer.startSpan(
              method.path.slice(1),
              { kind: SpanKind.SERVER },
              propagation.extract(ROOT_CONTEXT, metadata, metadataGetter),
            );
            if (started.isRecording()) {
              const slash = method.path.lastIndexOf('/');
              span = started;
              span.setAttributes({
                'rpc.system': 'grpc',
                'rpc.service': method.path.slice(1, slash),
                'rpc.method': method.path.slice(slash + 1),
              });
            }
            forward(metadata);
          },
          // Also called after a normal end, when the span has ended already.
          onCancel: () => {
            end(grpc.status.CANCELLED, 'the client cancelled or went away');
          },
        });
      },
      sendStatus: (status, next) => {
        end(status.code, status.details);
        next(status);
      },
    });
  };
}

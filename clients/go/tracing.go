package baton

import (
	"context"
	"strings"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// W3C trace context through Baton, with the OpenTelemetry API only (go.opentelemetry.io/otel): every unary call
// carries ctx's span context in its metadata (by the global propagator), SubmitTask and SubmitTasks store ctx's span
// context with each task that names none, and the worker runs each handler in a span "baton.process <queue>" whose
// parent is the task's stored context, passing the handler a ctx that holds it. Without a registered
// TracerProvider the API records nothing, and the handler's ctx still carries the producer's trace id.

var w3c = propagation.TraceContext{}

// traceContextOf is ctx's span context as a W3C trace context; nil when ctx holds no valid span context.
func traceContextOf(ctx context.Context) *pb.TraceContext {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	carrier := propagation.HeaderCarrier{}
	w3c.Inject(ctx, carrier)
	traceparent := carrier.Get("traceparent")
	if traceparent == "" {
		return nil
	}
	return &pb.TraceContext{Traceparent: traceparent, Tracestate: carrier.Get("tracestate")}
}

// withTraceContext sets ctx's trace context on a submit that names none.
func withTraceContext(ctx context.Context, in *pb.SubmitTaskRequest) {
	if in != nil && in.GetTraceContext() == nil {
		in.TraceContext = traceContextOf(ctx)
	}
}

// contextWithParent is ctx with the stored trace context as its remote span context (ctx when there is none).
func contextWithParent(ctx context.Context, stored *pb.TraceContext) context.Context {
	if stored.GetTraceparent() == "" {
		return ctx
	}
	carrier := propagation.HeaderCarrier{}
	carrier.Set("traceparent", stored.GetTraceparent())
	if stored.GetTracestate() != "" {
		carrier.Set("tracestate", stored.GetTracestate())
	}
	return w3c.Extract(ctx, carrier)
}

// startHandlerSpan starts the CONSUMER span of one handler run, child of the task's stored trace context.
func startHandlerSpan(ctx context.Context, task *Task) (context.Context, trace.Span) {
	attributes := []attribute.KeyValue{
		attribute.String("messaging.system", "baton"),
		attribute.String("messaging.operation.type", "process"),
		attribute.String("messaging.destination.name", task.Queue),
		attribute.String("messaging.message.id", task.ID),
		attribute.Int64("baton.task.attempt", int64(task.Attempt)),
	}
	if task.Type != "" {
		attributes = append(attributes, attribute.String("baton.task.type", task.Type))
	}
	return otel.Tracer("github.com/batonhq/baton/clients/go").Start(
		contextWithParent(ctx, task.Proto.GetTraceContext()),
		"baton.process "+task.Queue,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attributes...),
	)
}

// endHandlerSpan ends the span with the handler's outcome: status Error (and the error recorded) when it failed.
func endHandlerSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// metadataCarrier adapts outgoing gRPC metadata to the propagation API.
type metadataCarrier metadata.MD

func (m metadataCarrier) Get(key string) string {
	if values := metadata.MD(m).Get(key); len(values) > 0 {
		return values[0]
	}
	return ""
}

func (m metadataCarrier) Set(key, value string) { metadata.MD(m).Set(key, value) }

func (m metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, strings.ToLower(key))
	}
	return keys
}

// propagateTrace adds ctx's propagation headers (traceparent …) to each unary call's metadata.
func propagateTrace(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if trace.SpanContextFromContext(ctx).IsValid() {
		md, _ := metadata.FromOutgoingContext(ctx)
		md = md.Copy()
		otel.GetTextMapPropagator().Inject(ctx, metadataCarrier(md))
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

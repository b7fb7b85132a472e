package baton

import (
	"context"
	"testing"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"go.opentelemetry.io/otel/trace"
)

const producerParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestTheHandlerContextHoldsTheProducersTrace(t *testing.T) {
	stored := &pb.TraceContext{Traceparent: producerParent, Tracestate: "congo=t61rcWkgMzE"}
	task := newTask(&pb.ClaimedTask{Task: &pb.Task{Id: "t1", Queue: "q", TraceContext: stored}}, "w")
	if task.TraceParent != producerParent || task.TraceState != "congo=t61rcWkgMzE" {
		t.Fatalf("Task.TraceParent = %q, TraceState = %q", task.TraceParent, task.TraceState)
	}
	ctx, span := startHandlerSpan(context.Background(), task)
	defer endHandlerSpan(span, nil)
	got := trace.SpanContextFromContext(ctx)
	if got.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("handler trace id = %s", got.TraceID())
	}
	if got.TraceState().Get("congo") != "t61rcWkgMzE" {
		t.Fatalf("handler trace state = %q", got.TraceState().String())
	}
}

func TestASubmitTakesTheTraceContextOfItsContext(t *testing.T) {
	parent := contextWithParent(context.Background(), &pb.TraceContext{Traceparent: producerParent})
	req := NewSubmit("q", "", "x")
	withTraceContext(parent, req)
	if req.GetTraceContext().GetTraceparent() != producerParent {
		t.Fatalf("trace context = %v", req.GetTraceContext())
	}
	named := &pb.SubmitTaskRequest{TraceContext: &pb.TraceContext{Traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
	withTraceContext(parent, named)
	if named.GetTraceContext().GetTraceparent() == producerParent {
		t.Fatal("a submit that names its trace context keeps it")
	}
	untraced := NewSubmit("q", "", "x")
	withTraceContext(context.Background(), untraced)
	if untraced.GetTraceContext() != nil {
		t.Fatalf("no span, no trace context: %v", untraced.GetTraceContext())
	}
}

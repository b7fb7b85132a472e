package baton

import (
	"context"
	"encoding/json"
	"fmt"

	pb "github.com/batonhq/baton/clients/go/batonv1"
)

// Task is a task as a handler receives it.
type Task struct {
	ID    string
	Queue string
	// Type routes the task to a handler (Worker.Handle); "" when it has none.
	Type        string
	Payload     []byte
	Metadata    map[string]string
	Attempt     int32
	MaxAttempts int32
	// Proto is the task as the server pushed it.
	Proto *pb.Task
	// WorkerID is the id this worker claims under.
	WorkerID string
	// TraceParent and TraceState are the W3C trace context the producer submitted the task with ("" when none).
	// The handler's ctx holds the span started under it (see tracing.go).
	TraceParent string
	TraceState  string

	entry *running
}

// String is the payload as UTF-8 text.
func (t *Task) String() string { return string(t.Payload) }

// JSON decodes the payload (UTF-8 JSON, as NewJSONSubmit stores it) into v. A payload that is not JSON gives a
// PermanentError naming the task, so a handler that returns it fails the task at once instead of retrying input
// that will not change.
func (t *Task) JSON(v interface{}) error {
	if err := json.Unmarshal(t.Payload, v); err != nil {
		return Permanent(fmt.Errorf("task %s: the payload is not the JSON expected: %w", t.ID, err))
	}
	return nil
}

// Progress reports progress with a heartbeat sent at once, and returns when the server has it (or the task is
// over for this worker, or ctx is done).
func (t *Task) Progress(ctx context.Context, current, total int64, message string) {
	if t.entry == nil {
		return
	}
	t.entry.worker.reportProgress(ctx, t.entry, &pb.Progress{Current: current, Total: total, Message: message})
}

// ChildResults returns a parent's children (SubmitFlow) in submit order, with the state each finished in and its
// result or last error; nil for a task without children.
func (t *Task) ChildResults(ctx context.Context) ([]*pb.ChildTask, error) {
	if t.entry == nil || t.Proto.GetChildCount() == 0 {
		return nil, nil
	}
	return t.entry.worker.client.ChildResults(ctx, t.Queue, t.ID)
}

func newTask(claimed *pb.ClaimedTask, workerID string) *Task {
	p := claimed.GetTask()
	return &Task{
		ID:          p.GetId(),
		Queue:       p.GetQueue(),
		Type:        p.GetType(),
		Payload:     p.GetPayload(),
		Metadata:    p.GetMetadata(),
		Attempt:     p.GetAttempt(),
		MaxAttempts: p.GetMaxAttempts(),
		TraceParent: p.GetTraceContext().GetTraceparent(),
		TraceState:  p.GetTraceContext().GetTracestate(),
		Proto:       p,
		WorkerID:    workerID,
	}
}

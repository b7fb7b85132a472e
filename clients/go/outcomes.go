package baton

import (
	"context"
	"errors"
	"fmt"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// outcome is what a handler came to: its result, or its error.
type outcome struct {
	result []byte
	err    error
}

// complete sends the completion with the others of its message; most get through at the first try, the rest go
// through record.
func (w *Worker) complete(e *running, result []byte) {
	req := &pb.CompleteTaskRequest{Queue: e.task.Queue, TaskId: e.task.ID, LeaseToken: e.token, Result: result}
	w.sendCompletion(completion{req: req, done: func(res *pb.CompleteTasksResult, err error) {
		if err == nil && res.GetError() != nil {
			err = status.Error(codes.Code(res.GetError().GetCode()), res.GetError().GetMessage())
		}
		if err != nil {
			go w.record(e, outcome{result: result}, err)
			return
		}
		w.completed(e, result, res)
	}})
}

func (w *Worker) completed(e *running, result []byte, res *pb.CompleteTasksResult) {
	w.over(e)
	if w.events.Completed == nil {
		return
	}
	after := res.GetTask()
	if after == nil {
		after = proto.Clone(e.task.Proto).(*pb.Task)
		after.State = res.GetState()
	}
	after.Result = result
	w.events.Completed(e.task, after)
}

// record records an outcome that did not get through at the first try (firstErr), or a failure: retried while
// the server is unreachable and the lease may hold.
func (w *Worker) record(e *running, o outcome, firstErr error) {
	defer w.over(e)
	failed := firstErr
	for attempt := 0; ; attempt++ {
		if failed == nil {
			e.mu.Lock()
			lost := e.lost
			e.mu.Unlock()
			if lost {
				return
			}
			after, err := w.sendOutcome(e, o)
			if err == nil {
				if o.err == nil {
					w.completed(e, o.result, after)
				} else if w.events.Failed != nil {
					w.events.Failed(e.task, after.GetTask(), o.err)
				}
				return
			}
			failed = err
		}
		err := failed
		failed = nil
		code := status.Code(err)
		if code == codes.Aborted && attempt > 0 && o.err != nil {
			return // an earlier try got through
		}
		if leaseGone(err) {
			w.lose(e, fmt.Errorf("%w: the server refused the outcome: %v", ErrLeaseLost, err))
			return
		}
		// Repeating a completion is safe even if the first got through; repeating a failure only when it did not.
		transient := code == codes.Unavailable || (code == codes.DeadlineExceeded && o.err == nil)
		wait := retryBackoff(attempt)
		e.mu.Lock()
		deadline := e.deadline
		e.mu.Unlock()
		if !transient || !time.Now().Add(wait).Before(deadline) {
			w.report(fmt.Errorf("recording the outcome of task %s: %w", e.task.ID, err))
			return // the lease runs out and the server requeues the task
		}
		time.Sleep(wait)
	}
}

// sendOutcome is one try; for a completion it returns its result item, for a failure the server's copy (in
// the item's Task).
func (w *Worker) sendOutcome(e *running, o outcome) (*pb.CompleteTasksResult, error) {
	if o.err == nil {
		type answer struct {
			res *pb.CompleteTasksResult
			err error
		}
		ch := make(chan answer, 1)
		req := &pb.CompleteTaskRequest{Queue: e.task.Queue, TaskId: e.task.ID, LeaseToken: e.token, Result: o.result}
		w.sendCompletion(completion{req: req, done: func(res *pb.CompleteTasksResult, err error) { ch <- answer{res, err} }})
		a := <-ch
		if a.err == nil && a.res.GetError() != nil {
			a.err = status.Error(codes.Code(a.res.GetError().GetCode()), a.res.GetError().GetMessage())
		}
		return a.res, a.err
	}
	e.mu.Lock()
	cancelRequested := e.cancelRequested
	e.mu.Unlock()
	req := &pb.FailTaskRequest{
		Queue: e.task.Queue, TaskId: e.task.ID, LeaseToken: e.token,
		Error: &pb.TaskError{Type: errorType(o.err), Message: o.err.Error()},
		// A cancelled task ends CANCELLED whatever the flag says; a PermanentError ends it FAILED.
		Permanent: cancelRequested || IsPermanent(o.err),
	}
	if cancelRequested {
		req.Error.Type = "Cancelled"
		if errors.Is(o.err, context.Canceled) {
			req.Error.Message = ErrTaskCancelled.Error()
		}
	}
	if delay, ok := retryDelay(o.err); ok {
		req.RetryDelay = durationpb.New(delay)
	}
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	reply, err := w.client.FailTask(ctx, req)
	if err != nil {
		return nil, err
	}
	return &pb.CompleteTasksResult{TaskId: e.task.ID, State: reply.GetTask().GetState(), Task: reply.GetTask()}, nil
}

package baton

import (
	"errors"
	"reflect"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// PermanentError fails a task for good: it becomes FAILED at once instead of being retried. Return one from a
// handler (Permanent(err) makes one) when retrying cannot help, e.g. bad input.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as permanent (see PermanentError); nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// RetryError fails the attempt and asks for the next one after Delay instead of the task's backoff.
type RetryError struct {
	Err   error
	Delay time.Duration
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter fails the attempt retryably and has the next attempt start after delay (0..24h).
func RetryAfter(err error, delay time.Duration) error {
	if err == nil {
		return nil
	}
	return &RetryError{Err: err, Delay: delay}
}

// Why a handler's context was cancelled; CancelReason(ctx) tells them apart.
var (
	// ErrTaskCancelled: an operator cancelled the task (CancelTask), learnt from a heartbeat.
	ErrTaskCancelled = errors.New("baton: the task was cancelled")
	// ErrLeaseLost: the worker no longer holds the lease (the server refused a heartbeat, or none got through in
	// time). Whatever the handler returns afterwards is discarded; another worker may be running the task.
	ErrLeaseLost = errors.New("baton: the lease on the task was lost")
	// ErrWorkerClosing: the worker shut down before the handler finished; the task was given back.
	ErrWorkerClosing = errors.New("baton: the worker shut down before the handler finished; the task was given back")
)

// IsPermanent reports whether err asks for a permanent failure.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// retryDelay is the delay a RetryError in err's chain asks for.
func retryDelay(err error) (time.Duration, bool) {
	var r *RetryError
	if errors.As(err, &r) {
		return r.Delay, true
	}
	return 0, false
}

// errorType names err's kind for TaskError.type: its Go type without package or pointer ("PathError"), the
// marker types' names, or "Error" for errors.New and fmt.Errorf values.
func errorType(err error) string {
	switch err.(type) {
	case *PermanentError:
		return "PermanentError"
	case *RetryError:
		return errorType(errors.Unwrap(err))
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	switch name := t.Name(); name {
	case "", "errorString", "wrapError", "wrapErrors":
		return "Error"
	default:
		return name
	}
}

// leaseGone reports answers (to a heartbeat or an outcome) that mean the lease is gone for good.
func leaseGone(err error) bool {
	switch status.Code(err) {
	case codes.Aborted, codes.NotFound, codes.FailedPrecondition:
		return true
	}
	return false
}

// fatalSession reports session errors that retrying will not fix.
func fatalSession(err error) bool {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.Unimplemented, codes.Unauthenticated, codes.PermissionDenied:
		return true
	}
	return false
}

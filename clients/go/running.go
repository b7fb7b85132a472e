package baton

import (
	"context"
	"sync"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
)

type phase int

const (
	phaseWaiting   phase = iota // received, its handler not started yet
	phaseRunning                // the handler runs
	phaseReporting              // its outcome (or release) is on its way
	phaseOver                   // nothing more to do for it
)

type reasonKey struct{}

// running is one task while this worker holds it.
type running struct {
	worker *Worker
	task   *Task
	token  string
	ctx    context.Context
	cancel context.CancelFunc
	overCh chan struct{}

	mu              sync.Mutex
	phase           phase
	reason          error // why the handler's context was cancelled
	released        bool  // shutdown gave it back while the handler ran
	letGo           bool  // no longer counts against the worker's window
	lost            bool
	cancelRequested bool
	// lease keeping (heartbeats.go)
	deadline        time.Time // by then the lease has surely run out unless renewed
	timer           *time.Timer
	beating         bool
	beatAgain       bool
	progress        *pb.Progress
	progressWaiters []chan struct{}
	log             *taskLog // its log lines (Task.Log), made at the first
}

// CancelReason says why a handler's context was cancelled: ErrTaskCancelled, ErrLeaseLost or
// ErrWorkerClosing; nil while it is not (or for a context that is not a handler's).
func CancelReason(ctx context.Context) error {
	e, ok := ctx.Value(reasonKey{}).(*running)
	if !ok {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reason
}

// track starts holding a task: it counts against the window and its lease is kept from now on. receivedAt: the
// server leased it just before pushing it, a one-way trip earlier.
func (w *Worker) track(claimed *pb.ClaimedTask, receivedAt time.Time) *running {
	e := &running{worker: w, token: claimed.GetLeaseToken(), overCh: make(chan struct{})}
	e.task = newTask(claimed, w.workerID)
	e.task.entry = e
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), reasonKey{}, e))
	e.ctx, e.cancel = ctx, cancel
	w.mu.Lock()
	w.active[e] = struct{}{}
	w.held++
	w.mu.Unlock()
	w.keep(e, receivedAt)
	return e
}

// over: the task is over for this worker; its lease is no longer kept, its slot is free, shutdown may go on.
func (w *Worker) over(e *running) {
	e.mu.Lock()
	if e.phase == phaseOver {
		e.mu.Unlock()
		return
	}
	e.phase = phaseOver
	if e.timer != nil {
		e.timer.Stop()
	}
	waiters := e.progressWaiters
	e.progressWaiters = nil
	log := e.log
	e.mu.Unlock()
	if log != nil {
		log.close()
	}
	for _, ch := range waiters {
		close(ch)
	}
	e.cancel()
	w.letGo(e)
	w.mu.Lock()
	delete(w.active, e)
	w.mu.Unlock()
	close(e.overCh)
}

// abortHandler cancels the handler's context, remembering the first reason.
func (w *Worker) abortHandler(e *running, reason error) {
	e.mu.Lock()
	if e.reason == nil {
		e.reason = reason
	}
	e.mu.Unlock()
	e.cancel()
}

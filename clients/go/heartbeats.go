package baton

import (
	"context"
	"fmt"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
)

// Lease keeping: a heartbeat per held task every heartbeat interval renews its lease, carries the handler's
// progress and brings back cancel requests. Each task has one timer (a runtime timer, no goroutine while it
// waits); most tasks are over before their first heartbeat is due, and stopping the timer is all they cost.
// A lease is declared lost when the server refuses a heartbeat, or when no renewal got through before the
// deadline (checked at every beat; a failed beat is retried within 250 ms).

// keep starts keeping e's lease; receivedAt: the server leased it just before pushing it.
func (w *Worker) keep(e *running, receivedAt time.Time) {
	e.mu.Lock()
	e.deadline = receivedAt.Add(w.lease)
	e.timer = time.AfterFunc(w.heartbeat-time.Since(receivedAt), func() { w.beat(e) })
	e.mu.Unlock()
}

func (w *Worker) beat(e *running) {
	e.mu.Lock()
	if e.phase == phaseOver || e.lost {
		e.mu.Unlock()
		return
	}
	if e.beating {
		e.beatAgain = true
		e.mu.Unlock()
		return
	}
	sentAt := time.Now()
	left := e.deadline.Sub(sentAt)
	if left <= 0 {
		// The process was paused (or the machine slept) past the lease: a heartbeat now cannot save it.
		e.mu.Unlock()
		w.lose(e, fmt.Errorf("%w: no heartbeat got through before the lease ran out", ErrLeaseLost))
		return
	}
	e.beating = true
	progress := e.progress
	e.progress = nil
	waiters := e.progressWaiters
	e.progressWaiters = nil
	e.mu.Unlock()

	// Never wait longer than the lease has left, nor so long that the next beat is late.
	timeout := w.heartbeat
	if left < timeout {
		timeout = left
	}
	if timeout < 100*time.Millisecond {
		timeout = 100 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	reply, err := w.client.heartbeatOnce(ctx, &pb.HeartbeatRequest{
		Queue: e.task.Queue, TaskId: e.task.ID, LeaseToken: e.token, LeaseDuration: w.leasePB, Progress: progress,
	})
	cancel()

	var next time.Duration
	e.mu.Lock()
	e.beating = false
	if err == nil {
		e.deadline = sentAt.Add(w.lease)
		newCancel := reply.GetCancelRequested() && !e.cancelRequested
		if newCancel {
			e.cancelRequested = true
		}
		e.mu.Unlock()
		for _, ch := range waiters {
			close(ch)
		}
		if newCancel {
			w.abortHandler(e, ErrTaskCancelled)
		}
		e.mu.Lock()
		next = w.heartbeat - time.Since(sentAt)
	} else {
		if e.progress == nil {
			e.progress = progress
		}
		e.progressWaiters = append(waiters, e.progressWaiters...)
		if leaseGone(err) {
			// While the outcome is on its way, a refused heartbeat usually means it got there first: its own
			// answer says whether the lease was lost. Beat no more either way.
			reporting := e.phase == phaseReporting
			e.mu.Unlock()
			if !reporting {
				w.lose(e, fmt.Errorf("%w: the server refused a heartbeat: %v", ErrLeaseLost, err))
			}
			return
		}
		e.mu.Unlock()
		if !w.isStopping() {
			w.report(fmt.Errorf("heartbeat for task %s: %w", e.task.ID, err))
		}
		e.mu.Lock()
		next = 250 * time.Millisecond
		if half := w.heartbeat / 2; half < next {
			next = half
		}
	}
	if e.beatAgain || e.progress != nil {
		e.beatAgain = false
		next = 0
	}
	if e.phase != phaseOver && !e.lost {
		e.timer.Reset(next)
	}
	e.mu.Unlock()
}

// lose: the lease is gone; heartbeats stop, the handler is told, and a task still waiting is over.
func (w *Worker) lose(e *running, err error) {
	e.mu.Lock()
	if e.lost || e.phase == phaseOver {
		e.mu.Unlock()
		return
	}
	e.lost = true
	e.timer.Stop()
	waiting := e.phase == phaseWaiting
	e.mu.Unlock()
	w.abortHandler(e, ErrLeaseLost)
	if w.events.Lost != nil {
		w.events.Lost(e.task, err)
	} else {
		w.report(fmt.Errorf("task %s: %w", e.task.ID, err))
	}
	if waiting {
		w.over(e) // no handler to wait for
	}
}

// reportProgress sends progress with a heartbeat at once and waits until the server has it.
func (w *Worker) reportProgress(ctx context.Context, e *running, progress *pb.Progress) {
	e.mu.Lock()
	if e.phase == phaseOver || e.lost {
		e.mu.Unlock()
		return
	}
	e.progress = progress
	ch := make(chan struct{})
	e.progressWaiters = append(e.progressWaiters, ch)
	if e.beating {
		e.beatAgain = true
	} else {
		e.timer.Reset(0)
	}
	e.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-e.overCh:
	}
}

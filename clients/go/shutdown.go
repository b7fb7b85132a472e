package baton

import (
	"context"
	"fmt"
	"sync"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
)

// Graceful shutdown gives tasks back (ReleaseTask) rather than letting their leases run out: another worker gets
// them at once, and no attempt is used up, so a deploy costs nobody a retry.

func (w *Worker) shutdown() {
	defer close(w.closed)
	w.mu.Lock()
	w.stopping = true
	sess := w.session
	started := w.started
	w.mu.Unlock()
	close(w.stop)
	w.cond.Broadcast()
	if sess != nil {
		sess.close()
	}
	if started {
		select {
		case <-w.loopDone:
		case <-time.After(sessionDrainTimeout):
			if sess != nil {
				sess.abort()
			}
			<-w.loopDone
		}
	}

	w.mu.Lock()
	waiting := w.waiting
	w.waiting = nil
	w.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range waiting {
		wg.Add(1)
		go func(e *running) { defer wg.Done(); w.release(e) }(e)
	}
	wg.Wait()

	if !w.waitAllOver(w.shutdownIn) {
		w.mu.Lock()
		var runningNow []*running
		for e := range w.active {
			runningNow = append(runningNow, e)
		}
		w.mu.Unlock()
		for _, e := range runningNow {
			wg.Add(1)
			go func(e *running) { defer wg.Done(); w.release(e) }(e)
		}
		wg.Wait()
		w.waitAllOver(-1)
	}
	if w.ownsClient {
		_ = w.client.Close()
	}
}

// waitAllOver waits until the worker holds no task, for up to timeout (negative: for as long as it takes).
func (w *Worker) waitAllOver(timeout time.Duration) bool {
	var expired <-chan time.Time
	if timeout >= 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		expired = timer.C
	}
	for {
		w.mu.Lock()
		var one *running
		for e := range w.active {
			one = e
			break
		}
		w.mu.Unlock()
		if one == nil {
			return true
		}
		select {
		case <-one.overCh:
		case <-expired:
			return false
		}
	}
}

// release cancels the handler and gives the task back at once, without using up its attempt (ReleaseTask).
func (w *Worker) release(e *running) {
	e.mu.Lock()
	if e.phase != phaseRunning && e.phase != phaseWaiting {
		e.mu.Unlock()
		return
	}
	if e.lost { // nothing to give back
		e.mu.Unlock()
		w.over(e)
		return
	}
	e.released = true
	e.phase = phaseReporting
	e.mu.Unlock()
	w.abortHandler(e, ErrWorkerClosing)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	reply, err := w.client.ReleaseTask(ctx, &pb.ReleaseTaskRequest{Queue: e.task.Queue, TaskId: e.task.ID, LeaseToken: e.token})
	cancel()
	w.over(e)
	if err != nil {
		// The lease runs out and the server requeues the task: slower, but nothing is lost.
		w.report(fmt.Errorf("releasing task %s: %w", e.task.ID, err))
		return
	}
	if w.events.Released != nil {
		w.events.Released(e.task, reply.GetTask())
	}
}

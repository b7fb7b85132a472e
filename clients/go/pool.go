package baton

import (
	"fmt"
	"runtime/debug"
)

// One goroutine per slot rather than one per task: however many tasks are prefetched, no more than Concurrency
// handlers run at once, and a waiting task costs no goroutine.

// pool is one of the Concurrency goroutines that run handlers.
func (w *Worker) pool() {
	for {
		w.mu.Lock()
		for len(w.waiting) == 0 && !w.stopping {
			w.cond.Wait()
		}
		if w.stopping {
			w.mu.Unlock()
			return
		}
		e := w.waiting[0]
		w.waiting[0] = nil
		w.waiting = w.waiting[1:]
		w.mu.Unlock()
		e.mu.Lock()
		if e.phase != phaseWaiting { // its lease was lost while it waited
			e.mu.Unlock()
			continue
		}
		e.phase = phaseRunning
		e.mu.Unlock()
		w.execute(e)
	}
}

// call runs the handler in its span (see tracing.go), turning a panic into an error.
func (w *Worker) call(e *running) (result []byte, err error) {
	ctx, span := startHandlerSpan(e.ctx, e.task)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", p, debug.Stack())
		}
		endHandlerSpan(span, err)
	}()
	return w.mux.Run(ctx, e.task)
}

func (w *Worker) execute(e *running) {
	if w.events.Active != nil {
		w.events.Active(e.task)
	}
	result, err := w.call(e)
	e.mu.Lock()
	if e.released { // release() ends it
		e.mu.Unlock()
		return
	}
	if e.lost {
		e.mu.Unlock()
		w.over(e)
		return
	}
	e.phase = phaseReporting
	log := e.log
	e.mu.Unlock()
	// The slot is free and the next task is asked for while this one's outcome is on its way.
	w.letGo(e)
	if log != nil {
		log.flush() // the lines are stored before the outcome
	}
	if err == nil {
		w.complete(e, result)
	} else {
		go w.record(e, outcome{err: err}, nil)
	}
}

// letGo gives back what the task held of the window: a credit, so the next task is pushed.
func (w *Worker) letGo(e *running) {
	e.mu.Lock()
	if e.letGo {
		e.mu.Unlock()
		return
	}
	e.letGo = true
	e.mu.Unlock()
	w.mu.Lock()
	w.held--
	sess, stopping := w.session, w.stopping
	w.mu.Unlock()
	if !stopping && sess != nil {
		sess.grant(1)
	}
}

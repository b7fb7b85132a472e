package baton

import (
	"fmt"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
)

// sessionLoop keeps a WorkTasks session open while the worker runs; a session that ends is opened again (on
// the next address) after a backoff.
func (w *Worker) sessionLoop() {
	defer close(w.loopDone)
	start := &pb.WorkTasksStart{Queues: w.queues, WorkerId: w.workerID, LeaseDuration: w.leasePB}
	failures := 0
	for !w.isStopping() {
		sess, index, err := openSession(w.client, start, w.window, 0, w.accept)
		if err == nil {
			w.mu.Lock()
			if w.stopping {
				w.mu.Unlock()
				sess.close()
				<-sess.ended
				return
			}
			w.session = sess
			credit := w.window - w.held
			w.mu.Unlock()
			if credit > 0 {
				sess.grant(credit)
			}
			if w.events.SessionOpen != nil {
				w.events.SessionOpen(w.client.addresses[index])
			}
			<-sess.ended
			err = sess.err
			w.mu.Lock()
			w.session = nil
			w.mu.Unlock()
			if sess.tasksReceived() > 0 {
				failures = 0
			}
		}
		if w.isStopping() {
			return
		}
		if fatalSession(err) {
			w.mu.Lock()
			w.fatal = err
			w.mu.Unlock()
			return
		}
		if err != nil {
			w.report(fmt.Errorf("session with %s ended: %w", w.client.addresses[index], err))
		}
		w.client.failover(index)
		select {
		case <-w.stop:
			return
		case <-time.After(retryBackoff(failures)):
		}
		failures++
	}
}

// accept takes tasks the server pushed.
func (w *Worker) accept(tasks []*pb.ClaimedTask) {
	now := time.Now()
	for _, claimed := range tasks {
		if claimed.GetTask() == nil {
			continue
		}
		e := w.track(claimed, now)
		w.mu.Lock()
		if w.stopping {
			// Pushed while shutdown began: hand it straight back.
			w.mu.Unlock()
			go w.release(e)
			continue
		}
		w.waiting = append(w.waiting, e)
		w.mu.Unlock()
		w.cond.Signal()
	}
}

// Command go-demo-worker is the polyglot test's Go worker (test/integration/polyglot.test.ts), on the Go SDK: the
// examples' demo job, one JSON line per thing that happens to a task.
//
// The demo job: the result is `<worker id> NUL <payload bytes reversed>`; a task's metadata `work_ms` makes it
// work that long first (stopping early when its context is cancelled); `fail` makes it fail (see demo). -concurrency at a time (default 1), none
// prefetched.
// SIGTERM or SIGINT: give the held task back at once (ReleaseTask), exit 0.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	baton "github.com/batonhq/baton/clients/go"
	pb "github.com/batonhq/baton/clients/go/batonv1"
)

var outMu sync.Mutex

// emit prints one JSON line: {"event": ..., "lang": "go", ...fields}.
func emit(event string, fields map[string]interface{}) {
	line := map[string]interface{}{"event": event, "lang": "go"}
	for k, v := range fields {
		line[k] = v
	}
	outMu.Lock()
	defer outMu.Unlock()
	_ = json.NewEncoder(os.Stdout).Encode(line)
}

func demo(ctx context.Context, t *baton.Task) ([]byte, error) {
	// `fail`: "permanent" fails for good; "until-N" fails retryably (retry in 100 ms) before attempt N.
	switch fail := t.Metadata["fail"]; {
	case fail == "permanent":
		return nil, baton.Permanent(fmt.Errorf("permanent %s", t.ID))
	case strings.HasPrefix(fail, "until-"):
		if n, _ := strconv.Atoi(strings.TrimPrefix(fail, "until-")); int(t.Attempt) < n {
			return nil, baton.RetryAfter(fmt.Errorf("retry %d", t.Attempt), 100*time.Millisecond)
		}
	}
	ms, _ := strconv.Atoi(t.Metadata["work_ms"])
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
	case <-ctx.Done():
		if baton.CancelReason(ctx) == baton.ErrTaskCancelled {
			emit("cancel_requested", map[string]interface{}{"task_id": t.ID})
		}
		return nil, ctx.Err()
	}
	result := append([]byte(t.WorkerID), 0)
	for i := len(t.Payload) - 1; i >= 0; i-- {
		result = append(result, t.Payload[i])
	}
	return result, nil
}

func main() {
	server := flag.String("server", "localhost:50051", "Baton server host:port")
	queue := flag.String("queue", "demo", "queue to work")
	workerID := flag.String("worker-id", "", "worker id")
	leaseSeconds := flag.Float64("lease-seconds", 30, "lease length; heartbeats every third of it")
	concurrency := flag.Int("concurrency", 1, "handlers at once")
	flag.Float64("poll-seconds", 0, "ignored: the worker is pushed its tasks on a session")
	flag.Parse()

	var started sync.Once
	w, err := baton.NewWorker(baton.WorkerOptions{
		Address: *server, Queues: []string{*queue}, WorkerID: *workerID, Handler: demo,
		Concurrency: *concurrency, Prefetch: -1, ShutdownTimeout: -1,
		LeaseDuration: time.Duration(*leaseSeconds * float64(time.Second)),
		Events: baton.Events{
			SessionOpen: func(string) {
				started.Do(func() { emit("started", map[string]interface{}{"worker_id": *workerID, "queue": *queue}) })
			},
			Active: func(t *baton.Task) { emit("claimed", map[string]interface{}{"task_id": t.ID, "attempt": t.Attempt}) },
			Completed: func(t *baton.Task, _ *pb.Task) {
				emit("completed", map[string]interface{}{"task_id": t.ID, "attempt": t.Attempt})
			},
			Failed: func(t *baton.Task, after *pb.Task, err error) {
				event := "failed"
				if after.GetState() == pb.TaskState_TASK_STATE_CANCELLED {
					event = "cancelled"
				}
				emit(event, map[string]interface{}{"task_id": t.ID, "attempt": t.Attempt, "error": err.Error()})
			},
			Lost: func(t *baton.Task, err error) {
				emit("lease_lost", map[string]interface{}{"task_id": t.ID, "reason": err.Error()})
			},
			Released: func(t *baton.Task, after *pb.Task) {
				emit("released", map[string]interface{}{"task_id": t.ID, "attempt": t.Attempt, "state": after.GetState().String()})
			},
			Error: func(err error) { emit("worker_error", map[string]interface{}{"details": err.Error()}) },
		},
	})
	if err != nil {
		emit("fatal", map[string]interface{}{"details": err.Error()})
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() { <-ctx.Done(); emit("stopping", nil) }()
	if err := w.Run(ctx); err != nil {
		emit("fatal", map[string]interface{}{"details": err.Error()})
		os.Exit(1)
	}
	emit("stopped", nil)
}

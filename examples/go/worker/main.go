// Command baton-worker is a Baton worker in Go: it claims tasks, keeps each lease alive from a heartbeat goroutine,
// stops a task when a heartbeat reports that it was cancelled, and completes or fails it.
//
//	examples/go/build.sh
//	examples/go/.build/bin/baton-worker -server localhost:50051 -queue demo
//
// Flags fall back to BATON_SERVER, BATON_QUEUE, BATON_WORKER_ID and BATON_LEASE_SECONDS. It prints one JSON line
// per thing it does. SIGTERM or SIGINT: stop claiming, give the current task back for another worker at once
// (ReleaseTask: its attempt is not used up), exit 0.
//
// The demo job: the result is `<worker id> NUL <payload bytes reversed>`; a task's metadata `work_ms` makes the
// worker pretend to work that long first (heartbeating, and stopping early when the task is cancelled).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	pb "batonexample/batonv1"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

var (
	outMu sync.Mutex
	out   = json.NewEncoder(os.Stdout)
)

// emit prints one JSON line: {"event": ..., "lang": "go", ...fields}.
func emit(event string, fields map[string]interface{}) {
	line := map[string]interface{}{"event": event, "lang": "go"}
	for k, v := range fields {
		line[k] = v
	}
	outMu.Lock()
	defer outMu.Unlock()
	_ = out.Encode(line)
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// Why a task stopped before its work was done.
var (
	errCancelled = errors.New("cancel requested")
	errLeaseLost = errors.New("lease lost")
	errShutdown  = errors.New("worker shutting down")
)

// leaseGone reports heartbeat answers that mean another worker may hold the task now.
func leaseGone(err error) bool {
	switch status.Code(err) {
	case codes.Aborted, codes.NotFound, codes.FailedPrecondition:
		return true
	}
	return false
}

type worker struct {
	client   pb.WorkerServiceClient
	queue    string
	workerID string
	lease    time.Duration
	poll     time.Duration
}

// heartbeat renews the lease every lease/3 until ctx ends; it calls stop with the reason to give up the task.
func (w *worker) heartbeat(ctx context.Context, task *pb.Task, token string, stop func(error)) {
	interval := w.lease / 3
	renewed := time.Now() // monotonic; taken before the claim reply, so on the safe side
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if time.Since(renewed) >= w.lease {
			emit("lease_lost", map[string]interface{}{"task_id": task.Id, "reason": "no heartbeat got through in time"})
			stop(errLeaseLost)
			return
		}
		sent := time.Now()
		callCtx, cancel := context.WithTimeout(ctx, interval)
		reply, err := w.client.Heartbeat(callCtx, &pb.HeartbeatRequest{
			Queue: task.Queue, TaskId: task.Id, LeaseToken: token, LeaseDuration: durationpb.New(w.lease),
		})
		cancel()
		switch {
		case err != nil && leaseGone(err):
			emit("lease_lost", map[string]interface{}{"task_id": task.Id, "reason": err.Error()})
			stop(errLeaseLost)
			return
		case err != nil:
			if ctx.Err() == nil {
				emit("heartbeat_error", map[string]interface{}{"task_id": task.Id, "code": status.Code(err).String()})
			}
		default:
			renewed = sent
			if reply.CancelRequested {
				emit("cancel_requested", map[string]interface{}{"task_id": task.Id})
				stop(errCancelled)
				return
			}
		}
	}
}

// work is the demo job. It returns why it stopped early, if it did.
func (w *worker) work(stopped <-chan struct{}, reason func() error, task *pb.Task) ([]byte, error) {
	ms, _ := strconv.Atoi(task.Metadata["work_ms"])
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
	case <-stopped:
		return nil, reason()
	}
	result := append([]byte(w.workerID), 0)
	for i := len(task.Payload) - 1; i >= 0; i-- {
		result = append(result, task.Payload[i])
	}
	return result, nil
}

// process runs one claimed task to its end; shutdown gives it back.
func (w *worker) process(shutdown <-chan struct{}, task *pb.Task, token string) {
	emit("claimed", map[string]interface{}{"task_id": task.Id, "attempt": task.Attempt})
	var (
		once    sync.Once
		why     error
		stopped = make(chan struct{})
	)
	stop := func(err error) {
		once.Do(func() { why = err; close(stopped) })
	}
	reason := func() error { <-stopped; return why }
	beatCtx, endBeats := context.WithCancel(context.Background())
	var beats sync.WaitGroup
	beats.Add(1)
	go func() { defer beats.Done(); w.heartbeat(beatCtx, task, token, stop) }()
	go func() {
		select {
		case <-shutdown:
			stop(errShutdown)
		case <-stopped:
		}
	}()

	result, err := w.work(stopped, reason, task)
	endBeats()
	beats.Wait()

	// Reporting uses its own context: a shutdown must not cut the report short.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch {
	case err == nil:
		_, err = w.client.CompleteTask(ctx, &pb.CompleteTaskRequest{Queue: task.Queue, TaskId: task.Id, LeaseToken: token, Result: result})
		w.reported("completed", task, err)
	case errors.Is(err, errLeaseLost):
		// Another worker may hold the task now: our outcome would be refused.
	case errors.Is(err, errCancelled):
		_, err = w.client.FailTask(ctx, &pb.FailTaskRequest{
			Queue: task.Queue, TaskId: task.Id, LeaseToken: token, Permanent: true,
			Error: &pb.TaskError{Type: "Cancelled", Message: "cancel requested"},
		})
		w.reported("cancelled", task, err)
	case errors.Is(err, errShutdown):
		// Give the task back at once, for another worker. A release does not use up the attempt or record an
		// error; the task is PENDING again (CANCELLED if a cancel came meanwhile).
		var reply *pb.ReleaseTaskResponse
		reply, err = w.client.ReleaseTask(ctx, &pb.ReleaseTaskRequest{Queue: task.Queue, TaskId: task.Id, LeaseToken: token})
		if err != nil {
			w.reported("released", task, err)
			return
		}
		emit("released", map[string]interface{}{
			"task_id": task.Id, "attempt": task.Attempt, "state": reply.GetTask().GetState().String(),
		})
	}
}

func (w *worker) reported(event string, task *pb.Task, err error) {
	if err != nil {
		emit("report_error", map[string]interface{}{"task_id": task.Id, "code": status.Code(err).String(), "details": err.Error()})
		return
	}
	emit(event, map[string]interface{}{"task_id": task.Id, "attempt": task.Attempt})
}

func (w *worker) run(ctx context.Context) {
	emit("started", map[string]interface{}{"worker_id": w.workerID, "queue": w.queue})
	failures := 0
	for ctx.Err() == nil {
		callCtx, cancel := context.WithTimeout(ctx, w.poll+10*time.Second)
		reply, err := w.client.ClaimTasks(callCtx, &pb.ClaimTasksRequest{
			Queues: []string{w.queue}, WorkerId: w.workerID, MaxTasks: 1,
			LeaseDuration: durationpb.New(w.lease), WaitTimeout: durationpb.New(w.poll),
		})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			emit("claim_error", map[string]interface{}{"code": status.Code(err).String(), "details": err.Error()})
			failures++
			backoff := time.Duration(100<<min(failures, 6)) * time.Millisecond
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			continue
		}
		failures = 0
		for _, claimed := range reply.Tasks {
			w.process(ctx.Done(), claimed.Task, claimed.LeaseToken)
		}
	}
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func main() {
	host, _ := os.Hostname()
	leaseDefault, _ := strconv.ParseFloat(env("BATON_LEASE_SECONDS", "30"), 64)
	server := flag.String("server", env("BATON_SERVER", "localhost:50051"), "Baton server host:port")
	queue := flag.String("queue", env("BATON_QUEUE", "demo"), "queue to claim from")
	workerID := flag.String("worker-id", env("BATON_WORKER_ID", fmt.Sprintf("go-%s-%d", host, os.Getpid())), "worker id")
	leaseSeconds := flag.Float64("lease-seconds", leaseDefault, "lease length; heartbeats every third of it")
	pollSeconds := flag.Float64("poll-seconds", 10, "how long one claim waits for work")
	flag.Parse()

	conn, err := grpc.Dial(*server, grpc.WithInsecure())
	if err != nil {
		fmt.Fprintln(os.Stderr, "baton-worker:", err)
		os.Exit(1)
	}
	defer conn.Close()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	stopping := make(chan struct{})
	go func() {
		<-ctx.Done()
		emit("stopping", nil)
		close(stopping)
	}()
	w := &worker{
		client:   pb.NewWorkerServiceClient(conn),
		queue:    *queue,
		workerID: *workerID,
		lease:    time.Duration(*leaseSeconds * float64(time.Second)),
		poll:     time.Duration(*pollSeconds * float64(time.Second)),
	}
	w.run(ctx) // returns once a signal came
	<-stopping
	emit("stopped", nil)
}

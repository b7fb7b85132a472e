// Package baton is the Go SDK for Baton, a gRPC task-coordination service.
//
// A Client wraps every RPC with a deadline and, where repeating the call is safe, retries on UNAVAILABLE. A
// Submitter sends submits over one SubmitTasksStream, batching those made together. A Worker works queues on a
// WorkTasks session: a bounded pool of goroutines runs the handlers, the server pushes tasks as slots free up
// (credit = concurrency + prefetch), completions travel batched on the session, heartbeats keep each lease alive,
// and the handler's context.Context is cancelled when the task is cancelled, its lease is lost or the worker shuts
// down. Close releases (ReleaseTask) what the worker still holds, so another worker gets it at once.
//
//	w, err := baton.NewWorker(baton.WorkerOptions{Address: "localhost:50051", Queues: []string{"images"}, Concurrency: 8})
//	w.Handle("resize", func(ctx context.Context, t *baton.Task) ([]byte, error) { return resize(ctx, t.Payload) })
//	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
//	defer stop()
//	err = w.Run(ctx) // returns once ctx is done and held tasks are finished or released
//
// The generated messages and service clients are in package batonv1.
package baton

// SDKName and SDKVersion are what a worker registers itself with (RegisterWorker).
const (
	SDKName    = "baton-go"
	SDKVersion = "0.1.0"
)

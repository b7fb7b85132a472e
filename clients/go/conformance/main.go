// Command conformance is the Go SDK's worker for the SDK conformance suite (/work/conformance-spec.md, run by
// test/conformance): handlers by task type, READY/START/DONE lines on stdout, graceful shutdown on SIGTERM.
//
//	clients/go/conformance/build.sh OUT_BINARY
//	BATON_SERVER=host:port[,host:port] BATON_QUEUE=q OUT_BINARY
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	baton "github.com/batonhq/baton/clients/go"
	"go.opentelemetry.io/otel/trace"
)

var outMu sync.Mutex

// say prints one line on stdout at once (os.Stdout is unbuffered).
func say(format string, args ...interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

func envInt(name string, fallback int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return fallback
}

func main() {
	var ready sync.Once
	w, err := baton.NewWorker(baton.WorkerOptions{
		Address:         os.Getenv("BATON_SERVER"),
		Queues:          []string{os.Getenv("BATON_QUEUE")},
		Concurrency:     envInt("BATON_CONCURRENCY", 4),
		LeaseDuration:   time.Duration(envInt("BATON_LEASE_MS", 2000)) * time.Millisecond,
		WorkerID:        os.Getenv("BATON_WORKER_ID"),
		ShutdownTimeout: 2 * time.Second,
		Events: baton.Events{
			SessionOpen: func(string) { ready.Do(func() { say("READY") }) },
			Active:      func(t *baton.Task) { say("START %s", t.ID) },
			Error:       func(err error) { fmt.Fprintln(os.Stderr, "worker:", err) },
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(2)
	}
	// DONE when a handler returns successfully.
	handle := func(taskType string, fn baton.HandlerFunc) {
		w.Handle(taskType, func(ctx context.Context, t *baton.Task) ([]byte, error) {
			result, err := fn(ctx, t)
			if err == nil {
				say("DONE %s", t.ID)
			}
			return result, err
		})
	}
	handle("echo", func(ctx context.Context, t *baton.Task) ([]byte, error) {
		return append([]byte("echo:"), t.Payload...), nil
	})
	handle("sleep", func(ctx context.Context, t *baton.Task) ([]byte, error) {
		ms, err := strconv.Atoi(t.String())
		if err != nil {
			return nil, baton.Permanent(err)
		}
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
			return []byte("slept"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	handle("wait-cancel", func(ctx context.Context, t *baton.Task) ([]byte, error) {
		<-ctx.Done()
		say("CANCELLED %s", t.ID)
		return nil, baton.CancelReason(ctx)
	})
	handle("fail-permanent", func(ctx context.Context, t *baton.Task) ([]byte, error) {
		return nil, baton.Permanent(fmt.Errorf("permanent %s", t.ID))
	})
	handle("fail-retry", func(ctx context.Context, t *baton.Task) ([]byte, error) {
		if t.Attempt < 3 {
			return nil, baton.RetryAfter(fmt.Errorf("retry %d", t.Attempt), 100*time.Millisecond)
		}
		return []byte("ok after 3"), nil
	})
	handle("hold", func(ctx context.Context, t *baton.Task) ([]byte, error) {
		<-ctx.Done()
		return nil, baton.CancelReason(ctx)
	})
	handle("json", func(ctx context.Context, t *baton.Task) ([]byte, error) {
		var in struct{ A, B int }
		if err := t.JSON(&in); err != nil {
			return nil, err
		}
		return []byte(fmt.Sprintf(`{"sum":%d}`, in.A+in.B)), nil
	})
	handle("logs", func(ctx context.Context, t *baton.Task) ([]byte, error) {
		count, err := strconv.Atoi(t.String())
		if err != nil {
			return nil, baton.Permanent(err)
		}
		for i := 1; i <= count; i++ {
			t.Logf("line %d of %d", i, count)
		}
		baton.Log(ctx, "done ✓")
		return []byte(fmt.Sprintf("logged %d", count)), nil
	})

	// The trace the handler's ctx holds: the SDK's handler span, the child of the producer's.
	handle("trace", func(ctx context.Context, t *baton.Task) ([]byte, error) {
		return []byte(trace.SpanContextFromContext(ctx).TraceID().String()), nil
	})

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := w.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(1)
	}
}

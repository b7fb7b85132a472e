// A Baton worker in Go: `go run ./examples/go/worker`, or examples/go/build.sh. BATON_SERVER: host:port[,host:port].
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	baton "github.com/batonhq/baton/clients/go"
)

func main() {
	w, err := baton.NewWorker(baton.WorkerOptions{Address: os.Getenv("BATON_SERVER"), Queues: []string{"demo"}, Concurrency: 8})
	if err != nil {
		panic(err)
	}
	w.Handle("upper", func(ctx context.Context, t *baton.Task) ([]byte, error) {
		return []byte(strings.ToUpper(t.String())), nil
	})
	w.HandleDefault(func(ctx context.Context, t *baton.Task) ([]byte, error) {
		return append([]byte("echo: "), t.Payload...), nil
	})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := w.Run(ctx); err != nil { // returns after SIGTERM once held tasks are finished or released
		panic(err)
	}
}

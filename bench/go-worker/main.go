// Command go-worker is the benchmark's Go SDK worker (npm run bench -- --go): a trivial handler on a Worker, as a
// user runs it. It prints READY once set up, opens its session when a line arrives on stdin, and prints FINISHED
// once its handler has seen -n tasks and a graceful Close has sent the last completions.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"

	baton "github.com/batonhq/baton/clients/go"
)

func main() {
	// go-worker SERVER QUEUE N CONCURRENCY
	server, queue := os.Args[1], os.Args[2]
	n, _ := strconv.ParseInt(os.Args[3], 10, 64)
	concurrency, _ := strconv.Atoi(os.Args[4])
	var handled int64
	done := make(chan struct{})
	w, err := baton.NewWorker(baton.WorkerOptions{
		Address: server, Queues: []string{queue}, Concurrency: concurrency, RegisterInterval: -1,
		Handler: func(ctx context.Context, t *baton.Task) ([]byte, error) {
			if atomic.AddInt64(&handled, 1) == n {
				close(done)
			}
			return nil, nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("READY")
	stdin := bufio.NewReader(os.Stdin)
	_, _ = stdin.ReadString('\n')
	go func() {
		<-done
		_ = w.Close()
	}()
	if err := w.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("FINISHED")
	// Stay until stdin closes: the bench reads this process's CPU time from /proc after FINISHED.
	_, _ = stdin.ReadString('\n')
}

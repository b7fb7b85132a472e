package baton

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
)

// runOne runs a worker on a fake server that pushes one task, until that task is completed.
func runOne(t *testing.T, fake *fakeWorkers, handler HandlerFunc, onError func(error)) {
	t.Helper()
	client := fakeServer(t, fake)
	done := make(chan struct{})
	var once sync.Once
	w, err := NewWorker(WorkerOptions{
		Client: client, Queues: []string{"q"}, RegisterInterval: -1, LogFlushInterval: time.Hour,
		Handler: handler,
		Events: Events{
			Completed: func(*Task, *pb.Task) { once.Do(func() { close(done) }) },
			Error:     onError,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() { result <- w.Run(context.Background()) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the task was not completed within 10 s")
	}
	_ = w.Close()
	if err := <-result; err != nil {
		t.Fatal(err)
	}
}

func TestTaskLogLinesAreSentBeforeTheCompletion(t *testing.T) {
	fake := &fakeWorkers{total: 1, completed: map[string]int{}}
	runOne(t, fake, func(ctx context.Context, task *Task) ([]byte, error) {
		task.Log("resizing", 3, "images")
		task.Logf("%d of %d", 1, 3)
		Log(ctx, "two\nlines")
		task.Log(strings.Repeat("é", 3000)) // 6,000 bytes
		return []byte("ok"), nil
	}, func(err error) { t.Errorf("unexpected error: %v", err) })
	fake.mu.Lock()
	defer fake.mu.Unlock()
	var texts []string
	for _, line := range fake.logged {
		texts = append(texts, line.GetText())
	}
	want := []string{"resizing 3 images", "1 of 3", "two", "lines", strings.Repeat("é", 2048)}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("logged %q, want %q", texts, want)
	}
	if !fake.logged[4].GetTruncated() || fake.logged[0].GetTruncated() {
		t.Errorf("only the long line is marked truncated")
	}
	if fake.loggedLate {
		t.Errorf("the lines were sent after the completion")
	}
}

func TestTaskLogErrorsGoToTheErrorEventAndNeverFailTheTask(t *testing.T) {
	fake := &fakeWorkers{total: 1, completed: map[string]int{}, refuseLogs: true}
	var mu sync.Mutex
	var errs []error
	runOne(t, fake, func(ctx context.Context, task *Task) ([]byte, error) {
		task.Log("refused")
		return []byte("ok"), nil
	}, func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	})
	mu.Lock()
	defer mu.Unlock()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "log lines not stored") {
		t.Errorf("errors %v, want one saying the log lines were not stored", errs)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.completed["0"] != 1 {
		t.Errorf("the task was not completed")
	}
}

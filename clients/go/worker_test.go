package baton

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// fakeWorkers is a WorkerService that pushes `total` tasks on a WorkTasks session as credit allows and records
// what the worker sends.
type fakeWorkers struct {
	pb.UnimplementedWorkerServiceServer
	total int

	mu             sync.Mutex
	start          *pb.WorkTasksStart
	firstCredit    int32
	messages       int // messages carrying completions
	completed      map[string]int
	maxOutstanding int
	heartbeats     int
	released       []string
	refuseLogs     bool
	logged         []*pb.TaskLogEntry
	loggedLate     bool // an append came after the task's completion
}

func (f *fakeWorkers) WorkTasks(stream pb.WorkerService_WorkTasksServer) error {
	var credit, pushed, done int
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		f.mu.Lock()
		if req.Start != nil {
			f.start = req.Start
		}
		if f.firstCredit == 0 {
			f.firstCredit = req.Credit
		}
		credit += int(req.Credit)
		results := make([]*pb.CompleteTasksResult, len(req.Completions))
		for i, c := range req.Completions {
			f.completed[c.TaskId]++
			results[i] = &pb.CompleteTasksResult{TaskId: c.TaskId, State: pb.TaskState_TASK_STATE_SUCCEEDED}
		}
		done += len(req.Completions)
		if len(req.Completions) > 0 {
			f.messages++
		}
		var tasks []*pb.ClaimedTask
		for credit > 0 && pushed < f.total {
			tasks = append(tasks, &pb.ClaimedTask{Task: &pb.Task{Queue: "q", Id: fmt.Sprint(pushed), Attempt: 1}, LeaseToken: "t"})
			credit--
			pushed++
		}
		if outstanding := pushed - done; outstanding > f.maxOutstanding {
			f.maxOutstanding = outstanding
		}
		f.mu.Unlock()
		if err := stream.Send(&pb.WorkTasksResponse{Tasks: tasks, Completed: results}); err != nil {
			return err
		}
	}
}

func (f *fakeWorkers) Heartbeat(ctx context.Context, req *pb.HeartbeatRequest) (*pb.HeartbeatResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.heartbeats++
	return &pb.HeartbeatResponse{}, nil
}

func (f *fakeWorkers) ReleaseTask(ctx context.Context, req *pb.ReleaseTaskRequest) (*pb.ReleaseTaskResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = append(f.released, req.TaskId)
	return &pb.ReleaseTaskResponse{Task: &pb.Task{Id: req.TaskId, State: pb.TaskState_TASK_STATE_PENDING}}, nil
}

func (f *fakeWorkers) AppendTaskLogs(ctx context.Context, req *pb.AppendTaskLogsRequest) (*pb.AppendTaskLogsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuseLogs {
		return nil, status.Error(codes.Aborted, "lease_token does not hold the current lease")
	}
	if f.completed[req.TaskId] > 0 {
		f.loggedLate = true
	}
	f.logged = append(f.logged, req.Lines...)
	return &pb.AppendTaskLogsResponse{LastPosition: int64(len(f.logged)), FirstPosition: 1}, nil
}

func fakeServer(t *testing.T, workers *fakeWorkers) *Client {
	listener := bufconn.Listen(1 << 20)
	server := grpc.NewServer()
	pb.RegisterWorkerServiceServer(server, workers)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)
	client, err := Dial("bufnet", grpc.WithInsecure(), grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) {
		return listener.Dial()
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func TestWorkerGrantsItsWindowAndBatchesCompletions(t *testing.T) {
	fake := &fakeWorkers{total: 2000, completed: map[string]int{}}
	client := fakeServer(t, fake)
	var handled sync.WaitGroup
	handled.Add(fake.total)
	var running, most int
	var mu sync.Mutex
	w, err := NewWorker(WorkerOptions{
		Client: client, Queues: []string{"q"}, Concurrency: 8, Prefetch: 4, RegisterInterval: -1,
		Handler: func(ctx context.Context, task *Task) ([]byte, error) {
			mu.Lock()
			running++
			if running > most {
				most = running
			}
			mu.Unlock()
			time.Sleep(100 * time.Microsecond)
			mu.Lock()
			running--
			mu.Unlock()
			handled.Done()
			return []byte("ok"), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() { result <- w.Run(context.Background()) }()
	handled.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.firstCredit != 12 {
		t.Errorf("first credit %d, want concurrency + prefetch = 12", fake.firstCredit)
	}
	// (A task whose handler returned no longer counts against the window: its credit goes back at once while its
	// completion waits for the next message, so the server may see more than 12 uncompleted.)
	t.Logf("at most %d pushed and not yet completed", fake.maxOutstanding)
	if most > 8 {
		t.Errorf("%d handlers ran at once, more than the concurrency of 8", most)
	}
	if len(fake.completed) != fake.total {
		t.Errorf("%d tasks completed, want %d", len(fake.completed), fake.total)
	}
	for id, n := range fake.completed {
		if n != 1 {
			t.Fatalf("task %s completed %d times", id, n)
		}
	}
	if fake.messages >= fake.total {
		t.Errorf("%d messages for %d completions: not batched", fake.messages, fake.total)
	}
	t.Logf("%d completions in %d messages", fake.total, fake.messages)
}

func TestWorkerHeartbeatsLongTasksAndReleasesThemOnClose(t *testing.T) {
	fake := &fakeWorkers{total: 2, completed: map[string]int{}}
	client := fakeServer(t, fake)
	started := make(chan string, 2)
	reasons := make(chan error, 2)
	w, err := NewWorker(WorkerOptions{
		Client: client, Queues: []string{"q"}, Concurrency: 2, RegisterInterval: -1,
		LeaseDuration: time.Second, ShutdownTimeout: 100 * time.Millisecond,
		Handler: func(ctx context.Context, task *Task) ([]byte, error) {
			started <- task.ID
			<-ctx.Done()
			reasons <- CancelReason(ctx)
			return nil, ctx.Err()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() { result <- w.Run(context.Background()) }()
	<-started
	<-started
	time.Sleep(1100 * time.Millisecond) // past a lease: heartbeats every third of it keep both
	_ = w.Close()
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if reason := <-reasons; reason != ErrWorkerClosing {
			t.Errorf("handler cancelled with %v, want ErrWorkerClosing", reason)
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.heartbeats < 4 {
		t.Errorf("%d heartbeats for two tasks over 1.1 s with a 1 s lease; want at least 4", fake.heartbeats)
	}
	if len(fake.released) != 2 || len(fake.completed) != 0 {
		t.Errorf("released %v, completed %v; want both released, none completed", fake.released, fake.completed)
	}
}

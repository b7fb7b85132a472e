package baton

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// WorkerOptions configure a Worker. Zero values take the defaults.
type WorkerOptions struct {
	// Client to use (it stays open when the worker closes). Give this or Address.
	Client *Client
	// Address of a Baton server, or a comma-separated list (on losing one, the worker moves to the next); the
	// worker dials and closes its own client.
	Address string
	// Queues to claim from, tried in order.
	Queues []string
	// Concurrency is how many handlers run at once: the size of the goroutine pool. Default 1.
	Concurrency int
	// Prefetch is how many tasks are held beyond those running, so the next is at hand when a handler finishes;
	// their leases are kept alive while they wait, and Close gives them back at once. 0 means as many as
	// Concurrency; negative means none (best when handlers are slow and other workers should get the tasks).
	Prefetch int
	// LeaseDuration asked for each task (1s..24h); heartbeats renew it. Default 30s.
	LeaseDuration time.Duration
	// HeartbeatInterval is at most (and by default) a third of LeaseDuration.
	HeartbeatInterval time.Duration
	// WorkerID is shown in leases and operator views. Default <hostname>-<pid>-<random>.
	WorkerID string
	// ShutdownTimeout is how long Close lets running handlers finish before giving their tasks back. Default
	// 10s; negative means not at all.
	ShutdownTimeout time.Duration
	// RegisterInterval: the worker announces itself (RegisterWorker) at start and again this often while it holds
	// no task. Default 10s; negative never registers.
	RegisterInterval time.Duration
	// LogFlushInterval is how long a Task.Log line may wait to be sent with the lines after it (big batches go at
	// once, and a task's lines are sent before its outcome). Default 500ms.
	LogFlushInterval time.Duration
	// Labels registered with the worker.
	Labels map[string]string
	// Handler runs tasks whose type has no handler of its own (see Worker.Handle); without one such tasks fail
	// permanently, naming their type.
	Handler HandlerFunc
	// Events are called as things happen to tasks.
	Events Events
}

// Events are optional callbacks. They run on the SDK's goroutines: keep them short and never block in them.
type Events struct {
	// SessionOpen: a WorkTasks session was opened on the server at address.
	SessionOpen func(address string)
	// Active: a handler started on the task.
	Active func(task *Task)
	// Completed: the task was completed; after is the server's copy (or ours, brought up to date).
	Completed func(task *Task, after *pb.Task)
	// Failed: the handler's error was recorded; after is the server's copy (SCHEDULED, PENDING, FAILED,
	// EXHAUSTED or CANCELLED).
	Failed func(task *Task, after *pb.Task, err error)
	// Lost: the lease was lost; whatever the handler does now is discarded.
	Lost func(task *Task, err error)
	// Released: shutdown gave the task back for another worker; after is the server's copy.
	Released func(task *Task, after *pb.Task)
	// Error: something went wrong outside a handler (a heartbeat, a log append or the session failed, ...).
	// Default: logged.
	Error func(err error)
}

const (
	defaultLease    = 30 * time.Second
	defaultShutdown = 10 * time.Second
	defaultRegister = 10 * time.Second
	// How long shutdown waits for the server to answer the session's last completions and end it.
	sessionDrainTimeout = 5 * time.Second
)

// Worker runs handlers on the tasks of its queues, pushed to it on a WorkTasks session. See the package doc.
type Worker struct {
	client        *Client
	ownsClient    bool
	queues        []string
	workerID      string
	concurrency   int
	window        int
	lease         time.Duration
	leasePB       *durationpb.Duration
	heartbeat     time.Duration
	shutdownIn    time.Duration
	registerIn    time.Duration
	logFlushEvery time.Duration
	labels        map[string]string
	events        Events
	mux           *Mux

	mu       sync.Mutex
	cond     *sync.Cond
	waiting  []*running
	held     int // tasks that count against the window (not let go)
	active   map[*running]struct{}
	session  *session
	stopping bool
	started  bool
	fatal    error

	stop      chan struct{} // closed when shutdown begins
	loopDone  chan struct{} // closed when the session loop has ended
	closeOnce sync.Once
	closed    chan struct{} // closed when shutdown has finished
}

// NewWorker makes a worker; register handlers with Handle, then call Run.
func NewWorker(o WorkerOptions) (*Worker, error) {
	w := &Worker{
		queues:   append([]string(nil), o.Queues...),
		active:   map[*running]struct{}{},
		mux:      NewMux(),
		labels:   o.Labels,
		events:   o.Events,
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
		closed:   make(chan struct{}),
	}
	w.cond = sync.NewCond(&w.mu)
	if len(w.queues) == 0 {
		return nil, errors.New("baton.NewWorker: name at least one queue")
	}
	switch {
	case o.Client != nil:
		w.client = o.Client
	case o.Address != "":
		client, err := Dial(o.Address)
		if err != nil {
			return nil, err
		}
		w.client, w.ownsClient = client, true
	default:
		return nil, errors.New("baton.NewWorker: give a Client or an Address")
	}
	w.concurrency = o.Concurrency
	if w.concurrency == 0 {
		w.concurrency = 1
	}
	if w.concurrency < 0 {
		return nil, fmt.Errorf("baton.NewWorker: Concurrency must be positive, got %d", o.Concurrency)
	}
	prefetch := o.Prefetch
	if prefetch == 0 {
		prefetch = w.concurrency
	} else if prefetch < 0 {
		prefetch = 0
	}
	w.window = w.concurrency + prefetch
	w.lease = o.LeaseDuration
	if w.lease == 0 {
		w.lease = defaultLease
	}
	if w.lease < time.Second {
		return nil, fmt.Errorf("baton.NewWorker: LeaseDuration must be at least 1s, got %s", w.lease)
	}
	w.leasePB = durationpb.New(w.lease)
	w.heartbeat = w.lease / 3
	if o.HeartbeatInterval > 0 && o.HeartbeatInterval < w.heartbeat {
		w.heartbeat = o.HeartbeatInterval
	}
	w.shutdownIn = o.ShutdownTimeout
	if w.shutdownIn == 0 {
		w.shutdownIn = defaultShutdown
	} else if w.shutdownIn < 0 {
		w.shutdownIn = 0
	}
	w.logFlushEvery = o.LogFlushInterval
	if w.logFlushEvery <= 0 {
		w.logFlushEvery = defaultLogFlushEvery
	}
	w.registerIn = o.RegisterInterval
	if w.registerIn == 0 {
		w.registerIn = defaultRegister
	}
	w.workerID = o.WorkerID
	if w.workerID == "" {
		w.workerID = defaultWorkerID()
	}
	if o.Handler != nil {
		w.mux.HandleDefault(o.Handler)
	}
	return w, nil
}

// WorkerID is the id this worker claims under.
func (w *Worker) WorkerID() string { return w.workerID }

// Client is the client the worker uses.
func (w *Worker) Client() *Client { return w.client }

// Handle registers fn for tasks of type taskType.
func (w *Worker) Handle(taskType string, fn HandlerFunc) { w.mux.Handle(taskType, fn) }

// HandleDefault registers fn for tasks whose type has no handler of its own.
func (w *Worker) HandleDefault(fn HandlerFunc) { w.mux.HandleDefault(fn) }

// Run works until ctx is done (then shuts down gracefully, as Close) or Close is called, and returns once the
// shutdown has finished: nil, or the error the server refused the session with for good (e.g. INVALID_ARGUMENT
// for a bad queue name).
func (w *Worker) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.started {
		w.mu.Unlock()
		return errors.New("baton: Worker.Run was already called")
	}
	w.started = true
	w.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
			_ = w.Close()
		case <-w.stop:
		}
	}()
	for i := 0; i < w.concurrency; i++ {
		go w.pool()
	}
	if w.registerIn > 0 {
		go w.registration()
	}
	w.sessionLoop()
	_ = w.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fatal
}

// Close shuts down gracefully: stops taking tasks, gives back those held that did not start, lets running
// handlers finish for up to ShutdownTimeout, then cancels the rest (CancelReason: ErrWorkerClosing) and gives
// their tasks back (ReleaseTask: another worker gets them at once, no attempt used up). Safe to call more than
// once and from any goroutine; returns when the shutdown has finished.
func (w *Worker) Close() error {
	w.closeOnce.Do(func() { go w.shutdown() })
	<-w.closed
	return nil
}

func (w *Worker) isStopping() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopping
}

func (w *Worker) report(err error) {
	if w.events.Error != nil {
		w.events.Error(err)
		return
	}
	log.Printf("baton worker %s: %v", w.workerID, err)
}

func defaultWorkerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "go"
	}
	return fmt.Sprintf("%s-%d-%06x", host, os.Getpid(), randomSuffix())
}

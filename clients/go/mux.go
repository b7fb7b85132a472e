package baton

import (
	"context"
	"fmt"
	"sync"
)

// HandlerFunc runs one task: return its result (nil for none) or an error to fail the attempt. Permanent(err)
// fails the task for good, RetryAfter(err, d) sets the retry's delay; any other error is retried with the task's
// backoff. ctx is cancelled when the handler should stop (CancelReason says why).
type HandlerFunc func(ctx context.Context, task *Task) ([]byte, error)

// Mux routes tasks to handlers by task type, like asynq's ServeMux or Celery's task names. A task whose type
// has no handler goes to the default handler, or, without one, fails permanently with a message naming the type.
type Mux struct {
	mu       sync.RWMutex
	handlers map[string]HandlerFunc
	fallback HandlerFunc
}

// NewMux makes an empty Mux.
func NewMux() *Mux { return &Mux{handlers: map[string]HandlerFunc{}} }

// Handle registers fn for tasks of type taskType, replacing any handler it had.
func (m *Mux) Handle(taskType string, fn HandlerFunc) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.handlers[taskType] = fn
}

// HandleDefault registers fn for tasks whose type has no handler of its own (an untyped task included).
func (m *Mux) HandleDefault(fn HandlerFunc) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fallback = fn
}

// Handler is the handler for a task type, and whether one (or a default) was registered.
func (m *Mux) Handler(taskType string) (HandlerFunc, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if fn, ok := m.handlers[taskType]; ok {
		return fn, true
	}
	return m.fallback, m.fallback != nil
}

// Run runs task on the handler for its type.
func (m *Mux) Run(ctx context.Context, task *Task) ([]byte, error) {
	fn, ok := m.Handler(task.Type)
	if !ok {
		return nil, Permanent(fmt.Errorf("no handler for task type %q", task.Type))
	}
	return fn(ctx, task)
}

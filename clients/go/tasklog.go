package baton

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	// What the server keeps of a task's log: more buffered than this would be dropped there.
	logKeptLines = 1000
	logKeptBytes = 64 * 1024
	// A longer line is cut here, at a character boundary, and marked truncated.
	logLineMaxBytes = 4096
	// A batch this big goes at once rather than at the next interval.
	logFlushLines        = 200
	logFlushBytes        = 32 * 1024
	logAppendTimeout     = 10 * time.Second
	defaultLogFlushEvery = 500 * time.Millisecond
)

// Log appends a line to the task's log (read with `baton logs`, GetTaskLogs or the dashboard), formatted as
// fmt.Sprintln does without its newline; each line of the text is one log line, cut to 4 KiB. Lines are batched
// and stored before the task's outcome. It never fails the handler: a failed append goes to Events.Error.
func (t *Task) Log(args ...interface{}) {
	if t.entry == nil {
		return
	}
	t.entry.taskLog().log(strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
}

// Logf is Log formatted as fmt.Sprintf does.
func (t *Task) Logf(format string, args ...interface{}) {
	if t.entry == nil {
		return
	}
	t.entry.taskLog().log(fmt.Sprintf(format, args...))
}

// Log is Task.Log for the task whose handler was given ctx; it does nothing for another context.
func Log(ctx context.Context, args ...interface{}) {
	if e, ok := ctx.Value(reasonKey{}).(*running); ok {
		e.task.Log(args...)
	}
}

// cutLine is text as valid UTF-8 within max bytes, cut at a character boundary; and whether it was cut.
func cutLine(text string, max int) (string, bool) {
	text = strings.ToValidUTF8(text, "\uFFFD")
	if len(text) <= max {
		return text, false
	}
	end := max
	for end > 0 && !utf8.RuneStart(text[end]) {
		end--
	}
	return text[:end], true
}

// taskLog holds a running task's unsent log lines: sent when the flush interval passed since the first of them,
// when a batch is big, and by flush before the task's outcome is reported. Appends go one at a time, in order.
type taskLog struct {
	w *Worker
	e *running

	sendMu  sync.Mutex // held while a batch is taken and sent, so batches go in the order they were logged
	mu      sync.Mutex
	pending []*pb.TaskLogEntry
	bytes   int
	timer   *time.Timer
	closed  bool
}

// taskLog is the task's log, made at its first line.
func (e *running) taskLog() *taskLog {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.log == nil {
		e.log = &taskLog{w: e.worker, e: e}
	}
	return e.log
}

func (l *taskLog) log(text string) {
	now := timestamppb.Now()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	for _, piece := range strings.Split(text, "\n") {
		line, truncated := cutLine(strings.TrimSuffix(piece, "\r"), logLineMaxBytes)
		l.pending = append(l.pending, &pb.TaskLogEntry{Text: line, Time: now, Truncated: truncated})
		l.bytes += len(line)
	}
	for len(l.pending) > logKeptLines || l.bytes > logKeptBytes {
		l.bytes -= len(l.pending[0].GetText())
		l.pending = l.pending[1:]
	}
	big := len(l.pending) >= logFlushLines || l.bytes >= logFlushBytes
	if !big && l.timer == nil {
		l.timer = time.AfterFunc(l.w.logFlushEvery, l.flush)
	}
	l.mu.Unlock()
	if big {
		go l.flush()
	}
}

// flush sends what is buffered and returns once it is answered; a failure goes to the worker's error callback.
func (l *taskLog) flush() {
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	l.mu.Lock()
	batch := l.pending
	l.pending, l.bytes = nil, 0
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), logAppendTimeout)
	defer cancel()
	task := l.e.task
	_, err := l.w.client.AppendTaskLogs(ctx, &pb.AppendTaskLogsRequest{Queue: task.Queue, TaskId: task.ID, LeaseToken: l.e.token, Lines: batch})
	if err != nil {
		l.w.report(fmt.Errorf("task %s: log lines not stored: %w", task.ID, err))
	}
}

// close drops what is buffered and takes no more lines (the task is over for this worker).
func (l *taskLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.pending, l.bytes = nil, 0
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
}

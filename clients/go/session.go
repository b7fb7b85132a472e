package baton

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The most credit one message may grant (WorkTasksRequest.credit).
const maxCreditPerMessage = 1000

// How many messages of completions may await their answer at once (see write).
const maxCompletionMessagesInFlight = 1

// session is one WorkTasks stream seen from a worker: credit out, tasks in, completions out, their results in.
// One goroutine writes (gRPC streams take one sender at a time): each message carries every completion queued
// while the previous one was being sent, and the credit granted meanwhile. Credit alone waits while the server
// still holds more than half of the worker's window (as HTTP/2 holds back WINDOW_UPDATE), to ride on the next
// completion instead of costing both sides a message of its own.
type session struct {
	stream   pb.WorkerService_WorkTasksClient
	cancel   context.CancelFunc
	lowWater int64
	onTasks  func([]*pb.ClaimedTask)

	mu         sync.Mutex
	alive      bool         // the stream has not ended
	open       bool         // completions can still be sent (not closing)
	closing    bool         // close() was called: half-close once what is queued is sent
	pending    []completion // queued, not sent yet
	sent       [][]completion
	credit     int64 // granted, not sent yet
	creditSent int64
	delivered  int64
	wake       chan struct{}

	ended chan struct{}
	err   error // why the stream ended (nil: it ended OK); read after ended is closed
}

func openSession(client *Client, start *pb.WorkTasksStart, window, initialCredit int, onTasks func([]*pb.ClaimedTask)) (*session, int, error) {
	conn, index, err := client.conn()
	if err != nil {
		return nil, index, err
	}
	s, err := startSession(conn, start, window, initialCredit, onTasks)
	return s, index, err
}

func startSession(conn grpc.ClientConnInterface, start *pb.WorkTasksStart, window, initialCredit int, onTasks func([]*pb.ClaimedTask)) (*session, error) {
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := pb.NewWorkerServiceClient(conn).WorkTasks(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	s := &session{
		stream:   stream,
		cancel:   cancel,
		lowWater: int64(window / 2),
		onTasks:  onTasks,
		alive:    true,
		open:     true,
		wake:     make(chan struct{}, 1),
		ended:    make(chan struct{}),
	}
	if initialCredit < 0 {
		initialCredit = 0
	}
	s.credit = int64(initialCredit)
	if err := stream.Send(&pb.WorkTasksRequest{Start: start}); err != nil {
		// The real reason comes from Recv.
		_, err = stream.Recv()
		cancel()
		return nil, err
	}
	go s.receive()
	go s.write()
	s.signal()
	return s, nil
}

func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// grant lets the server push n more tasks.
func (s *session) grant(n int) {
	s.mu.Lock()
	s.credit += int64(n)
	s.mu.Unlock()
	s.signal()
}

// complete queues a completion for the next message; false when the session takes no more (send it elsewhere).
func (s *session) complete(c completion) bool {
	s.mu.Lock()
	if !s.open {
		s.mu.Unlock()
		return false
	}
	s.pending = append(s.pending, c)
	s.mu.Unlock()
	s.signal()
	return true
}

// isOpen reports whether completions can still be sent on it.
func (s *session) isOpen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// tasksReceived is how many tasks the server pushed on it.
func (s *session) tasksReceived() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// close asks the server to stop pushing: what is queued is sent, then the stream is half-closed; the server
// answers what it received and ends the stream.
func (s *session) close() {
	s.mu.Lock()
	s.closing = true
	s.open = false
	s.mu.Unlock()
	s.signal()
}

// abort ends the stream at once (the server may be gone).
func (s *session) abort() { s.cancel() }

func (s *session) write() {
	for {
		select {
		case <-s.wake:
		case <-s.ended:
			return
		}
		// Let handlers finishing at the same moment queue their completions too: one message for all of them.
		runtime.Gosched()
		for {
			s.mu.Lock()
			if !s.alive {
				s.mu.Unlock()
				return
			}
			var batch []completion
			// Group commit: while one message of completions awaits its answer, the next ones gather (credit
			// still goes alone when the server runs low). A busy worker sends fewer, fuller messages, each of
			// which costs the server one round of work; an idle one sends each completion at once.
			if len(s.sent) < maxCompletionMessagesInFlight || s.closing {
				batch, s.pending = takeBatch(s.pending)
				if len(s.pending) == 0 {
					s.pending = nil
				}
			}
			var credit int64
			if !s.closing && s.credit > 0 && (len(batch) > 0 || s.creditSent-s.delivered <= s.lowWater) {
				credit = s.credit
				if credit > maxCreditPerMessage {
					credit = maxCreditPerMessage
				}
				s.credit -= credit
				s.creditSent += credit
			}
			if len(batch) > 0 {
				s.sent = append(s.sent, batch)
			}
			halfClose := s.closing && len(batch) == 0 && len(s.pending) == 0
			s.mu.Unlock()
			if halfClose {
				_ = s.stream.CloseSend()
				return
			}
			if len(batch) == 0 && credit == 0 {
				break
			}
			req := &pb.WorkTasksRequest{Credit: int32(credit)}
			if len(batch) > 0 {
				req.Completions = make([]*pb.CompleteTaskRequest, len(batch))
				for i, c := range batch {
					req.Completions[i] = c.req
				}
			}
			if err := s.stream.Send(req); err != nil {
				// The stream is over; Recv sees why and fails what was not answered.
				return
			}
		}
	}
}

func (s *session) receive() {
	for {
		msg, err := s.stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			s.end(err)
			return
		}
		if len(msg.Completed) > 0 {
			s.mu.Lock()
			var batch []completion
			if len(s.sent) > 0 {
				batch = s.sent[0]
				s.sent = s.sent[1:]
			}
			more := len(s.pending) > 0
			s.mu.Unlock()
			if more {
				s.signal()
			}
			for i, c := range batch {
				if i < len(msg.Completed) {
					c.done(msg.Completed[i], nil)
				} else {
					c.done(nil, status.Errorf(codes.Internal, "the server answered %d of %d completions", len(msg.Completed), len(batch)))
				}
			}
		}
		if len(msg.Tasks) > 0 {
			s.mu.Lock()
			s.delivered += int64(len(msg.Tasks))
			more := s.credit > 0
			s.mu.Unlock()
			if more {
				s.signal()
			}
			s.onTasks(msg.Tasks)
		}
	}
}

func (s *session) end(err error) {
	s.mu.Lock()
	s.alive = false
	s.open = false
	unanswered := s.sent
	queued := s.pending
	s.sent, s.pending = nil, nil
	s.mu.Unlock()
	s.err = err
	close(s.ended)
	s.cancel()
	// Unanswered completions may or may not have been made; repeating them is safe, so they fail as retryable.
	detail := "the session ended before answering these completions"
	if err != nil {
		detail += ": " + err.Error()
	}
	lost := status.Error(codes.Unavailable, detail)
	for _, batch := range unanswered {
		for _, c := range batch {
			c.done(nil, lost)
		}
	}
	for _, c := range queued {
		c.done(nil, lost)
	}
}

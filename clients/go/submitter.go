package baton

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The server's limit of items per SubmitTasks batch...
const maxSubmitItems = 1000

// ...and a message kept well inside gRPC's default 4 MiB limit (one larger payload still goes alone).
const maxSubmitBytes = 1 << 20

// How long a submit that names its task id keeps being resent after its stream broke (as SubmitTask retries).
const resendWithin = 10 * time.Second

// Submitter submits over one long-lived SubmitTasksStream, for producers that submit continuously: a message
// costs the server far less than a call. Submits made while the previous message was being sent travel together
// in the next one. It is safe for concurrent use: call Submit from as many goroutines as you like.
//
// A submit that names its task id is resent on a new stream for up to 10 s when its stream breaks before the
// answer (submitting it twice is harmless); one without an id then fails with UNAVAILABLE, since it may have
// been stored.
type Submitter struct {
	client      *Client
	returnTasks bool

	mu       sync.Mutex
	waiting  []*pendingSubmit
	stream   *submitStream
	closed   bool
	wake     chan struct{}
	done     chan struct{}
	failures int
}

type pendingSubmit struct {
	req         *pb.SubmitTaskRequest
	result      chan submitAnswer
	resendUntil time.Time
}

type submitAnswer struct {
	res *pb.SubmitTasksResult
	err error
}

type submitStream struct {
	call       pb.TaskService_SubmitTasksStreamClient
	cancel     context.CancelFunc
	index      int
	unanswered [][]*pendingSubmit
	broken     bool
}

// NewSubmitter makes a Submitter on c; returnTasks asks for the whole stored task in each result. Close it when
// done.
func (c *Client) NewSubmitter(returnTasks bool) *Submitter {
	s := &Submitter{client: c, returnTasks: returnTasks, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.send()
	return s
}

// Submit submits one task and returns its result (id, created, state), the item's own error (e.g.
// INVALID_ARGUMENT) or UNAVAILABLE. ctx bounds the wait, not the submit: one already sent may still be stored.
// A request without a TraceContext gets ctx's span context, as in Client.SubmitTask.
func (s *Submitter) Submit(ctx context.Context, req *pb.SubmitTaskRequest) (*pb.SubmitTasksResult, error) {
	withTraceContext(ctx, req)
	answers, err := s.enqueue([]*pb.SubmitTaskRequest{req})
	if err != nil {
		return nil, err
	}
	select {
	case a := <-answers[0]:
		return a.res, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// SubmitAll submits many tasks together and returns one result and one error per request, in order.
func (s *Submitter) SubmitAll(ctx context.Context, reqs []*pb.SubmitTaskRequest) ([]*pb.SubmitTasksResult, []error) {
	for _, req := range reqs {
		withTraceContext(ctx, req)
	}
	results := make([]*pb.SubmitTasksResult, len(reqs))
	errs := make([]error, len(reqs))
	answers, err := s.enqueue(reqs)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return results, errs
	}
	for i, ch := range answers {
		select {
		case a := <-ch:
			results[i], errs[i] = a.res, a.err
		case <-ctx.Done():
			errs[i] = ctx.Err()
		}
	}
	return results, errs
}

func (s *Submitter) enqueue(reqs []*pb.SubmitTaskRequest) ([]chan submitAnswer, error) {
	answers := make([]chan submitAnswer, len(reqs))
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("baton: the submitter is closed")
	}
	for i, req := range reqs {
		answers[i] = make(chan submitAnswer, 1)
		s.waiting = append(s.waiting, &pendingSubmit{req: req, result: answers[i]})
	}
	s.mu.Unlock()
	s.signal()
	return answers, nil
}

func (s *Submitter) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Close sends what is waiting, waits until every submit has its answer, then ends the stream.
func (s *Submitter) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.signal()
	<-s.done
	return nil
}

// takeMessage splits off the first message's worth of waiting submits.
func takeMessage(waiting []*pendingSubmit) (message, rest []*pendingSubmit) {
	bytes, n := 0, 0
	for _, p := range waiting {
		bytes += len(p.req.GetPayload())
		if n == maxSubmitItems || (n > 0 && bytes > maxSubmitBytes) {
			break
		}
		n++
	}
	return waiting[:n:n], waiting[n:]
}

// send is the one goroutine that writes on the stream.
func (s *Submitter) send() {
	defer close(s.done)
	for {
		<-s.wake
		for {
			s.mu.Lock()
			if len(s.waiting) == 0 {
				finished := s.closed && (s.stream == nil || len(s.stream.unanswered) == 0)
				stream := s.stream
				if finished {
					s.stream = nil
				}
				s.mu.Unlock()
				if finished {
					if stream != nil {
						_ = stream.call.CloseSend()
						stream.cancel()
					}
					return
				}
				break
			}
			if s.stream == nil {
				s.mu.Unlock()
				stream, err := s.open()
				s.mu.Lock()
				if err != nil {
					// Named submits wait for another try (retryLater wakes this loop); the rest have failed.
					s.failWaiting(err)
					retrying := len(s.waiting) > 0
					s.mu.Unlock()
					if retrying {
						break
					}
					continue
				}
				s.stream = stream
			}
			stream := s.stream
			var message []*pendingSubmit
			message, s.waiting = takeMessage(s.waiting)
			if len(s.waiting) == 0 {
				s.waiting = nil
			}
			stream.unanswered = append(stream.unanswered, message)
			s.mu.Unlock()
			req := &pb.SubmitTasksStreamRequest{ReturnTasks: s.returnTasks, Requests: make([]*pb.SubmitTaskRequest, len(message))}
			for i, p := range message {
				req.Requests[i] = p.req
			}
			if err := stream.call.Send(req); err != nil {
				// The receiver sees why and sorts out what was unanswered.
				s.waitBroken(stream)
			}
		}
	}
}

// waitBroken waits until the receiver has handled the broken stream (so its submits are resent or failed).
func (s *Submitter) waitBroken(stream *submitStream) {
	for {
		s.mu.Lock()
		broken := stream.broken
		s.mu.Unlock()
		if broken {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// failWaiting fails what waits when no stream can be opened (s.mu held): named submits get another try later.
func (s *Submitter) failWaiting(err error) {
	now := time.Now()
	var keep []*pendingSubmit
	for _, p := range s.waiting {
		if p.resendUntil.IsZero() {
			p.resendUntil = now.Add(resendWithin)
		}
		if status.Code(err) == codes.Unavailable && p.req.GetTaskId() != "" && now.Before(p.resendUntil) {
			keep = append(keep, p)
		} else {
			p.result <- submitAnswer{err: err}
		}
	}
	s.waiting = keep
	if len(keep) > 0 {
		s.retryLater()
	}
}

// retryLater wakes the sender after a backoff (s.mu held).
func (s *Submitter) retryLater() {
	wait := callBackoff(s.failures)
	s.failures++
	time.AfterFunc(wait, s.signal)
}

func (s *Submitter) open() (*submitStream, error) {
	conn, index, err := s.client.conn()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	call, err := pb.NewTaskServiceClient(conn).SubmitTasksStream(ctx)
	if err != nil {
		cancel()
		if status.Code(err) == codes.Unavailable {
			s.client.failover(index)
		}
		return nil, err
	}
	stream := &submitStream{call: call, cancel: cancel, index: index}
	go s.receive(stream)
	return stream, nil
}

func (s *Submitter) receive(stream *submitStream) {
	for {
		msg, err := stream.call.Recv()
		if err != nil {
			s.broken(stream, err)
			return
		}
		s.mu.Lock()
		s.failures = 0
		var message []*pendingSubmit
		if len(stream.unanswered) > 0 {
			message = stream.unanswered[0]
			stream.unanswered = stream.unanswered[1:]
		}
		finished := s.closed && len(s.waiting) == 0 && len(stream.unanswered) == 0
		s.mu.Unlock()
		for i, p := range message {
			switch {
			case i >= len(msg.Results):
				p.result <- submitAnswer{err: status.Error(codes.Internal, "the server answered fewer items than were sent")}
			case msg.Results[i].GetError() != nil:
				e := msg.Results[i].GetError()
				p.result <- submitAnswer{err: status.Error(codes.Code(e.GetCode()), e.GetMessage())}
			default:
				p.result <- submitAnswer{res: msg.Results[i]}
			}
		}
		if finished {
			s.signal()
		}
	}
}

// broken: the stream ended; what it left unanswered is resent (named submits) or fails.
func (s *Submitter) broken(stream *submitStream, err error) {
	stream.cancel()
	if errors.Is(err, io.EOF) || status.Code(err) == codes.OK {
		err = status.Error(codes.Unavailable, "the submit stream ended")
	}
	if status.Code(err) == codes.Unavailable {
		s.client.failover(stream.index)
	}
	s.mu.Lock()
	if s.stream == stream {
		s.stream = nil
	}
	stream.broken = true
	now := time.Now()
	var resend []*pendingSubmit
	for _, message := range stream.unanswered {
		for _, p := range message {
			if p.resendUntil.IsZero() {
				p.resendUntil = now.Add(resendWithin)
			}
			if status.Code(err) == codes.Unavailable && p.req.GetTaskId() != "" && now.Before(p.resendUntil) {
				resend = append(resend, p)
			} else {
				p.result <- submitAnswer{err: err}
			}
		}
	}
	stream.unanswered = nil
	if len(resend) > 0 {
		s.waiting = append(resend, s.waiting...)
		s.retryLater()
	} else {
		s.mu.Unlock()
		s.signal()
		return
	}
	s.mu.Unlock()
}

package baton

import (
	"context"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A message (a session message or one CompleteTasks call) takes at most this many completions...
const maxBatchItems = 1000

// ...and about this many result bytes, well under the servers' message size limit.
const maxBatchBytes = 4 << 20

// completion is one task's completion on its way, and who waits for the server's word on it.
type completion struct {
	req *pb.CompleteTaskRequest
	// done gets the item's result, or the error of the whole message; called once, from the session's goroutine.
	done func(*pb.CompleteTasksResult, error)
}

// takeBatch splits off the first message's worth of pending: up to maxBatchItems completions and about
// maxBatchBytes of results (one larger result still goes, alone).
func takeBatch(pending []completion) (batch, rest []completion) {
	bytes := 0
	n := 0
	for _, c := range pending {
		size := len(c.req.GetResult())
		if n == maxBatchItems || (n > 0 && bytes+size > maxBatchBytes) {
			break
		}
		bytes += size
		n++
	}
	return pending[:n:n], pending[n:]
}

// sendCompletion queues c on the open session, or sends it on its own call when there is none.
func (w *Worker) sendCompletion(c completion) {
	w.mu.Lock()
	sess := w.session
	w.mu.Unlock()
	if sess != nil && sess.complete(c) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
		defer cancel()
		reply, err := w.client.completeTasksOnce(ctx, &pb.CompleteTasksRequest{Requests: []*pb.CompleteTaskRequest{c.req}})
		if err == nil && len(reply.GetResults()) != 1 {
			err = status.Errorf(codes.Internal, "the server answered %d of 1 completions", len(reply.GetResults()))
		}
		if err != nil {
			c.done(nil, err)
			return
		}
		c.done(reply.GetResults()[0], nil)
	}()
}

package baton

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

type callOptions struct {
	retry bool
	extra time.Duration // a wait the call makes on the server, added to the default deadline
}

// invoke runs one unary call: DefaultTimeout (+ extra) unless ctx has a deadline, and retries on UNAVAILABLE
// when retry is set, moving to the next address.
func invoke[Resp any](ctx context.Context, c *Client, o callOptions, call func(ctx context.Context, conn *grpc.ClientConn) (Resp, error)) (Resp, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout+o.extra)
		defer cancel()
	}
	for attempt := 0; ; attempt++ {
		conn, i, err := c.conn()
		if err != nil {
			var zero Resp
			return zero, err
		}
		resp, err := call(ctx, conn)
		if err == nil || status.Code(err) != codes.Unavailable {
			return resp, err
		}
		c.failover(i)
		if !o.retry {
			return resp, err
		}
		wait := callBackoff(attempt)
		if deadline, _ := ctx.Deadline(); time.Now().Add(wait).After(deadline) {
			return resp, err
		}
		select {
		case <-ctx.Done():
			return resp, err
		case <-time.After(wait):
		}
	}
}

func durationOf(d *durationpb.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.AsDuration()
}

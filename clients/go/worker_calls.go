package baton

import (
	"context"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc"
)

// WorkerService calls. The worker uses the ...Once variants: it retries by itself, within the lease.

// ClaimTasks claims up to in.max_tasks tasks, waiting up to in.wait_timeout.
func (c *Client) ClaimTasks(ctx context.Context, in *pb.ClaimTasksRequest) (*pb.ClaimTasksResponse, error) {
	return invoke(ctx, c, callOptions{retry: true, extra: durationOf(in.GetWaitTimeout())}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.ClaimTasksResponse, error) {
		return pb.NewWorkerServiceClient(cc).ClaimTasks(ctx, in)
	})
}

// StartTask leases one named task now, creating it if needed; not retried.
func (c *Client) StartTask(ctx context.Context, in *pb.StartTaskRequest) (*pb.StartTaskResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.StartTaskResponse, error) {
		return pb.NewWorkerServiceClient(cc).StartTask(ctx, in)
	})
}

// Heartbeat extends a lease, reports progress and says whether cancel was requested.
func (c *Client) Heartbeat(ctx context.Context, in *pb.HeartbeatRequest) (*pb.HeartbeatResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.HeartbeatResponse, error) {
		return pb.NewWorkerServiceClient(cc).Heartbeat(ctx, in)
	})
}

// heartbeatOnce is one try (the worker's lease keeper retries by itself); it still moves on from a server gone.
func (c *Client) heartbeatOnce(ctx context.Context, in *pb.HeartbeatRequest) (*pb.HeartbeatResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.HeartbeatResponse, error) {
		return pb.NewWorkerServiceClient(cc).Heartbeat(ctx, in)
	})
}

// CompleteTask finishes a held task; repeating it is safe, so it is retried.
func (c *Client) CompleteTask(ctx context.Context, in *pb.CompleteTaskRequest) (*pb.CompleteTaskResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.CompleteTaskResponse, error) {
		return pb.NewWorkerServiceClient(cc).CompleteTask(ctx, in)
	})
}

// CompleteTasks completes up to 1,000 held tasks in one call; each result says whether its item succeeded.
func (c *Client) CompleteTasks(ctx context.Context, in *pb.CompleteTasksRequest) (*pb.CompleteTasksResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.CompleteTasksResponse, error) {
		return pb.NewWorkerServiceClient(cc).CompleteTasks(ctx, in)
	})
}

func (c *Client) completeTasksOnce(ctx context.Context, in *pb.CompleteTasksRequest) (*pb.CompleteTasksResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.CompleteTasksResponse, error) {
		return pb.NewWorkerServiceClient(cc).CompleteTasks(ctx, in)
	})
}

// ReleaseTask gives a held task back at once without using up its attempt.
func (c *Client) ReleaseTask(ctx context.Context, in *pb.ReleaseTaskRequest) (*pb.ReleaseTaskResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.ReleaseTaskResponse, error) {
		return pb.NewWorkerServiceClient(cc).ReleaseTask(ctx, in)
	})
}

// FailTask fails the current attempt; not retried (a repeat could fail the next attempt).
func (c *Client) FailTask(ctx context.Context, in *pb.FailTaskRequest) (*pb.FailTaskResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.FailTaskResponse, error) {
		return pb.NewWorkerServiceClient(cc).FailTask(ctx, in)
	})
}

// AppendTaskLogs appends lines to a held task's log (handlers use Task.Log, which batches); not retried: a repeat
// could store the lines twice.
func (c *Client) AppendTaskLogs(ctx context.Context, in *pb.AppendTaskLogsRequest) (*pb.AppendTaskLogsResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.AppendTaskLogsResponse, error) {
		return pb.NewWorkerServiceClient(cc).AppendTaskLogs(ctx, in)
	})
}

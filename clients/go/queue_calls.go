package baton

import (
	"context"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc"
)

// GetQueue returns one queue's counts, settings and live workers.
func (c *Client) GetQueue(ctx context.Context, in *pb.GetQueueRequest) (*pb.GetQueueResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.GetQueueResponse, error) {
		return pb.NewQueueServiceClient(cc).GetQueue(ctx, in)
	})
}

// ListQueues returns one page of queues, by name.
func (c *Client) ListQueues(ctx context.Context, in *pb.ListQueuesRequest) (*pb.ListQueuesResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.ListQueuesResponse, error) {
		return pb.NewQueueServiceClient(cc).ListQueues(ctx, in)
	})
}

// PauseQueue stops claims from a queue.
func (c *Client) PauseQueue(ctx context.Context, in *pb.PauseQueueRequest) (*pb.PauseQueueResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.PauseQueueResponse, error) {
		return pb.NewQueueServiceClient(cc).PauseQueue(ctx, in)
	})
}

// ResumeQueue lets claims from a queue go on.
func (c *Client) ResumeQueue(ctx context.Context, in *pb.ResumeQueueRequest) (*pb.ResumeQueueResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.ResumeQueueResponse, error) {
		return pb.NewQueueServiceClient(cc).ResumeQueue(ctx, in)
	})
}

// PurgeQueue deletes a queue's waiting (and optionally finished) tasks; not retried.
func (c *Client) PurgeQueue(ctx context.Context, in *pb.PurgeQueueRequest) (*pb.PurgeQueueResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.PurgeQueueResponse, error) {
		return pb.NewQueueServiceClient(cc).PurgeQueue(ctx, in)
	})
}

// DeleteQueue deletes a queue, its tasks and settings; refused while tasks are leased unless Force. Not retried.
func (c *Client) DeleteQueue(ctx context.Context, in *pb.DeleteQueueRequest) (*pb.DeleteQueueResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.DeleteQueueResponse, error) {
		return pb.NewQueueServiceClient(cc).DeleteQueue(ctx, in)
	})
}

// RetryTasks makes finished tasks PENDING again in bulk; not retried.
func (c *Client) RetryTasks(ctx context.Context, in *pb.RetryTasksRequest) (*pb.RetryTasksResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.RetryTasksResponse, error) {
		return pb.NewQueueServiceClient(cc).RetryTasks(ctx, in)
	})
}

// UpdateQueue changes a queue's defaults and limits.
func (c *Client) UpdateQueue(ctx context.Context, in *pb.UpdateQueueRequest) (*pb.UpdateQueueResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.UpdateQueueResponse, error) {
		return pb.NewQueueServiceClient(cc).UpdateQueue(ctx, in)
	})
}

// ListActiveTasks returns what each worker holds now, grouped by worker.
func (c *Client) ListActiveTasks(ctx context.Context, in *pb.ListActiveTasksRequest) (*pb.ListActiveTasksResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.ListActiveTasksResponse, error) {
		return pb.NewQueueServiceClient(cc).ListActiveTasks(ctx, in)
	})
}

// ListCompletedTasks returns a queue's most recently finished tasks, newest first.
func (c *Client) ListCompletedTasks(ctx context.Context, in *pb.ListCompletedTasksRequest) (*pb.ListCompletedTasksResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.ListCompletedTasksResponse, error) {
		return pb.NewQueueServiceClient(cc).ListCompletedTasks(ctx, in)
	})
}

// RegisterWorker announces a worker.
func (c *Client) RegisterWorker(ctx context.Context, in *pb.RegisterWorkerRequest) (*pb.RegisterWorkerResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.RegisterWorkerResponse, error) {
		return pb.NewQueueServiceClient(cc).RegisterWorker(ctx, in)
	})
}

// ListWorkers returns a page of workers, most recently seen first (page_size, page_token, next_page_token).
func (c *Client) ListWorkers(ctx context.Context, in *pb.ListWorkersRequest) (*pb.ListWorkersResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.ListWorkersResponse, error) {
		return pb.NewQueueServiceClient(cc).ListWorkers(ctx, in)
	})
}

// GetWorker returns one worker.
func (c *Client) GetWorker(ctx context.Context, in *pb.GetWorkerRequest) (*pb.GetWorkerResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.GetWorkerResponse, error) {
		return pb.NewQueueServiceClient(cc).GetWorker(ctx, in)
	})
}

package baton

import (
	"context"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc"
)

// TaskService calls. Each says whether it is retried: only where repeating it cannot do something twice.

// SubmitTask submits one task; retried only when it names its task_id (a repeat is then harmless). A request
// without a TraceContext gets ctx's span context, when ctx holds one.
func (c *Client) SubmitTask(ctx context.Context, in *pb.SubmitTaskRequest) (*pb.SubmitTaskResponse, error) {
	withTraceContext(ctx, in)
	return invoke(ctx, c, callOptions{retry: in.GetTaskId() != ""}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.SubmitTaskResponse, error) {
		return pb.NewTaskServiceClient(cc).SubmitTask(ctx, in)
	})
}

// SubmitTasks submits up to 1,000 tasks; retried only when every item names its task_id. Items without a
// TraceContext get ctx's span context, as in SubmitTask.
func (c *Client) SubmitTasks(ctx context.Context, in *pb.SubmitTasksRequest) (*pb.SubmitTasksResponse, error) {
	named := true
	for _, r := range in.GetRequests() {
		withTraceContext(ctx, r)
		named = named && r.GetTaskId() != ""
	}
	return invoke(ctx, c, callOptions{retry: named}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.SubmitTasksResponse, error) {
		return pb.NewTaskServiceClient(cc).SubmitTasks(ctx, in)
	})
}

// GetTask returns one task.
func (c *Client) GetTask(ctx context.Context, in *pb.GetTaskRequest) (*pb.GetTaskResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.GetTaskResponse, error) {
		return pb.NewTaskServiceClient(cc).GetTask(ctx, in)
	})
}

// ListTasks lists one page of a queue's tasks, newest first.
func (c *Client) ListTasks(ctx context.Context, in *pb.ListTasksRequest) (*pb.ListTasksResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.ListTasksResponse, error) {
		return pb.NewTaskServiceClient(cc).ListTasks(ctx, in)
	})
}

// CancelTask cancels a waiting task, or asks the worker of an active one to stop.
func (c *Client) CancelTask(ctx context.Context, in *pb.CancelTaskRequest) (*pb.CancelTaskResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.CancelTaskResponse, error) {
		return pb.NewTaskServiceClient(cc).CancelTask(ctx, in)
	})
}

// RetryTask makes a finished task PENDING again; not retried.
func (c *Client) RetryTask(ctx context.Context, in *pb.RetryTaskRequest) (*pb.RetryTaskResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.RetryTaskResponse, error) {
		return pb.NewTaskServiceClient(cc).RetryTask(ctx, in)
	})
}

// WaitTask returns when the task is finished or in.timeout passes (then Finished is false).
func (c *Client) WaitTask(ctx context.Context, in *pb.WaitTaskRequest) (*pb.WaitTaskResponse, error) {
	return invoke(ctx, c, callOptions{retry: true, extra: durationOf(in.GetTimeout())}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.WaitTaskResponse, error) {
		return pb.NewTaskServiceClient(cc).WaitTask(ctx, in)
	})
}

// RunTask submits a task and waits up to in.timeout for its outcome; not retried (resubmit by task id instead).
func (c *Client) RunTask(ctx context.Context, in *pb.RunTaskRequest) (*pb.RunTaskResponse, error) {
	withTraceContext(ctx, in.GetTask())
	return invoke(ctx, c, callOptions{extra: durationOf(in.GetTimeout())}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.RunTaskResponse, error) {
		return pb.NewTaskServiceClient(cc).RunTask(ctx, in)
	})
}

// WatchTasks opens a queue's change stream (no deadline: cancel ctx to end it; not retried).
func (c *Client) WatchTasks(ctx context.Context, in *pb.WatchTasksRequest) (pb.TaskService_WatchTasksClient, error) {
	conn, err := c.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewTaskServiceClient(conn).WatchTasks(ctx, in)
}

// GetTaskLogs returns a page of a task's log lines after in.after_position (0: from the oldest kept).
func (c *Client) GetTaskLogs(ctx context.Context, in *pb.GetTaskLogsRequest) (*pb.GetTaskLogsResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.GetTaskLogsResponse, error) {
		return pb.NewTaskServiceClient(cc).GetTaskLogs(ctx, in)
	})
}

// WatchTaskLogs streams a task's log lines as they are appended; the stream ends (io.EOF) once the task is
// finished and every line was sent (no deadline: cancel ctx to end it sooner; not retried).
func (c *Client) WatchTaskLogs(ctx context.Context, in *pb.WatchTaskLogsRequest) (pb.TaskService_WatchTaskLogsClient, error) {
	conn, err := c.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewTaskServiceClient(conn).WatchTaskLogs(ctx, in)
}

// SubmitFlow submits a tree of tasks (built by Chain or Group, or by hand): each parent waits in WAITING_CHILDREN
// until its children (in any queues) finished. A repeat with the same task ids creates only what is missing, so it
// is retried on UNAVAILABLE when every task names its id (Chain and Group name them all).
func (c *Client) SubmitFlow(ctx context.Context, in *pb.SubmitFlowRequest) (*pb.SubmitFlowResponse, error) {
	return invoke(ctx, c, callOptions{retry: everyTaskNamed(in.GetRoot())}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.SubmitFlowResponse, error) {
		return pb.NewTaskServiceClient(cc).SubmitFlow(ctx, in)
	})
}

// ListChildren returns a parent's children in submit order, with the state each finished in and its result or last
// error (what a parent's handler reads).
func (c *Client) ListChildren(ctx context.Context, in *pb.ListChildrenRequest) (*pb.ListChildrenResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.ListChildrenResponse, error) {
		return pb.NewTaskServiceClient(cc).ListChildren(ctx, in)
	})
}

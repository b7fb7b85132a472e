package baton

import (
	"context"
	"crypto/rand"
	"fmt"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/protobuf/proto"
)

// The common shapes of a flow, as FlowNode trees for Client.SubmitFlow (the TypeScript SDK's chain and group):
//
//	steps := baton.Chain(&pb.SubmitTaskRequest{Queue: "etl", Type: "extract"}, &pb.SubmitTaskRequest{Queue: "etl", Type: "load"})
//	_, err := client.SubmitFlow(ctx, &pb.SubmitFlowRequest{Root: steps})
//
// A task without a TaskId gets a generated one (on a copy: the caller's message is left as it was), so submitting
// the same tree again creates nothing twice, and SubmitFlow may retry it.

// Chain returns a chain: each task runs after the one before it, and reads its result (Task.ChildResults()[0]).
// It is a tree whose root is the last task, each task the only child of the next.
func Chain(first *pb.SubmitTaskRequest, rest ...*pb.SubmitTaskRequest) *pb.FlowNode {
	node := &pb.FlowNode{Task: named(first)}
	for _, task := range rest {
		node = &pb.FlowNode{Task: named(task), Children: []*pb.FlowNode{node}}
	}
	return node
}

// Group returns a group with a callback: the group's tasks run at once (fan-out); the callback runs once all
// finished (fan-in), and reads their results in the group's order (Task.ChildResults).
func Group(tasks []*pb.SubmitTaskRequest, callback *pb.SubmitTaskRequest) *pb.FlowNode {
	children := make([]*pb.FlowNode, len(tasks))
	for i, task := range tasks {
		children[i] = &pb.FlowNode{Task: named(task)}
	}
	return &pb.FlowNode{Task: named(callback), Children: children}
}

// ChildResults returns a parent's children with their results (what a parent's handler reads, see
// Task.ChildResults), in submit order, every page.
func (c *Client) ChildResults(ctx context.Context, queue, taskID string) ([]*pb.ChildTask, error) {
	var children []*pb.ChildTask
	token := ""
	for {
		page, err := c.ListChildren(ctx, &pb.ListChildrenRequest{Queue: queue, TaskId: taskID, PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, err
		}
		children = append(children, page.GetChildren()...)
		if token = page.GetNextPageToken(); token == "" {
			return children, nil
		}
	}
}

// everyTaskNamed: then a repeated submit of the tree creates nothing twice, and may be retried.
func everyTaskNamed(node *pb.FlowNode) bool {
	if node.GetTask().GetTaskId() == "" {
		return false
	}
	for _, child := range node.GetChildren() {
		if !everyTaskNamed(child) {
			return false
		}
	}
	return true
}

func named(task *pb.SubmitTaskRequest) *pb.SubmitTaskRequest {
	if task.GetTaskId() != "" {
		return task
	}
	copied := proto.Clone(task).(*pb.SubmitTaskRequest)
	if copied == nil {
		copied = &pb.SubmitTaskRequest{}
	}
	copied.TaskId = randomUUID()
	return copied
}

// randomUUID is a version 4 UUID, as the TypeScript and Python SDKs generate for unnamed flow tasks.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

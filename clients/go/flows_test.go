package baton

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestFlowChainIsATreeRootedAtItsLastTaskEachTheOnlyChildOfTheNext(t *testing.T) {
	root := Chain(&pb.SubmitTaskRequest{Queue: "q", TaskId: "A"}, &pb.SubmitTaskRequest{Queue: "q", TaskId: "B"}, &pb.SubmitTaskRequest{Queue: "q", TaskId: "C"})
	var ids []string
	for node := root; node != nil; {
		ids = append(ids, node.GetTask().GetTaskId())
		if len(node.GetChildren()) > 1 {
			t.Fatalf("%s has %d children, want at most 1", node.GetTask().GetTaskId(), len(node.GetChildren()))
		}
		if len(node.GetChildren()) == 0 {
			break
		}
		node = node.GetChildren()[0]
	}
	if strings.Join(ids, ",") != "C,B,A" {
		t.Fatalf("got %v, want C,B,A", ids)
	}
}

func TestFlowGroupNamesEveryTaskOnACopyLeavingTheCallersMessagesAsGiven(t *testing.T) {
	given := &pb.SubmitTaskRequest{Queue: "q", Payload: []byte("1")}
	root := Group([]*pb.SubmitTaskRequest{given, {Queue: "q", TaskId: "mine"}}, &pb.SubmitTaskRequest{Queue: "cb"})
	if root.GetTask().GetQueue() != "cb" || len(root.GetChildren()) != 2 {
		t.Fatalf("got %v", root)
	}
	first := root.GetChildren()[0].GetTask()
	if len(first.GetTaskId()) != 36 || string(first.GetPayload()) != "1" || given.GetTaskId() != "" {
		t.Fatalf("generated id %q, payload %q; the caller's id became %q", first.GetTaskId(), first.GetPayload(), given.GetTaskId())
	}
	if root.GetChildren()[1].GetTask().GetTaskId() != "mine" || !everyTaskNamed(root) {
		t.Fatal("a given id must be kept, and every task named")
	}
	if everyTaskNamed(&pb.FlowNode{Task: given}) {
		t.Fatal("a task without an id is not named")
	}
}

// The tests below run against a real Baton: test/integration/go-sdk.test.ts starts one and sets BATON_TEST_SERVER.
func flowServer(t *testing.T) (*Client, string) {
	t.Helper()
	client := testServer(t)
	return client, fmt.Sprintf("go-flow-%s-%s", strings.ToLower(t.Name()[len("TestFlowServer"):]), randomUUID()[:8])
}

// testServer dials the Baton that BATON_TEST_SERVER names, closed when the test ends; without one the test is skipped.
func testServer(t *testing.T) *Client {
	t.Helper()
	address := os.Getenv("BATON_TEST_SERVER")
	if address == "" {
		t.Skip("BATON_TEST_SERVER is not set")
	}
	client, err := Dial(address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// work runs a Worker on queue with handler until the test ends.
func work(t *testing.T, client *Client, queue string, handler HandlerFunc) {
	t.Helper()
	w, err := NewWorker(WorkerOptions{Client: client, Queues: []string{queue}, Handler: handler, Concurrency: 4, RegisterInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
}

func waitSucceeded(t *testing.T, client *Client, queue, id string) string {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		res, err := client.WaitTask(ctx, &pb.WaitTaskRequest{Queue: queue, TaskId: id, Timeout: durationpb.New(5 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		switch res.GetTask().GetState() {
		case pb.TaskState_TASK_STATE_SUCCEEDED:
			return string(res.GetTask().GetResult())
		case pb.TaskState_TASK_STATE_FAILED, pb.TaskState_TASK_STATE_CANCELLED:
			t.Fatalf("%s ended %v: %v", id, res.GetTask().GetState(), res.GetTask().GetError())
		}
	}
	t.Fatalf("%s did not succeed within 15s", id)
	return ""
}

func TestFlowServerSubmitFlowListChildrenAndChildResultsInAHandler(t *testing.T) {
	client, queue := flowServer(t)
	ctx := context.Background()
	res, err := client.SubmitFlow(ctx, &pb.SubmitFlowRequest{Root: &pb.FlowNode{
		Task: &pb.SubmitTaskRequest{Queue: queue, TaskId: "parent"},
		Children: []*pb.FlowNode{
			{Task: &pb.SubmitTaskRequest{Queue: queue, TaskId: "a", Payload: []byte("1")}},
			{Task: &pb.SubmitTaskRequest{Queue: queue, TaskId: "b", Payload: []byte("2")}, FailurePolicy: pb.ChildFailurePolicy_CHILD_FAILURE_POLICY_IGNORE},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, task := range res.GetTasks() {
		got = append(got, fmt.Sprintf("%s<%s:%v", task.GetId(), task.GetParentId(), task.GetState()))
	}
	want := "parent<:TASK_STATE_WAITING_CHILDREN a<parent:TASK_STATE_PENDING b<parent:TASK_STATE_PENDING"
	if !res.GetCreated() || strings.Join(got, " ") != want {
		t.Fatalf("created %v, tasks %s; want %s", res.GetCreated(), strings.Join(got, " "), want)
	}
	waiting, err := client.ListChildren(ctx, &pb.ListChildrenRequest{Queue: queue, TaskId: "parent"})
	if err != nil {
		t.Fatal(err)
	}
	if len(waiting.GetChildren()) != 2 || waiting.GetChildren()[0].GetState() != pb.TaskState_TASK_STATE_UNSPECIFIED {
		t.Fatalf("before any child finished: %v", waiting.GetChildren())
	}

	work(t, client, queue, func(ctx context.Context, task *Task) ([]byte, error) {
		children, err := task.ChildResults(ctx)
		if err != nil || task.ID != "parent" {
			return task.Payload, err
		}
		sum := 0
		for _, child := range children {
			n, _ := strconv.Atoi(string(child.GetResult()))
			sum += n
		}
		return []byte(strconv.Itoa(sum)), nil
	})
	if result := waitSucceeded(t, client, queue, "parent"); result != "3" {
		t.Fatalf("the parent returned %q, want the sum of its children's results, 3", result)
	}
	finished, err := client.ListChildren(ctx, &pb.ListChildrenRequest{Queue: queue, TaskId: "parent"})
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, child := range finished.GetChildren() {
		got = append(got, fmt.Sprintf("%s=%s:%v:%v", child.GetTaskId(), child.GetResult(), child.GetState(), child.GetFailurePolicy()))
	}
	want = "a=1:TASK_STATE_SUCCEEDED:CHILD_FAILURE_POLICY_FAIL_PARENT b=2:TASK_STATE_SUCCEEDED:CHILD_FAILURE_POLICY_IGNORE"
	if strings.Join(got, " ") != want {
		t.Fatalf("children %s; want %s", strings.Join(got, " "), want)
	}
}

func TestFlowServerChainRunsAThenBThenCEachReadingTheResultBeforeIt(t *testing.T) {
	client, queue := flowServer(t)
	steps := Chain(&pb.SubmitTaskRequest{Queue: queue, Payload: []byte("A")}, &pb.SubmitTaskRequest{Queue: queue, Payload: []byte("B")}, &pb.SubmitTaskRequest{Queue: queue, Payload: []byte("C")})
	res, err := client.SubmitFlow(context.Background(), &pb.SubmitFlowRequest{Root: steps})
	if err != nil {
		t.Fatal(err)
	}
	work(t, client, queue, func(ctx context.Context, task *Task) ([]byte, error) {
		children, err := task.ChildResults(ctx)
		if err != nil {
			return nil, err
		}
		before := ""
		if len(children) == 1 {
			before = string(children[0].GetResult())
		}
		return []byte(before + string(task.Payload)), nil
	})
	if result := waitSucceeded(t, client, queue, res.GetTasks()[0].GetId()); result != "ABC" {
		t.Fatalf("the chain's last task returned %q, want ABC", result)
	}
	again, err := client.SubmitFlow(context.Background(), &pb.SubmitFlowRequest{Root: steps})
	if err != nil || again.GetCreated() {
		t.Fatalf("submitting the same chain again: created %v, err %v", again.GetCreated(), err)
	}
}

func TestFlowServerGroupCallbackRunsOnceEveryMemberFinishedWithAllTheirResults(t *testing.T) {
	client, queue := flowServer(t)
	var numbers []*pb.SubmitTaskRequest
	for n := 1; n <= 5; n++ {
		numbers = append(numbers, &pb.SubmitTaskRequest{Queue: queue, Type: "number", Payload: []byte(strconv.Itoa(n))})
	}
	res, err := client.SubmitFlow(context.Background(), &pb.SubmitFlowRequest{Root: Group(numbers, &pb.SubmitTaskRequest{Queue: queue, Type: "sum", TaskId: "total"})})
	if err != nil || len(res.GetTasks()) != 6 {
		t.Fatalf("submitted %d tasks, err %v; want 6", len(res.GetTasks()), err)
	}
	work(t, client, queue, func(ctx context.Context, task *Task) ([]byte, error) {
		if task.Type != "sum" {
			return task.Payload, nil
		}
		children, err := task.ChildResults(ctx)
		sum := 0
		for _, child := range children {
			n, _ := strconv.Atoi(string(child.GetResult()))
			sum += n
		}
		return []byte(fmt.Sprintf("%d of %d", sum, len(children))), err
	})
	if result := waitSucceeded(t, client, queue, "total"); result != "15 of 5" {
		t.Fatalf("the callback returned %q, want 15 of 5", result)
	}
	children, err := client.ChildResults(context.Background(), queue, "total")
	if err != nil || len(children) != 5 {
		t.Fatalf("ChildResults: %d children, err %v; want 5", len(children), err)
	}
}

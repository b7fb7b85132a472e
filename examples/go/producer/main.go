// Command baton-producer submits tasks to Baton from Go and, with -wait, prints their outcome.
//
//	examples/go/build.sh
//	examples/go/.build/bin/baton-producer -server localhost:50051 -queue demo -wait hello world
//
// Each argument becomes one task's payload (-count N submits N numbered tasks instead). One JSON line per task.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
	"unicode/utf8"

	pb "batonexample/batonv1"

	"google.golang.org/grpc"
)

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "baton-producer:", err)
	os.Exit(1)
}

func main() {
	server := flag.String("server", env("BATON_SERVER", "localhost:50051"), "Baton server host:port")
	queue := flag.String("queue", env("BATON_QUEUE", "demo"), "queue to submit to")
	count := flag.Int("count", 0, "submit N tasks with payloads task-0..task-N-1")
	workMs := flag.Int("work-ms", 0, "ask the demo workers to work this long per task")
	wait := flag.Bool("wait", false, "wait for every task to finish and print the outcome")
	flag.Parse()

	var payloads [][]byte
	for _, arg := range flag.Args() {
		payloads = append(payloads, []byte(arg))
	}
	for i := 0; i < *count; i++ {
		payloads = append(payloads, []byte(fmt.Sprintf("task-%d", i)))
	}
	if len(payloads) == 0 {
		fail(fmt.Errorf("give payloads or -count"))
	}

	conn, err := grpc.Dial(*server, grpc.WithInsecure())
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	tasks := pb.NewTaskServiceClient(conn)
	out := json.NewEncoder(os.Stdout)

	metadata := map[string]string{}
	if *workMs > 0 {
		metadata["work_ms"] = strconv.Itoa(*workMs)
	}
	request := &pb.SubmitTasksRequest{}
	for _, payload := range payloads {
		request.Requests = append(request.Requests, &pb.SubmitTaskRequest{Queue: *queue, Payload: payload, Metadata: metadata})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	reply, err := tasks.SubmitTasks(ctx, request)
	cancel()
	if err != nil {
		fail(err)
	}
	var ids []string
	for _, result := range reply.Results {
		if result.Error != nil {
			_ = out.Encode(map[string]interface{}{"event": "rejected", "code": result.Error.Code, "message": result.Error.Message})
			continue
		}
		ids = append(ids, result.TaskId)
		_ = out.Encode(map[string]interface{}{"event": "submitted", "task_id": result.TaskId})
	}

	for *wait && len(ids) > 0 {
		var left []string
		for _, id := range ids {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			got, err := tasks.GetTask(ctx, &pb.GetTaskRequest{Queue: *queue, TaskId: id})
			cancel()
			if err != nil {
				fail(err)
			}
			switch got.Task.State {
			case pb.TaskState_TASK_STATE_SUCCEEDED, pb.TaskState_TASK_STATE_FAILED, pb.TaskState_TASK_STATE_EXHAUSTED,
				pb.TaskState_TASK_STATE_CANCELLED, pb.TaskState_TASK_STATE_EXPIRED:
				result := map[string]interface{}{"base64": got.Task.Result} // encoding/json writes []byte as base64
				if utf8.Valid(got.Task.Result) {
					result = map[string]interface{}{"text": string(got.Task.Result)}
				}
				_ = out.Encode(map[string]interface{}{"event": "finished", "task_id": id, "state": got.Task.State.String(), "result": result})
			default:
				left = append(left, id)
			}
		}
		ids = left
		time.Sleep(100 * time.Millisecond)
	}
}

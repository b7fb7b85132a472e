// Submits each argument as a task of queue demo over one stream (a Submitter), then waits for and prints each result.
package main

import (
	"context"
	"fmt"
	"os"

	baton "github.com/batonhq/baton/clients/go"
	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/protobuf/types/known/durationpb"
)

func main() {
	client, err := baton.Dial(os.Getenv("BATON_SERVER"))
	if err != nil {
		panic(err)
	}
	defer client.Close()
	ctx, submitter := context.Background(), client.NewSubmitter(false)
	for _, arg := range os.Args[1:] {
		submitted, err := submitter.Submit(ctx, baton.NewSubmit("demo", "", arg))
		if err != nil {
			panic(err)
		}
		done, err := client.WaitTask(ctx, &pb.WaitTaskRequest{Queue: "demo", TaskId: submitted.TaskId, Timeout: durationpb.New(30e9)})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s %s %s\n", done.Task.Id, done.Task.State, done.Task.Result)
	}
	_ = submitter.Close()
}

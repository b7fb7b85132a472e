package baton

import (
	"encoding/json"
	"fmt"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// NewSubmit is a SubmitTaskRequest for queue with a string payload (stored as UTF-8) and, when taskType is not
// empty, a task type for the workers' routing (see Worker.Handle).
func NewSubmit(queue, taskType, payload string) *pb.SubmitTaskRequest {
	return &pb.SubmitTaskRequest{Queue: queue, Type: taskType, Payload: []byte(payload)}
}

// NewJSONSubmit is NewSubmit with v encoded as JSON for the payload (a handler reads it with Task.JSON).
func NewJSONSubmit(queue, taskType string, v interface{}) (*pb.SubmitTaskRequest, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("baton: encoding the payload as JSON: %w", err)
	}
	return &pb.SubmitTaskRequest{Queue: queue, Type: taskType, Payload: payload}, nil
}

// UniqueFor makes req unique in its queue by key for window after it is submitted: until then a submit with the key
// creates nothing and answers with the task holding it (created=false), whatever its task id. Returns req.
func UniqueFor(req *pb.SubmitTaskRequest, key string, window time.Duration) *pb.SubmitTaskRequest {
	req.UniqueKey, req.UniqueFor = key, durationpb.New(window)
	return req
}

// UniqueUntilFinished makes req unique in its queue by key until the task holding the key finishes (or is deleted).
// Returns req.
func UniqueUntilFinished(req *pb.SubmitTaskRequest, key string) *pb.SubmitTaskRequest {
	req.UniqueKey, req.UniqueUntilFinished = key, true
	return req
}

// Debounce makes req run delay after the last submit of key: while the task holding the key has not started, a
// submit with the key gives it its payload and pushes it back (the response says debounced). Returns req.
func Debounce(req *pb.SubmitTaskRequest, key string, delay time.Duration) *pb.SubmitTaskRequest {
	req.UniqueKey, req.Debounce = key, durationpb.New(delay)
	return req
}

package baton

import (
	"context"
	"fmt"
	"testing"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Runs against a real Baton: test/integration/go-sdk.test.ts starts one and sets BATON_TEST_SERVER.
func TestScheduleServerUpdateScheduleReplacesTheDefinitionAndKeepsTheState(t *testing.T) {
	client := testServer(t)
	ctx := context.Background()
	queue := fmt.Sprintf("go-schedule-%s", randomUUID()[:8])
	created, err := client.CreateSchedule(ctx, &pb.CreateScheduleRequest{
		ScheduleId: "nightly", Cron: "0 3 * * *", Task: &pb.SubmitTaskRequest{Queue: queue}, Paused: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	updated, err := client.UpdateSchedule(ctx, &pb.UpdateScheduleRequest{
		Queue: queue, ScheduleId: "nightly", Interval: durationpb.New(90 * time.Second), Task: &pb.SubmitTaskRequest{Queue: queue, Type: "report"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := updated.GetSchedule()
	if s.GetCron() != "" || s.GetInterval().AsDuration() != 90*time.Second || s.GetTask().GetType() != "report" {
		t.Fatalf("not the new definition: %v", s)
	}
	if !s.GetPaused() || !s.GetCreateTime().AsTime().Equal(created.GetSchedule().GetCreateTime().AsTime()) {
		t.Fatalf("the state changed: %v", s)
	}
	_, err = client.UpdateSchedule(ctx, &pb.UpdateScheduleRequest{
		Queue: queue, ScheduleId: "missing", Cron: "* * * * *", Task: &pb.SubmitTaskRequest{Queue: queue},
	})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("want NOT_FOUND, got %v", err)
	}
}

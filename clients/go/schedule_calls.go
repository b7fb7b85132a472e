package baton

import (
	"context"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc"
)

// CreateSchedule creates a schedule: its task is submitted once per tick of a cron expression or an interval; not retried.
func (c *Client) CreateSchedule(ctx context.Context, in *pb.CreateScheduleRequest) (*pb.CreateScheduleResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.CreateScheduleResponse, error) {
		return pb.NewScheduleServiceClient(cc).CreateSchedule(ctx, in)
	})
}

// UpdateSchedule replaces a schedule's definition in place, keeping its state and create time.
func (c *Client) UpdateSchedule(ctx context.Context, in *pb.UpdateScheduleRequest) (*pb.UpdateScheduleResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.UpdateScheduleResponse, error) {
		return pb.NewScheduleServiceClient(cc).UpdateSchedule(ctx, in)
	})
}

// GetSchedule returns one schedule with its coming run times.
func (c *Client) GetSchedule(ctx context.Context, in *pb.GetScheduleRequest) (*pb.GetScheduleResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.GetScheduleResponse, error) {
		return pb.NewScheduleServiceClient(cc).GetSchedule(ctx, in)
	})
}

// ListSchedules returns one page of schedules, by queue and id.
func (c *Client) ListSchedules(ctx context.Context, in *pb.ListSchedulesRequest) (*pb.ListSchedulesResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.ListSchedulesResponse, error) {
		return pb.NewScheduleServiceClient(cc).ListSchedules(ctx, in)
	})
}

// PauseSchedule stops a schedule's ticks until it is resumed.
func (c *Client) PauseSchedule(ctx context.Context, in *pb.PauseScheduleRequest) (*pb.PauseScheduleResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.PauseScheduleResponse, error) {
		return pb.NewScheduleServiceClient(cc).PauseSchedule(ctx, in)
	})
}

// ResumeSchedule lets a schedule tick again from the first tick after now.
func (c *Client) ResumeSchedule(ctx context.Context, in *pb.ResumeScheduleRequest) (*pb.ResumeScheduleResponse, error) {
	return invoke(ctx, c, callOptions{retry: true}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.ResumeScheduleResponse, error) {
		return pb.NewScheduleServiceClient(cc).ResumeSchedule(ctx, in)
	})
}

// TriggerSchedule submits a schedule's task now; not retried.
func (c *Client) TriggerSchedule(ctx context.Context, in *pb.TriggerScheduleRequest) (*pb.TriggerScheduleResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.TriggerScheduleResponse, error) {
		return pb.NewScheduleServiceClient(cc).TriggerSchedule(ctx, in)
	})
}

// DeleteSchedule deletes a schedule (its tasks stay); not retried.
func (c *Client) DeleteSchedule(ctx context.Context, in *pb.DeleteScheduleRequest) (*pb.DeleteScheduleResponse, error) {
	return invoke(ctx, c, callOptions{}, func(ctx context.Context, cc *grpc.ClientConn) (*pb.DeleteScheduleResponse, error) {
		return pb.NewScheduleServiceClient(cc).DeleteSchedule(ctx, in)
	})
}

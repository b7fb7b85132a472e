package baton

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"os"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// registration announces the worker (RegisterWorker: hostname, pid, SDK) at start and again every
// RegisterInterval while it holds no task, so operator views keep an idle worker alive (heartbeats show a busy
// one).
func (w *Worker) registration() {
	if !w.register() {
		return
	}
	ticker := time.NewTicker(w.registerIn)
	defer ticker.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-ticker.C:
		}
		w.mu.Lock()
		idle := len(w.active) == 0
		w.mu.Unlock()
		if idle && !w.register() {
			return
		}
	}
}

// register sends one RegisterWorker; false when the server has no QueueService (stop asking).
func (w *Worker) register() bool {
	host, _ := os.Hostname()
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	_, err := w.client.RegisterWorker(ctx, &pb.RegisterWorkerRequest{
		WorkerId: w.workerID, Hostname: host, Pid: int32(os.Getpid()),
		SdkName: SDKName, SdkVersion: SDKVersion, Labels: w.labels, Queues: w.queues,
	})
	switch code := status.Code(err); {
	case err == nil:
	case code == codes.Unimplemented:
		return false
	case code != codes.Unavailable && !w.isStopping():
		// An outage: the session loop reports it already.
		w.report(err)
	}
	return true
}

func randomSuffix() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:]) & 0xffffff
}

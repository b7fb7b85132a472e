package baton

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
)

func completions(sizes ...int) []completion {
	out := make([]completion, len(sizes))
	for i, size := range sizes {
		out[i] = completion{req: &pb.CompleteTaskRequest{TaskId: fmt.Sprint(i), Result: make([]byte, size)}}
	}
	return out
}

func TestTakeBatchTakesEverythingThatFits(t *testing.T) {
	batch, rest := takeBatch(completions(10, 20, 30))
	if len(batch) != 3 || len(rest) != 0 {
		t.Fatalf("got %d + %d, want 3 + 0", len(batch), len(rest))
	}
}

func TestTakeBatchStopsAtTheItemLimit(t *testing.T) {
	batch, rest := takeBatch(completions(make([]int, 2500)...))
	if len(batch) != maxBatchItems || len(rest) != 1500 {
		t.Fatalf("got %d + %d, want %d + 1500", len(batch), len(rest), maxBatchItems)
	}
	// Appending to the batch being sent must not write into what is left.
	if cap(batch) != len(batch) {
		t.Fatal("the batch can grow into the rest")
	}
}

func TestTakeBatchStopsAtTheByteLimitButSendsALargeResultAlone(t *testing.T) {
	batch, rest := takeBatch(completions(3<<20, 2<<20, 1))
	if len(batch) != 1 || len(rest) != 2 {
		t.Fatalf("got %d + %d, want 1 + 2", len(batch), len(rest))
	}
	batch, _ = takeBatch(completions(9 << 20))
	if len(batch) != 1 {
		t.Fatal("a result larger than the limit must still go, alone")
	}
}

func TestTakeMessageBatchesSubmitsWithinLimits(t *testing.T) {
	var waiting []*pendingSubmit
	for i := 0; i < 1200; i++ {
		waiting = append(waiting, &pendingSubmit{req: &pb.SubmitTaskRequest{Payload: []byte("x")}})
	}
	message, rest := takeMessage(waiting)
	if len(message) != maxSubmitItems || len(rest) != 200 {
		t.Fatalf("got %d + %d", len(message), len(rest))
	}
	big := []*pendingSubmit{{req: &pb.SubmitTaskRequest{Payload: make([]byte, 600<<10)}}, {req: &pb.SubmitTaskRequest{Payload: make([]byte, 600<<10)}}}
	message, rest = takeMessage(big)
	if len(message) != 1 || len(rest) != 1 {
		t.Fatalf("two 600 KiB payloads: got %d + %d, want 1 + 1", len(message), len(rest))
	}
}

func TestBackoffDoublesUpToTheCapWithJitter(t *testing.T) {
	for attempt := 0; attempt < 12; attempt++ {
		nominal := 100 * time.Millisecond << attempt
		if nominal > 5*time.Second {
			nominal = 5 * time.Second
		}
		for i := 0; i < 50; i++ {
			d := retryBackoff(attempt)
			if d < nominal/2 || d > nominal {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, nominal/2, nominal)
			}
		}
	}
	if d := callBackoff(100); d > 2*time.Second {
		t.Fatalf("call backoff %s above its 2 s cap", d)
	}
}

func run(m *Mux, taskType string) ([]byte, error) {
	return m.Run(context.Background(), &Task{ID: "t1", Type: taskType})
}

func TestMuxRoutesByTaskType(t *testing.T) {
	m := NewMux()
	m.Handle("resize", func(ctx context.Context, t *Task) ([]byte, error) { return []byte("resized"), nil })
	m.Handle("email", func(ctx context.Context, t *Task) ([]byte, error) { return []byte("sent"), nil })
	for taskType, want := range map[string]string{"resize": "resized", "email": "sent"} {
		got, err := run(m, taskType)
		if err != nil || string(got) != want {
			t.Fatalf("%s: got %q, %v", taskType, got, err)
		}
	}
}

func TestMuxFailsAnUnknownTypePermanentlyNamingIt(t *testing.T) {
	m := NewMux()
	m.Handle("resize", func(ctx context.Context, t *Task) ([]byte, error) { return nil, nil })
	_, err := run(m, "nope")
	if !IsPermanent(err) {
		t.Fatalf("want a PermanentError, got %v", err)
	}
	if err.Error() != `no handler for task type "nope"` {
		t.Fatalf("message %q does not name the type", err.Error())
	}
	if _, err := run(m, ""); err == nil || !strings.Contains(err.Error(), `""`) {
		t.Fatalf("an untyped task without a default handler: %v", err)
	}
}

func TestMuxSendsOtherTypesToTheDefault(t *testing.T) {
	m := NewMux()
	m.Handle("resize", func(ctx context.Context, t *Task) ([]byte, error) { return []byte("resized"), nil })
	m.HandleDefault(func(ctx context.Context, t *Task) ([]byte, error) { return []byte("default:" + t.Type), nil })
	if got, _ := run(m, "other"); string(got) != "default:other" {
		t.Fatalf("got %q", got)
	}
	if got, _ := run(m, ""); string(got) != "default:" {
		t.Fatalf("untyped: got %q", got)
	}
	if got, _ := run(m, "resize"); string(got) != "resized" {
		t.Fatalf("a registered type still wins: got %q", got)
	}
}

func TestErrorsCarryPermanenceRetryDelayAndType(t *testing.T) {
	base := errors.New("bad input")
	if err := Permanent(base); !IsPermanent(err) || err.Error() != "bad input" || !errors.Is(err, base) || errorType(err) != "PermanentError" {
		t.Fatalf("Permanent: %v", err)
	}
	err := RetryAfter(fmt.Errorf("retry %d", 1), 100*time.Millisecond)
	if d, ok := retryDelay(err); !ok || d != 100*time.Millisecond || IsPermanent(err) || err.Error() != "retry 1" {
		t.Fatalf("RetryAfter: %v %s", err, d)
	}
	if errorType(err) != "Error" || errorType(base) != "Error" || errorType(context.DeadlineExceeded) != "deadlineExceededError" {
		t.Fatalf("types: %s %s %s", errorType(err), errorType(base), errorType(context.DeadlineExceeded))
	}
	if Permanent(nil) != nil || RetryAfter(nil, time.Second) != nil {
		t.Fatal("nil must stay nil")
	}
}

func TestTaskJSONFailsPermanentlyOnBadInput(t *testing.T) {
	var v struct{ A, B int }
	task := &Task{ID: "t1", Payload: []byte(`{"a":1,"b":2}`)}
	if err := task.JSON(&v); err != nil || v.A != 1 || v.B != 2 {
		t.Fatalf("%v %+v", err, v)
	}
	task.Payload = []byte("not json")
	if err := task.JSON(&v); !IsPermanent(err) || !strings.Contains(err.Error(), "t1") {
		t.Fatalf("bad JSON: %v", err)
	}
}

func TestDialTakesAListOfAddressesAndMovesToTheNext(t *testing.T) {
	c, err := Dial("a:1, b:2,,c:3")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := strings.Join(c.Addresses(), " "); got != "a:1 b:2 c:3" {
		t.Fatalf("addresses %q", got)
	}
	c.failover(0)
	c.failover(0) // a second report of the same loss does not skip a server
	if _, i, _ := c.conn(); i != 1 {
		t.Fatalf("after losing a:1, using %d", i)
	}
	c.failover(1)
	c.failover(2)
	if _, i, _ := c.conn(); i != 0 {
		t.Fatalf("wraps around: using %d", i)
	}
	if _, err := Dial(" , "); err == nil {
		t.Fatal("no address must be an error")
	}
}

func TestSubmitHelpersSetTheTaskType(t *testing.T) {
	req := NewSubmit("q", "resize", "payload")
	if string(req.Payload) != "payload" || req.Queue != "q" || req.Type != "resize" {
		t.Fatalf("%v", req)
	}
	j, err := NewJSONSubmit("q", "json", map[string]int{"a": 1})
	if err != nil || j.Type != "json" || string(j.Payload) != `{"a":1}` {
		t.Fatalf("%v %v", j, err)
	}
}

func TestUniqueHelpersSetTheKeyAndOneMode(t *testing.T) {
	w := UniqueFor(NewSubmit("q", "", "p"), "k", 90*time.Second)
	if w.UniqueKey != "k" || w.UniqueFor.AsDuration() != 90*time.Second || w.UniqueUntilFinished || w.Debounce != nil {
		t.Fatalf("UniqueFor: %v", w)
	}
	f := UniqueUntilFinished(NewSubmit("q", "", "p"), "k")
	if f.UniqueKey != "k" || !f.UniqueUntilFinished || f.UniqueFor != nil {
		t.Fatalf("UniqueUntilFinished: %v", f)
	}
	d := Debounce(NewSubmit("q", "", "p"), "k", 250*time.Millisecond)
	if d.UniqueKey != "k" || d.Debounce.AsDuration() != 250*time.Millisecond || d.UniqueFor != nil {
		t.Fatalf("Debounce: %v", d)
	}
}

func TestAClaimedTaskCarriesItsType(t *testing.T) {
	task := &pb.Task{Id: "t1", Type: "resize"}
	if got := newTask(&pb.ClaimedTask{Task: task}, "w").Type; got != "resize" {
		t.Fatalf("Task.Type = %q", got)
	}
}

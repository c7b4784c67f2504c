package daemon

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/natsconn"
)

// queueDaemon is a daemon with a broker and feeds but no Run: enough to
// enqueue jobs and read them back.
func queueDaemon(t *testing.T, feeds map[string]string) *Daemon {
	t.Helper()
	b, err := broker.Open(context.Background(), broker.Options{Listen: "127.0.0.1:-1", StoreDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { natsconn.Close(b, 5*time.Second, slog.Default()) })
	d := New(&config.Config{}, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	d.broker = b
	for id, url := range feeds {
		d.feeds[id] = config.Feed{ID: id, URL: url}
	}
	return d
}

// TestEnqueueAllSpreadsHosts checks that the jobs of one instant reach the
// queue with each host's feeds apart, whatever their order in the list.
func TestEnqueueAllSpreadsHosts(t *testing.T) {
	d := queueDaemon(t, map[string]string{
		"a1": "http://a.example/1", "a2": "http://a.example/2", "a3": "http://a.example:8080/3",
		"b1": "http://b.example/1", "b2": "http://b.example/2",
	})
	tick := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	var jobs []Job
	for _, f := range []string{"a1", "a2", "a3", "b1", "b2"} {
		jobs = append(jobs, Job{Feed: f, Scheduled: tick})
	}
	ctx := context.Background()
	d.enqueueAll(ctx, jobs)
	s, err := d.broker.JS.Stream(ctx, broker.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for seq := uint64(1); seq <= 5; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("job %d: %v", seq, err)
		}
		got = append(got, strings.TrimPrefix(m.Subject, broker.JobSubjectPrefix+"."))
	}
	if want := "a1 b1 a2 b2 a3"; strings.Join(got, " ") != want {
		t.Errorf("jobs queued as %q, want %q", strings.Join(got, " "), want)
	}
	// The same tick again (another instance's scheduler): no new job.
	d.enqueueAll(ctx, jobs)
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 5 {
		t.Errorf("%d jobs after the same tick twice, want 5", info.State.Msgs)
	}
}

// TestEnqueueAllFailureCounted checks that jobs JetStream does not take
// are each counted and logged as a failed enqueue, as one published alone.
func TestEnqueueAllFailureCounted(t *testing.T) {
	d := queueDaemon(t, map[string]string{"a1": "http://a.example/1", "b1": "http://b.example/1", "c1": "http://c.example/1"})
	ctx := context.Background()
	if err := d.broker.JS.DeleteStream(ctx, broker.JobsStream); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	d.enqueueAll(cctx, []Job{{Feed: "a1", Scheduled: time.Now()}, {Feed: "b1", Scheduled: time.Now()}, {Feed: "c1", Scheduled: time.Now()}})
	if n := counter(t, d, "vigie_publish_errors_total"); n != 3 {
		t.Errorf("vigie_publish_errors_total = %v, want 3 (one per job not enqueued)", n)
	}
	for _, f := range []string{"a1", "b1", "c1"} {
		if _, logged := d.lastErr["enqueue:"+f]; !logged {
			t.Errorf("the failure of %s's job is not remembered for logging", f)
		}
	}
}

// counter sums a counter of the daemon's metrics over its labels.
func counter(t testing.TB, d *Daemon, name string) float64 {
	t.Helper()
	families, err := d.metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

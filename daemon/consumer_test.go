package daemon

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/broker"
)

// TestJobConsumerRestored deletes the workers' consumer, as an operator or
// a server that lost its store might: the workers recreate it, and a job
// enqueued afterwards is fetched.
func TestJobConsumerRestored(t *testing.T) {
	t.Parallel()
	feed := serveFeed(t, unrelated)
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf("  - id: x\n    url: %s/rss\n", feed.URL))
	r := start(t, cfg)
	r.waitFetched(t, "x", time.Time{})
	ctx := context.Background()
	if err := r.js.DeleteConsumer(ctx, broker.JobsStream, fetchConsumer); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the consumer recreated", func() bool {
		_, err := r.js.Consumer(ctx, broker.JobsStream, fetchConsumer)
		return err == nil
	})
	waitFor(t, "ready once the consumer is back", func() bool { return r.d.readiness() == nil })
	before := feed.requests.Load()
	if err := r.d.enqueue(ctx, Job{Feed: "x", Scheduled: time.Now(), Now: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the feed fetched again", func() bool { return feed.requests.Load() > before })
}

package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestRetryOfAFailedFetchIsNotSkipped: a fetch job whose attempt failed
// while NATS was out of reach comes back (JetStream redelivers it). By then
// another fetch of the feed, begun after the job's tick but before the feed
// gained an item, may have stored its state: the tick counts as served.
// The retry must fetch all the same, or the item the failed attempt read
// waits for the next tick, and is lost if the feed drops it before. A job
// that is not a retry is still skipped.
func TestRetryOfAFailedFetchIsNotSkipped(t *testing.T) {
	t.Parallel()
	var doc atomic.Value
	doc.Store(rssDocument(unrelated))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, doc.Load().(string))
	}))
	defer srv.Close()
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf("  - id: x\n    url: %s/rss\n    fulltext: never\n", srv.URL))
	tick := time.Now().Truncate(time.Minute).Add(-time.Minute)
	r := start(t, cfg)
	st := r.waitFetched(t, "x", tick)
	if !tick.Before(st.LastFetch) {
		t.Fatalf("the fetch at start (%s) is not after the tick %s", st.LastFetch, tick)
	}
	// The feed gains an item the stored fetch did not see.
	doc.Store(rssDocument(append(append([]rssItem{}, unrelated...), ownItems[0])))
	feed := r.d.config().Feeds[0]
	ctx := context.Background()

	if err := r.d.process(ctx, feed, Job{Feed: "x", Scheduled: tick}); err != nil {
		t.Fatal(err)
	}
	if n := len(alertsOf(t, r.storedMsgs(t, "VIGIE_ALERTS"))); n != 0 {
		t.Fatalf("a tick already served was fetched again: %d alerts", n)
	}
	if err := r.d.process(ctx, feed, Job{Feed: "x", Scheduled: tick, Retry: true}); err != nil {
		t.Fatal(err)
	}
	alerts := alertsOf(t, r.storedMsgs(t, "VIGIE_ALERTS"))
	if len(alerts) != 1 {
		t.Fatalf("the retry published %d alerts, want the new item's", len(alerts))
	}
	for _, a := range alerts {
		if a.Title != ownItems[0].title {
			t.Errorf("alert %q, want %q", a.Title, ownItems[0].title)
		}
	}
}

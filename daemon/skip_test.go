package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSkipHours: a feed whose document lists the current hour and the next
// in skipHours, with a ttl, is read once at start; its state keeps what it
// asked, its next fetch comes after the skipped hours, and a tick during
// them does not fetch it. A change of the feed would (see schedule.Due).
func TestSkipHours(t *testing.T) {
	now := time.Now().UTC()
	skipped := []int{now.Hour(), (now.Hour() + 1) % 24}
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		doc := rssDocument(unrelated)
		doc = strings.Replace(doc, "<language>fr</language>", fmt.Sprintf("<language>fr</language><ttl>30</ttl><skipHours><hour>%d</hour><hour>%d</hour></skipHours>", skipped[0], skipped[1]), 1)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, doc)
	}))
	defer srv.Close()
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf("  - id: x\n    url: %s/rss\n    fulltext: never\n", srv.URL))
	r := start(t, cfg)
	st := r.waitFetched(t, "x", time.Time{})
	if st.Interval != 30*time.Minute || st.Skip.Hours != 1<<skipped[0]|1<<skipped[1] {
		t.Fatalf("state %+v: want the ttl and the skipped hours kept", st)
	}
	endOfSkip := now.Truncate(time.Hour).Add(2 * time.Hour)
	if st.NextFetch.Before(endOfSkip) {
		t.Errorf("next fetch %s, before the skipped hours end at %s", st.NextFetch, endOfSkip)
	}
	before := requests.Load()
	if err := r.d.process(context.Background(), cfg.Feeds[0], Job{Feed: "x", Scheduled: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if n := requests.Load() - before; n != 0 {
		t.Errorf("a tick in a skipped hour fetched the feed %d times", n)
	}
}

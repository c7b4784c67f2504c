package daemon

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/broker"
)

// TestRestartKeepsBackoff restarts the daemon on its store while feeds wait:
// one backed off after a 500, one whose server answered 503 with
// Retry-After: 3600, one whose source asked for an hour between fetches
// (max-age). None of them is fetched at the restart, their stored waits are
// unchanged, and a feed with no wait is fetched as before.
func TestRestartKeepsBackoff(t *testing.T) {
	t.Parallel()
	doc := rssDocument(unrelated)
	feeds := []struct {
		id      string
		handler http.HandlerFunc
		waits   time.Duration // at least, from the first fetch
	}{
		{"backoff", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "broken", http.StatusInternalServerError)
		}, 20 * time.Second},
		{"retry-after", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			http.Error(w, "come back later", http.StatusServiceUnavailable)
		}, 50 * time.Minute},
		{"max-age", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=3600")
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, doc)
		}, 50 * time.Minute},
		{"plain", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, doc)
		}, 0},
	}
	requests := map[string]*atomic.Int64{}
	var yaml strings.Builder
	for i, f := range feeds {
		n := &atomic.Int64{}
		requests[f.id] = n
		// A host each (127.0.0.11, .12...): a Retry-After pauses its
		// whole host.
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			f.handler(w, r)
		}))
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", 11+i))
		if err != nil {
			t.Fatal(err)
		}
		srv.Listener.Close()
		srv.Listener = l
		srv.Start()
		t.Cleanup(srv.Close)
		fmt.Fprintf(&yaml, "  - id: %s\n    url: %s/rss\n    fulltext: never\n", f.id, srv.URL)
	}
	dir := t.TempDir()
	cfg := testConfig(t, dir, yaml.String())

	begin := time.Now()
	r := start(t, cfg)
	stored := map[string]FeedState{}
	for _, f := range feeds {
		st := r.waitFetched(t, f.id, begin)
		stored[f.id] = st
		if f.waits > 0 && !st.NextFetch.After(begin.Add(f.waits)) {
			t.Fatalf("feed %s: next fetch %s, want %s after the first fetch at least", f.id, st.NextFetch, f.waits)
		}
	}
	if stored["backoff"].Failures != 1 || stored["retry-after"].Failures != 1 {
		t.Fatalf("failures recorded: backoff %d, retry-after %d; want 1 each", stored["backoff"].Failures, stored["retry-after"].Failures)
	}
	r.shutdown(t)
	before := map[string]int64{}
	for id, n := range requests {
		before[id] = n.Load()
	}

	restart := time.Now()
	r = start(t, cfg)
	r.waitFetched(t, "plain", restart)
	// Every start job was enqueued before ready: once the work queue is
	// empty, each was taken and acknowledged.
	waitFor(t, "the start jobs done", func() bool {
		s, err := r.js.Stream(context.Background(), broker.JobsStream)
		if err != nil {
			return false
		}
		info, err := s.Info(context.Background())
		return err == nil && info.State.Msgs == 0
	})
	for _, f := range feeds {
		got := requests[f.id].Load() - before[f.id]
		st := r.feedState(t, f.id)
		switch {
		case f.waits > 0 && got != 0:
			t.Errorf("feed %s fetched %d times at the restart, though it waits until %s", f.id, got, stored[f.id].NextFetch.Format(time.TimeOnly))
		case f.waits > 0 && (!st.NextFetch.Equal(stored[f.id].NextFetch) || st.Failures != stored[f.id].Failures):
			t.Errorf("feed %s: state after the restart %+v, want its stored wait (next fetch %s, %d failures) kept", f.id, st, stored[f.id].NextFetch, stored[f.id].Failures)
		case f.waits == 0 && got != 1:
			t.Errorf("feed %s fetched %d times at the restart, want 1", f.id, got)
		}
	}
}

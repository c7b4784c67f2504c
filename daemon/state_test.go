package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
)

func TestSourceOf(t *testing.T) {
	a := config.Feed{ID: "x", URL: "https://a.example/rss", Headers: map[string]string{"A": "1", "B": "2"}}
	same := config.Feed{ID: "y", URL: "https://a.example/rss", Headers: map[string]string{"B": "2", "A": "1"}, Language: "fr"}
	if sourceOf(a) != sourceOf(same) {
		t.Error("the id, the language or the order of headers changed the source")
	}
	for _, other := range []config.Feed{
		{URL: "https://b.example/rss", Headers: a.Headers},
		{URL: a.URL, Headers: map[string]string{"A": "1"}},
		{URL: a.URL, Headers: map[string]string{"A": "1", "B": "3"}},
	} {
		if sourceOf(other) == sourceOf(a) {
			t.Errorf("%+v has the source of %+v", other, a)
		}
	}
}

// TestStateOfAMovedFeed checks that the state written by a fetch of a
// feed's former source never undoes the reset for its new one, while two
// fetches of the same source, racing, both get through.
func TestStateOfAMovedFeed(t *testing.T) {
	t.Parallel()
	feed := serveFeed(t, unrelated)
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf("  - id: x\n    url: %s/rss\n", feed.URL))
	r := start(t, cfg)
	r.waitFetched(t, "x", time.Time{})
	ctx := context.Background()
	s := r.d.state
	oldSrc, newSrc := sourceOf(cfg.Feeds[0]), sourceOf(config.Feed{URL: "https://moved.example/rss"})

	// A fetch of the old source reads the state, the feed moves, the fetch
	// ends with a failure.
	st, rev, err := s.get(ctx, "x")
	if err != nil || st.Source != oldSrc {
		t.Fatalf("state %+v (%v), want the source %s", st, err, oldSrc)
	}
	if err := s.reset(ctx, "x", newSrc); err != nil {
		t.Fatal(err)
	}
	st.Failures, st.NextFetch = 9, time.Now().Add(4*time.Hour)
	if err := s.put(ctx, "x", st, rev); !errors.Is(err, errOtherSource) {
		t.Errorf("put over a moved feed: %v, want errOtherSource", err)
	}
	if err := r.d.putState(ctx, "x", st, rev); err != nil {
		t.Errorf("putState over a moved feed: %v, want nil (dropped)", err)
	}
	if got, _, _ := s.get(ctx, "x"); got.Source != newSrc || got.Failures != 0 || !got.NextFetch.IsZero() {
		t.Errorf("state after the stale write: %+v, want the reset for %s", got, newSrc)
	}

	// Two fetches of the new source read the same revision; both writes
	// land, the later one last.
	a, revA, _ := s.get(ctx, "x")
	b, revB, _ := s.get(ctx, "x")
	a.LastStatus, b.LastStatus = 200, 304
	if err := s.put(ctx, "x", a, revA); err != nil {
		t.Fatal(err)
	}
	if err := s.put(ctx, "x", b, revB); err != nil {
		t.Errorf("the second write of the same source: %v", err)
	}
	if got, _, _ := s.get(ctx, "x"); got.LastStatus != 304 {
		t.Errorf("state %+v, want the second write", got)
	}

	// A feed with no state yet.
	if err := s.put(ctx, "fresh", FeedState{Source: newSrc, Failures: 1}, 0); err != nil {
		t.Fatal(err)
	}
	if got, rev, _ := s.get(ctx, "fresh"); got.Failures != 1 || rev == 0 {
		t.Errorf("fresh state %+v at revision %d", got, rev)
	}
}

// TestIntervalRunsFromTheTick checks that an interval the source asks for,
// no longer than the schedule's, counts from the tick that scheduled the
// fetch, not from when the fetch could start: a fetch that waited must not
// push the feed past its next tick. A longer one counts from the fetch, so
// that the source is not fetched sooner than it asks.
func TestIntervalRunsFromTheTick(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		age := "600"
		if r.URL.Path == "/long" {
			age = "3600"
		}
		w.Header().Set("Cache-Control", "max-age="+age)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, rssDocument(unrelated))
	}))
	defer srv.Close()
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf("  - id: x\n    url: %[1]s/short\n    schedule: \"@every 10m\"\n  - id: y\n    url: %[1]s/long\n    schedule: \"@every 10m\"\n", srv.URL))
	r := start(t, cfg)
	r.waitFetched(t, "x", time.Time{})
	r.waitFetched(t, "y", time.Time{})
	tick := time.Now().Add(-40 * time.Second).Truncate(time.Second)
	for _, f := range cfg.Feeds {
		if err := r.d.process(context.Background(), f, Job{Feed: f.ID, Scheduled: tick, Now: true}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := r.feedState(t, "x").NextFetch, tick.Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("next fetch %v, want %v: ten minutes from the tick", got, want)
	}
	if got, least := r.feedState(t, "y").NextFetch, tick.Add(40*time.Second+time.Hour); got.Before(least) {
		t.Errorf("next fetch %v, before %v: an hour from the fetch", got, least)
	}
}

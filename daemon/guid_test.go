package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
)

// servePhases serves docs[phase] as the feed "dup", fetched every second,
// and counts the requests.
func servePhases(t *testing.T, docs []string) (phase, served *atomic.Int64, cfg *config.Config) {
	t.Helper()
	phase, served = new(atomic.Int64), new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, docs[phase.Load()])
		served.Add(1)
	}))
	t.Cleanup(srv.Close)
	cfg = testConfig(t, t.TempDir(), fmt.Sprintf("  - id: dup\n    url: %s/rss\n    language: fr\n    schedule: \"@every 1s\"\n    allow_fast: true\n", srv.URL))
	return phase, served, cfg
}

// TestRepeatedGUID serves an item alone, then beside a second item with the
// same GUID (a publisher's mistake), then the second alone. Each item and
// each alert must go out once: the first item changes id when the repeat
// appears, but is known by its fingerprint.
func TestRepeatedGUID(t *testing.T) {
	t.Parallel()
	a, b := ownItems[0], ownItems[1]
	b.guid = a.guid
	docs := []string{rssDocument([]rssItem{a}), rssDocument([]rssItem{b, a}), rssDocument([]rssItem{b})}
	phase, served, cfg := servePhases(t, docs)
	r := start(t, cfg)
	for p := range int64(len(docs)) {
		phase.Store(p)
		n := served.Load()
		waitFor(t, fmt.Sprintf("two fetches of document %d", p+1), func() bool { return served.Load() >= n+2 })
		time.Sleep(200 * time.Millisecond) // the last fetch's publishes land
	}
	titles := itemTitles(t, r) // fails on an item published twice
	if len(titles) != 2 {
		t.Errorf("items published: %q, want the two items once each", titles)
	}
	alerts := alertsOf(t, r.storedMsgs(t, broker.AlertsStream)) // fails on a repeat
	if len(alerts) != 2 {
		t.Errorf("%d alerts, want one for each item", len(alerts))
	}
}

// TestRepeatedGUIDAfterUpgrade starts from a seen mark written before
// fingerprints: the item, read alone once more, gets one, and is then known
// when its GUID is repeated.
func TestRepeatedGUIDAfterUpgrade(t *testing.T) {
	t.Parallel()
	a, b := ownItems[0], ownItems[1]
	b.guid = a.guid
	docs := []string{rssDocument([]rssItem{a}), rssDocument([]rssItem{b, a})}
	phase, served, cfg := servePhases(t, docs)
	r := start(t, cfg)
	r.waitFetched(t, "dup", time.Time{})
	items := r.storedMsgs(t, broker.ItemsStream)
	if len(items) != 1 {
		t.Fatalf("%d items after the first fetch", len(items))
	}
	var first struct{ ID string }
	_ = json.Unmarshal(items[0].Data, &first)
	// The mark as the previous version wrote it: a time, no fingerprint.
	if err := r.d.broker.MarkSeen(context.Background(), "dup", first.ID, time.Now(), "", false); err != nil {
		t.Fatal(err)
	}
	n := served.Load()
	waitFor(t, "two more fetches of the item alone", func() bool { return served.Load() >= n+2 })
	phase.Store(1)
	n = served.Load()
	waitFor(t, "two fetches with the repeat", func() bool { return served.Load() >= n+2 })
	time.Sleep(200 * time.Millisecond)
	if titles := itemTitles(t, r); len(titles) != 2 {
		t.Errorf("items published: %q, want the two items once each", titles)
	}
}

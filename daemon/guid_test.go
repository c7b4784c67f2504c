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

// servePhases serves docs[phase] as the feed "dup", and counts the
// requests. The feed's schedule is hourly: the tests fetch it themselves,
// with fetchNow.
func servePhases(t *testing.T, docs []string) (phase, served *atomic.Int64, cfg *config.Config) {
	t.Helper()
	phase, served = new(atomic.Int64), new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, docs[phase.Load()])
		served.Add(1)
	}))
	t.Cleanup(srv.Close)
	cfg = testConfig(t, t.TempDir(), fmt.Sprintf("  - id: dup\n    url: %s/rss\n    language: fr\n    schedule: \"@every 1h\"\n", srv.URL))
	return phase, served, cfg
}

// fetchNow fetches the feed "dup" as a job asked for now would, and returns
// once the fetch has published its items and stored its state.
func fetchNow(t *testing.T, r *running) {
	t.Helper()
	feed := r.d.config().Feeds[0]
	if err := r.d.process(context.Background(), feed, Job{Feed: feed.ID, Scheduled: time.Now(), Now: true}); err != nil {
		t.Fatal(err)
	}
}

// TestRepeatedGUID serves an item alone, then beside a second item with the
// same GUID (a publisher's mistake), then the second alone, each document
// twice. Each item and each alert must go out once: the first item changes
// id when the repeat appears, but is known by its fingerprint.
func TestRepeatedGUID(t *testing.T) {
	t.Parallel()
	a, b := ownItems[0], ownItems[1]
	b.guid = a.guid
	docs := []string{rssDocument([]rssItem{a}), rssDocument([]rssItem{b, a}), rssDocument([]rssItem{b})}
	phase, served, cfg := servePhases(t, docs)
	r := start(t, cfg)
	// The fetch at start, of the first document, is done before the
	// tests' own: none runs beside them.
	r.waitFetched(t, "dup", time.Time{})
	for p := range int64(len(docs)) {
		phase.Store(p)
		fetchNow(t, r)
		fetchNow(t, r)
	}
	if n := served.Load(); n != 7 {
		t.Errorf("the feed was read %d times, want 7", n)
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
	phase, _, cfg := servePhases(t, docs)
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
	fetchNow(t, r)
	fetchNow(t, r)
	phase.Store(1)
	fetchNow(t, r)
	fetchNow(t, r)
	if titles := itemTitles(t, r); len(titles) != 2 {
		t.Errorf("items published: %q, want the two items once each", titles)
	}
}

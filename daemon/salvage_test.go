package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
)

// TestDamagedFeed serves a feed cut short in its third item, with an ETag
// under which the server would answer 304 and a <ttl> of a day. The daemon
// must publish the two whole items, keep no validator, ignore the ttl, and
// read the whole feed at the next tick: the third item is published then,
// and no item twice.
func TestDamagedFeed(t *testing.T) {
	t.Parallel()
	whole := strings.Replace(rssDocument(unrelated), "<language>", "<ttl>1440</ttl><language>", 1)
	cut := whole[:strings.Index(whole, unrelated[2].title)+5]

	var (
		mu      sync.Mutex
		phase   int
		inmHdrs []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		inmHdrs = append(inmHdrs, r.Header.Get("If-None-Match"))
		etag, body := `"v1"`, cut
		if phase == 1 {
			etag, body = `"v2"`, whole
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf("  - id: cut\n    url: %s/rss\n    language: fr\n    schedule: \"@every 1s\"\n    allow_fast: true\n", srv.URL))

	begin := time.Now()
	r := start(t, cfg)
	st := r.waitFetched(t, "cut", begin)
	if st.Failures != 0 || st.ETag != "" || st.ItemsLastSeen != 2 || !strings.HasPrefix(st.LastError, "damaged") {
		t.Fatalf("after the damaged fetch: %+v, want no failure, no ETag, 2 items and the damage as last error", st)
	}
	if st.NextFetch.After(begin.Add(time.Hour)) {
		t.Errorf("next fetch at %v: the damaged document's ttl was honoured", st.NextFetch)
	}
	if got := itemTitles(t, r); len(got) != 2 {
		t.Fatalf("items published from the damaged feed: %q, want the 2 whole ones", got)
	}

	mu.Lock()
	phase = 1
	mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for r.feedState(t, "cut").ETag != `"v2"` {
		if time.Now().After(deadline) {
			t.Fatal("the whole feed was not read within 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := itemTitles(t, r)
	if len(got) != len(unrelated) {
		t.Errorf("items %q, want the %d items once each", got, len(unrelated))
	}
	mu.Lock()
	defer mu.Unlock()
	for i, h := range inmHdrs[:2] {
		if h != "" {
			t.Errorf("request %d sent If-None-Match %s after a damaged fetch", i+1, h)
		}
	}
}

// itemTitles returns the titles of the items in VIGIE_ITEMS, failing the
// test on a duplicate.
func itemTitles(t *testing.T, r *running) []string {
	t.Helper()
	seen := map[string]bool{}
	var titles []string
	for _, m := range r.storedMsgs(t, broker.ItemsStream) {
		var it vigie.Item
		if err := json.Unmarshal(m.Data, &it); err != nil {
			t.Fatal(err)
		}
		if seen[it.ID] {
			t.Errorf("item %s (%q) published twice", it.ID, it.Title)
		}
		seen[it.ID] = true
		titles = append(titles, it.Title)
	}
	return titles
}

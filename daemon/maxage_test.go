package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/once"
)

// datedFeed serves an RSS document whose items were published at the given
// ages; each item is on-topic, so that an item let through would alert.
func datedFeed(t *testing.T, ages map[string]time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Dépêches</title><link>http://example.invalid/</link><language>fr</language>`)
		for i, it := range ownItems {
			guid := fmt.Sprintf("item-%d", i)
			age, ok := ages[guid]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "<item><guid>%s</guid><title>%s</title><link>http://example.invalid/%s</link><description>%s</description><pubDate>%s</pubDate></item>",
				guid, html.EscapeString(it.title), guid, html.EscapeString(it.body), time.Now().Add(-age).Format(time.RFC1123Z))
		}
		b.WriteString(`</channel></rss>`)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, b.String())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// tooOldCount reads vigie_items_too_old_total{feed=...}.
func tooOldCount(t *testing.T, d *Daemon, feed string) float64 {
	t.Helper()
	families, err := d.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "vigie_items_too_old_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if m.GetLabel()[0].GetValue() == feed {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

// TestMaxAge: an on-topic item published ten days ago is neither printed by
// vigie once nor published or alerted by the daemon when the feed's
// max_age is 72h, and it is counted; the fresh one goes through. Without
// max_age, the ten-day-old item is news (the default is 60 days) and the
// item of a hundred days is not.
func TestMaxAge(t *testing.T) {
	t.Parallel()
	srv := datedFeed(t, map[string]time.Duration{"item-0": time.Hour, "item-1": 10 * 24 * time.Hour})
	old := datedFeed(t, map[string]time.Duration{"item-0": 10 * 24 * time.Hour, "item-1": 100 * 24 * time.Hour})
	feeds := fmt.Sprintf("  - id: recent\n    url: %s/rss\n    language: fr\n    max_age: 72h\n    fulltext: never\n  - id: unset\n    url: %s/rss\n    language: fr\n    fulltext: never\n", srv.URL, old.URL)

	t.Run("once", func(t *testing.T) {
		cfg := testConfig(t, t.TempDir(), feeds)
		var out strings.Builder
		if err := once.Run(context.Background(), cfg, once.Options{Logger: slog.New(slog.DiscardHandler)}, &out); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var it once.Item
			if err := json.Unmarshal([]byte(l), &it); err != nil {
				t.Fatal(err)
			}
			got = append(got, it.Feed.ID+" "+strings.TrimPrefix(it.URL, "http://example.invalid/"))
		}
		if strings.Join(got, ", ") != "recent item-0, unset item-0" {
			t.Errorf("vigie once printed %q, want the fresh item of recent and the ten-day-old item of unset", got)
		}
	})

	t.Run("run", func(t *testing.T) {
		cfg := testConfig(t, t.TempDir(), feeds)
		begin := time.Now()
		r := start(t, cfg)
		r.waitFetched(t, "recent", begin)
		r.waitFetched(t, "unset", begin)
		items := itemsOf(t, r)
		var got []string
		for _, it := range items {
			got = append(got, it.Feed.ID+" "+strings.TrimPrefix(it.URL, "http://example.invalid/"))
		}
		if strings.Join(got, ", ") != "recent item-0, unset item-0" && strings.Join(got, ", ") != "unset item-0, recent item-0" {
			t.Errorf("published %q, want the fresh item of recent and the ten-day-old item of unset", got)
		}
		alerts := alertsOf(t, r.storedMsgs(t, broker.AlertsStream))
		if len(alerts) != 2 {
			t.Errorf("%d alerts, want 2 (the items let through)", len(alerts))
		}
		for _, a := range alerts {
			if strings.HasSuffix(a.URL, "item-1") {
				t.Errorf("an item older than max_age alerted: %s %s", a.Feed.ID, a.URL)
			}
		}
		if n := tooOldCount(t, r.d, "recent"); n != 1 {
			t.Errorf("vigie_items_too_old_total{feed=recent} = %v, want 1", n)
		}
		if n := tooOldCount(t, r.d, "unset"); n != 1 {
			t.Errorf("vigie_items_too_old_total{feed=unset} = %v, want 1", n)
		}
	})
}

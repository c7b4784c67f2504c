package daemon

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

// TestFailedRecordsGauge: vigie_notify_failed_records counts the
// deliveries a route gave up on, and follows them when they are taken
// away (as vigie failures purge or resend does).
func TestFailedRecordsGauge(t *testing.T) {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	}))
	defer receiver.Close()
	feed := serveFeed(t, ownItems)
	dir := t.TempDir()
	yaml := fmt.Sprintf("nats:\n  listen: 127.0.0.1:-1\ndata_dir: %s\nhttp:\n  listen: \"\"\ndefaults:\n  fulltext: never\nfeeds:\n  - id: own\n    url: %s/rss\nnotify:\n  - name: siem\n    type: webhook\n    url: %s/hook\n", dir, feed.URL, receiver.URL)
	cfg, err := config.Parse(filepath.Join(dir, "feeds.yaml"), []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, cfg)
	ctx := context.Background()
	var fails []notify.Failure
	waitFor(t, "two failed deliveries", func() bool {
		fails, err = notify.Failures(ctx, r.js)
		return err == nil && len(fails) == len(ownItems)
	})
	gauge := func() float64 {
		r.d.countFailedRecords(ctx)
		families, err := r.d.Metrics().Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == "vigie_notify_failed_records" {
				for _, m := range f.GetMetric() {
					if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == "siem" {
						return m.GetGauge().GetValue()
					}
				}
			}
		}
		return -1
	}
	if g := gauge(); g != 2 {
		t.Errorf("vigie_notify_failed_records{route=siem} = %v, want 2", g)
	}
	if n, err := notify.Purge(ctx, r.js, fails); err != nil || n != 2 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	if g := gauge(); g != 0 {
		t.Errorf("vigie_notify_failed_records{route=siem} = %v after the purge, want 0", g)
	}
}

package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

// TestFailuresCommand drives `vigie failures` against a running daemon
// whose webhook route gave up on two alerts: list shows them, the status
// and the gauge count them, purge forgets one by its ID, resend delivers
// the other once the receiver takes it, and the counts come back to 0.
func TestFailuresCommand(t *testing.T) {
	var accept atomic.Bool
	var delivered atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !accept.Load() {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		delivered.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	feed := serveFeed(t, ownItems)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := l.Addr().String()
	l.Close()
	yaml := fmt.Sprintf("nats:\n  listen: %s\ndata_dir: %s\nhttp:\n  listen: \"\"\ndefaults:\n  fulltext: never\nfeeds:\n  - id: own\n    url: %s/rss\nnotify:\n  - name: siem\n    type: webhook\n    url: %s/hook\n", listen, dir, feed.URL, receiver.URL)
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

	run := func(action string, sel notify.Selection) (string, error) {
		var out bytes.Buffer
		err := Failures(ctx, cfg, FailuresOptions{Action: action, Selection: sel}, &out)
		return out.String(), err
	}
	out, err := run(FailuresList, notify.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fails {
		if !strings.Contains(out, strconv.FormatUint(f.ID, 10)+"  ") || !strings.Contains(out, f.AlertID) {
			t.Errorf("list lacks record %d (%s):\n%s", f.ID, f.AlertID, out)
		}
	}
	if !strings.HasSuffix(out, "\n2 failed deliveries\n") || !strings.Contains(out, "410") {
		t.Errorf("list:\n%s", out)
	}
	var st bytes.Buffer
	if err := Status(ctx, cfg, StatusOptions{}, &st); err != nil || !strings.Contains(st.String(), "2 failed deliveries kept (siem 2): vigie failures list") {
		t.Errorf("status (%v):\n%s", err, st.String())
	}

	if _, err := run(FailuresResend, notify.Selection{}); err == nil || !strings.Contains(err.Error(), ErrNoSelection.Error()) {
		t.Errorf("resend without a selection: %v", err)
	}
	out, err = run(FailuresPurge, notify.Selection{IDs: []string{strconv.FormatUint(fails[0].ID, 10)}})
	if err != nil || out != "purged 1 failed deliveries; 1 left\n" {
		t.Errorf("purge: %q, %v", out, err)
	}
	out, err = run(FailuresResend, notify.Selection{Route: "siem"})
	if !errors.Is(err, ErrNotAllSent) || !strings.Contains(out, "failed  "+strconv.FormatUint(fails[1].ID, 10)) || !strings.HasSuffix(out, "resent 1 failed deliveries: 0 sent, 1 failed again, 0 skipped; 1 left\n") {
		t.Errorf("resend to a receiver that still refuses: %v\n%s", err, out)
	}
	accept.Store(true)
	out, err = run(FailuresResend, notify.Selection{All: true})
	if err != nil || !strings.HasSuffix(out, "resent 1 failed deliveries: 1 sent, 0 failed again, 0 skipped; 0 left\n") || delivered.Load() != 1 {
		t.Errorf("resend: %v, %d delivered\n%s", err, delivered.Load(), out)
	}
	if g := gauge(); g != 0 {
		t.Errorf("vigie_notify_failed_records{route=siem} = %v after the purge and the resend, want 0", g)
	}
	st.Reset()
	if err := Status(ctx, cfg, StatusOptions{}, &st); err != nil || strings.Contains(st.String(), "failed deliveries") {
		t.Errorf("status after: %v\n%s", err, st.String())
	}
	out, err = run(FailuresList, notify.Selection{})
	if err != nil || out != "ID  TIME  ROUTE  ALERT  STATUS  ATTEMPTS  ERROR  TITLE\n0 failed deliveries\n" {
		t.Errorf("list after: %v\n%q", err, out)
	}
}

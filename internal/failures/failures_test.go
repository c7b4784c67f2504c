package failures

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/natsconn"
	"github.com/vigie-news/vigie/internal/notify"
	"github.com/vigie-news/vigie/internal/status"
)

// waitFor polls cond until it holds; the deadline only keeps a broken
// test from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFailuresCommand drives `vigie failures` against a running NATS
// server whose webhook route gave up on two alerts: list shows them, the
// status counts them, purge forgets one by its ID, resend delivers the
// other once the receiver takes it, and nothing is left.
func TestFailuresCommand(t *testing.T) {
	t.Parallel()
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
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := l.Addr().String()
	l.Close()
	yaml := fmt.Sprintf("nats:\n  listen: %s\ndata_dir: %s\nfeeds:\n  - id: own\n    url: http://127.0.0.1:1/rss\nnotify:\n  - name: siem\n    type: webhook\n    url: %s/hook\n", listen, dir, receiver.URL)
	cfg, err := config.Parse(filepath.Join(dir, "feeds.yaml"), []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)

	// The server and the route, as a running daemon has them.
	b, err := broker.Open(ctx, broker.Options{Listen: listen, StoreDir: filepath.Join(dir, "jetstream"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer natsconn.Close(b, 5*time.Second, quiet)
	svc, err := notify.New(context.Background(), b.JS, cfg.Notify, notify.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	svcCtx, stopSvc := context.WithCancel(ctx)
	svcDone := make(chan error, 1)
	go func() { svcDone <- svc.Run(svcCtx) }()
	for _, id := range []string{"a1", "a2"} {
		a := vigie.Alert{Item: vigie.Item{Schema: vigie.AlertSchema, ID: id, Feed: vigie.FeedRef{ID: "own"}, Title: "Alert " + id, Lang: "fr"}, Classifier: "cyber-diplomacy", Score: 5}
		if err := b.PublishAlert(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	var fails []notify.Failure
	waitFor(t, "two failed deliveries", func() bool {
		fails, err = notify.Failures(ctx, b.JS)
		return err == nil && len(fails) == 2
	})
	stopSvc()
	if err := <-svcDone; err != nil {
		t.Fatal(err)
	}

	run := func(action string, sel notify.Selection) (string, error) {
		var out bytes.Buffer
		err := Run(ctx, cfg, Options{Action: action, Selection: sel, Logger: quiet}, &out)
		return out.String(), err
	}
	printStatus := func() string {
		var st bytes.Buffer
		err := natsconn.With(ctx, cfg, quiet, func(b *broker.Broker) error {
			return status.Print(ctx, b.JS, cfg, status.PrintOptions{}, &st)
		})
		if err != nil {
			t.Fatal(err)
		}
		return st.String()
	}
	out, err := run(List, notify.Selection{})
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
	if st := printStatus(); !strings.Contains(st, "2 failed deliveries kept (siem 2): vigie failures list") {
		t.Errorf("status:\n%s", st)
	}

	if _, err := run(Resend, notify.Selection{}); err == nil || !strings.Contains(err.Error(), ErrNoSelection.Error()) {
		t.Errorf("resend without a selection: %v", err)
	}
	if _, err := run("drop", notify.Selection{All: true}); err == nil {
		t.Error("an action that is none: no error")
	}
	out, err = run(Purge, notify.Selection{IDs: []string{strconv.FormatUint(fails[0].ID, 10)}})
	if err != nil || out != "purged 1 failed deliveries; 1 left\n" {
		t.Errorf("purge: %q, %v", out, err)
	}
	out, err = run(Resend, notify.Selection{Route: "siem"})
	if !errors.Is(err, ErrNotAllSent) || !strings.Contains(out, "failed  "+strconv.FormatUint(fails[1].ID, 10)) || !strings.HasSuffix(out, "resent 1 failed deliveries: 0 sent, 1 failed again, 0 skipped; 1 left\n") {
		t.Errorf("resend to a receiver that still refuses: %v\n%s", err, out)
	}
	accept.Store(true)
	out, err = run(Resend, notify.Selection{All: true})
	if err != nil || !strings.HasSuffix(out, "resent 1 failed deliveries: 1 sent, 0 failed again, 0 skipped; 0 left\n") || delivered.Load() != 1 {
		t.Errorf("resend: %v, %d delivered\n%s", err, delivered.Load(), out)
	}
	if st := printStatus(); strings.Contains(st, "failed deliveries") {
		t.Errorf("status after:\n%s", st)
	}
	out, err = run(List, notify.Selection{})
	if err != nil || out != "ID  TIME  ROUTE  ALERT  STATUS  ATTEMPTS  ERROR  TITLE\n0 failed deliveries\n" {
		t.Errorf("list after: %v\n%q", err, out)
	}
}

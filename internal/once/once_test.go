package once

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/feedtest"
)

func readLines(t *testing.T, out string) []Item {
	t.Helper()
	var items []Item
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var it Item
		if err := json.Unmarshal([]byte(l), &it); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		items = append(items, it)
	}
	return items
}

// TestOnce: a line per item of the feeds that answer, with its matches;
// the progress line counts the feed that failed; every feed failing is an
// error.
func TestOnce(t *testing.T) {
	t.Parallel()
	good := feedtest.Serve(t, feedtest.Own, feedtest.Unrelated)
	cfg := feedtest.Config(t, t.TempDir(), fmt.Sprintf("  - id: own\n    url: %s/rss\n    language: fr\n  - id: down\n    url: http://127.0.0.1:1/rss\n", good.URL))
	var out, progress strings.Builder
	if err := Run(context.Background(), cfg, Options{Progress: &progress, Logger: discard()}, &out); err != nil {
		t.Fatal(err)
	}
	items := readLines(t, out.String())
	if len(items) != len(feedtest.Own)+len(feedtest.Unrelated) {
		t.Fatalf("%d lines, want %d:\n%s", len(items), len(feedtest.Own)+len(feedtest.Unrelated), out.String())
	}
	alerted := 0
	for _, it := range items {
		if it.Schema != vigie.ItemSchema || it.Lang != "fr" || it.Feed.ID != "own" || it.Alerts == nil {
			t.Errorf("line %+v", it)
		}
		if len(it.Alerts) > 0 {
			alerted++
		}
	}
	if alerted != len(feedtest.Own) {
		t.Errorf("%d items with alerts, want %d", alerted, len(feedtest.Own))
	}
	if !strings.Contains(progress.String(), "2/2 feeds read") || !strings.Contains(progress.String(), "1 failed") {
		t.Errorf("progress = %q", progress.String())
	}

	cfg = feedtest.Config(t, t.TempDir(), "  - id: down\n    url: http://127.0.0.1:1/rss\n")
	if err := Run(context.Background(), cfg, Options{Logger: discard()}, &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "all 1 feeds failed") {
		t.Errorf("every feed failed: %v, want an error", err)
	}
}

// TestOnceInConfigurationOrder makes the first feed answer last: its lines
// must still come first, each feed's together.
func TestOnceInConfigurationOrder(t *testing.T) {
	t.Parallel()
	doc := feedtest.RSS(feedtest.Unrelated)
	var others sync.WaitGroup
	others.Add(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			// Answer once the other feeds are answered (or, should they
			// never be asked, after a while).
			done := make(chan struct{})
			go func() { others.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
			}
		} else {
			defer others.Done()
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, doc)
	}))
	defer srv.Close()
	cfg := feedtest.Config(t, t.TempDir(), fmt.Sprintf("  - id: a\n    url: %[1]s/slow\n  - id: b\n    url: %[1]s/b\n  - id: c\n    url: %[1]s/c\n", srv.URL))
	var out strings.Builder
	if err := Run(context.Background(), cfg, Options{Logger: discard()}, &out); err != nil {
		t.Fatal(err)
	}
	var feeds []string
	for _, it := range readLines(t, out.String()) {
		feeds = append(feeds, it.Feed.ID)
	}
	n := len(feedtest.Unrelated)
	want := strings.Repeat("a", n) + strings.Repeat("b", n) + strings.Repeat("c", n)
	if got := strings.Join(feeds, ""); got != want {
		t.Errorf("feeds in the order %s, want %s", got, want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestOnceReportsLostOutput: lines that could not be written, or a run cut
// short, are errors, not success.
func TestOnceReportsLostOutput(t *testing.T) {
	t.Parallel()
	feed := feedtest.Serve(t, feedtest.Unrelated)
	cfg := feedtest.Config(t, t.TempDir(), fmt.Sprintf("  - id: a\n    url: %s/rss\n", feed.URL))
	if err := Run(context.Background(), cfg, Options{Logger: discard()}, failingWriter{}); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("write failure: %v, want an error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, cfg, Options{Logger: discard()}, &strings.Builder{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v, want context.Canceled", err)
	}
}

// TestOnceEntities checks that `vigie once` lines carry the entities found
// with the configured files, and that the classifiers got them.
func TestOnceEntities(t *testing.T) {
	t.Parallel()
	desk := feedtest.Item{GUID: "desk-1", Title: "Nouvelle réunion de l'Organisation Vigie de test",
		Body: "Le Vietnam et le Japon y présentent leur position, avec la France."}
	srv := feedtest.Serve(t, []feedtest.Item{desk}, feedtest.Unrelated)
	dir := t.TempDir()
	for name, content := range map[string]string{"desk.yaml": feedtest.DeskEntities, "bodies.yaml": feedtest.BodiesRules} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yaml := fmt.Sprintf("data_dir: %s\nclassifiers: [cyber-diplomacy, bodies.yaml]\nentities: [desk.yaml]\nfeeds:\n  - id: desk\n    url: %s/rss\n    language: fr\n", dir, srv.URL)
	cfg, err := config.Parse(filepath.Join(dir, "feeds.yaml"), []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := Run(context.Background(), cfg, Options{Logger: discard()}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1+len(feedtest.Unrelated) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), 1+len(feedtest.Unrelated), out.String())
	}
	want := vigie.Entities{States: []string{"FR", "JP", "VN"}, Orgs: []string{"VGXT"}}
	for i, l := range lines {
		// Every line has both lists, empty or not (null is not a list).
		var p struct {
			Entities *struct {
				States *[]string `json:"states"`
				Orgs   *[]string `json:"orgs"`
			} `json:"entities"`
			Alerts []struct {
				Classifier string `json:"classifier"`
			} `json:"alerts"`
		}
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatal(err)
		}
		if p.Entities == nil || p.Entities.States == nil || p.Entities.Orgs == nil {
			t.Fatalf("line without entities {states, orgs}: %s", l)
		}
		if i > 0 {
			continue
		}
		if !slices.Equal(*p.Entities.States, want.States) || !slices.Equal(*p.Entities.Orgs, want.Orgs) || len(p.Alerts) != 1 || p.Alerts[0].Classifier != "bodies" {
			t.Errorf("once line %s, want entities %+v and a bodies alert", l, want)
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

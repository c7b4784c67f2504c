package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/feedtest"
	"github.com/vigie-news/vigie/internal/pipeline"
)

// openStore opens the embedded store under data_dir, as the daemon does.
func openStore(t *testing.T, cfg *config.Config) *broker.Broker {
	t.Helper()
	b, err := broker.Open(context.Background(), broker.Options{Listen: "127.0.0.1:-1", StoreDir: filepath.Join(cfg.DataDir, "jetstream"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// store publishes the items as the daemon does, with the alerts that
// the configuration's classifiers raise, in the store under data_dir.
func store(t *testing.T, cfg *config.Config, items []feedtest.Item) {
	t.Helper()
	ctx := context.Background()
	b := openStore(t, cfg)
	defer b.Close(ctx)
	cls, set, err := pipeline.LoadRules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline.Pipeline{Classifiers: cls, Entities: set}
	for _, it := range items {
		item := vigie.Item{Schema: vigie.ItemSchema, ID: it.GUID, Feed: vigie.FeedRef{ID: "own"}, Title: it.Title, Summary: it.Body, Text: it.Body,
			Lang: "fr", LangConfidence: 1, Fetched: time.Now().UTC(), TextSource: vigie.TextFromFeed}
		item, alerts := p.ClassifyItem(item, it.Body)
		if err := b.PublishItem(ctx, &item); err != nil {
			t.Fatal(err)
		}
		for _, a := range alerts {
			if err := b.PublishAlert(ctx, &a); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// alertSubjects are the subjects of the alerts in the store.
func alertSubjects(t *testing.T, cfg *config.Config) []string {
	t.Helper()
	ctx := context.Background()
	b := openStore(t, cfg)
	defer b.Close(ctx)
	var out []string
	err := eachMessage(ctx, b.JS, broker.AlertsStream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}, func(m jetstream.Msg, _ uint64) error {
		out = append(out, m.Subject())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReplay stores items with the built-in classifier, then replays them
// with a second, user-written classifier: its alerts appear as new, are
// published on their own subject with Publish, and a second replay finds
// nothing new; once its rules change, its published alert counts as no
// longer raised.
func TestReplay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := feedtest.Config(t, dir, "  - id: own\n    url: http://127.0.0.1:1/rss\n    language: fr\n")
	items := append(append([]feedtest.Item{}, feedtest.Own...), feedtest.Unrelated...)
	store(t, cfg, items)

	rules := "name: sport\nthreshold: 1\ntopics:\n  - id: football\n    threshold: 1\n    terms:\n      - weight: 2\n        fr: [football]\n"
	if err := os.WriteFile(filepath.Join(dir, "sport.yaml"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Classifiers = []string{"cyber-diplomacy", "sport.yaml"}
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	var out strings.Builder
	rep, err := Run(ctx, cfg, Options{Logger: quiet}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Items != len(items) || rep.Alerts != len(feedtest.Own)+1 || rep.New != 1 || rep.Published != 0 || rep.Dropped != 0 {
		t.Errorf("dry run report %+v, want %d items, %d alerts and one new\n%s", rep, len(items), len(feedtest.Own)+1, out.String())
	}
	if !strings.Contains(out.String(), "+ ") || !strings.Contains(out.String(), "Football") {
		t.Errorf("the new alert is not marked:\n%s", out.String())
	}

	var js strings.Builder
	rep, err = Run(ctx, cfg, Options{Publish: true, JSON: true, Logger: quiet}, &js)
	if err != nil || rep.Published != 1 {
		t.Fatalf("publish: %+v, %v", rep, err)
	}
	for _, l := range strings.Split(strings.TrimSpace(js.String()), "\n") {
		var a vigie.Alert
		if err := json.Unmarshal([]byte(l), &a); err != nil || a.Schema != vigie.AlertSchema || a.Classifier == "" {
			t.Errorf("JSON line %s: %v", l, err)
		}
	}
	rep, err = Run(ctx, cfg, Options{Logger: quiet}, io.Discard)
	if err != nil || rep.New != 0 {
		t.Errorf("after publishing, replay finds %+v, %v; want nothing new", rep, err)
	}
	found := 0
	for _, s := range alertSubjects(t, cfg) {
		if s == "news.alert.sport.fr.own" {
			found++
		}
	}
	if found != 1 {
		t.Errorf("%d alerts on news.alert.sport.fr.own, want 1", found)
	}

	// Rules changed so that the published alert is raised no more.
	if err := os.WriteFile(filepath.Join(dir, "sport.yaml"), []byte(strings.Replace(rules, "football", "rugby", 2)), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err = Run(ctx, cfg, Options{Since: time.Now().Add(-time.Hour), Logger: quiet}, io.Discard)
	if err != nil || rep.Items != len(items) || rep.New != 0 || rep.Dropped != 1 {
		t.Errorf("with changed sport rules: %+v, %v; want its published alert no longer raised", rep, err)
	}
}

// TestReplayBadRules: a broken rule file is a configuration problem, found
// before any connection.
func TestReplayBadRules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := feedtest.Config(t, dir, "  - id: own\n    url: http://127.0.0.1:1/rss\n")
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("name: bad\nthreshold: high\n"), 0o644)
	cfg.Classifiers = []string{"bad.yaml"}
	_, err := Run(context.Background(), cfg, Options{}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%s:2", filepath.Join(dir, "bad.yaml"))) {
		t.Errorf("error %v, want the rule file's problem with its line", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); err == nil {
		t.Error("the store was opened")
	}
}

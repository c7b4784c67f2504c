package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/story"
	"github.com/vigie-news/vigie/internal/story/natsstore"
)

// With no daemon running, vigie stories opens the store under data_dir
// and lists the stories, the latest first, with their reports; --json
// gives the document of /api/stories.
func TestStoriesWithoutDaemon(t *testing.T) {
	// Not in parallel: the command opens and closes the store's lock
	// file (flock) twice, and a process that the parallel tests start
	// (the notifier of TestStoriesThroughSIGKILL) holds a copy of every
	// descriptor from its fork to its exec, lock included.
	dir := t.TempDir()
	b, err := broker.Open(context.Background(), broker.Options{Listen: "127.0.0.1:-1", StoreDir: filepath.Join(dir, "data", "jetstream"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := natsstore.Open(context.Background(), b.JS, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	records := []story.Record{
		{Story: "older", Member: story.Member{ID: "x", Feed: "un-news", Lang: "en", Title: "A report alone", Time: now.Add(-5 * time.Hour)}},
		{Story: "newer", Member: story.Member{ID: "a", Feed: "vna-fr", Lang: "fr", Title: "Les Pays-Bas expulsent quatre agents du GRU", URL: "https://vna.example/a", Time: now.Add(-3 * time.Hour)}},
		{Story: "newer", Member: story.Member{ID: "b", Feed: "nhk", Lang: "ja", Title: "オランダ、ロシア人4人を国外追放", URL: "https://nhk.example/b", Time: now.Add(-2 * time.Hour)}},
	}
	at := uint64(0)
	for _, r := range records {
		if at, err = st.Put(context.Background(), r, at); err != nil {
			t.Fatal(err)
		}
	}
	b.Close(context.Background())

	cfg := filepath.Join(dir, "feeds.yaml")
	os.WriteFile(cfg, []byte("nats: {listen: "+freeAddr(t)+"}\ndata_dir: data\nfeeds:\n  - {id: first, url: https://a.example/rss}\n"), 0o644)
	code, out, errOut := vigie(t, "", "stories", "--config", cfg, "--log-level", "error")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 || !strings.HasPrefix(lines[0], "STORY ") || !strings.HasPrefix(lines[1], "newer ") ||
		!strings.Contains(lines[1], "fr,ja") || !strings.Contains(lines[2], "vna-fr") || !strings.HasPrefix(lines[4], "older ") || lines[6] != "2 stories" {
		t.Errorf("table:\n%s", out)
	}

	code, out, errOut = vigie(t, "", "stories", "--json", "--min-items", "2", "--config", cfg, "--log-level", "error")
	if code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	var doc struct {
		Stories []story.View `json:"stories"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Stories) != 1 {
		t.Fatalf("--json --min-items 2: %q, %v", out, err)
	}
	if v := doc.Stories[0]; v.ID != "newer" || v.Items != 2 || len(v.Feeds) != 2 || len(v.Reports) != 2 {
		t.Errorf("story %+v", v)
	}
	if code, _, _ := vigie(t, "", "stories", "--min-items", "0", "--config", cfg); code != 2 {
		t.Errorf("--min-items 0: exit %d, want 2", code)
	}
}

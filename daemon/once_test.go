package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestOnceInConfigurationOrder makes the first feed the slowest: its lines
// must still come first, each feed's together.
func TestOnceInConfigurationOrder(t *testing.T) {
	doc := rssDocument(unrelated)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(300 * time.Millisecond)
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, doc)
	}))
	defer srv.Close()
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf("  - id: a\n    url: %[1]s/slow\n  - id: b\n    url: %[1]s/b\n  - id: c\n    url: %[1]s/c\n", srv.URL))
	var out strings.Builder
	if err := Once(context.Background(), cfg, &out, nil, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	var feeds []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var it OnceItem
		if err := json.Unmarshal([]byte(l), &it); err != nil {
			t.Fatal(err)
		}
		feeds = append(feeds, it.Feed.ID)
	}
	want := strings.Repeat("a", len(unrelated)) + strings.Repeat("b", len(unrelated)) + strings.Repeat("c", len(unrelated))
	if got := strings.Join(feeds, ""); got != want {
		t.Errorf("feeds in the order %s, want %s", got, want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestOnceReportsLostOutput: lines that could not be written, or a run cut
// short, are errors, not success.
func TestOnceReportsLostOutput(t *testing.T) {
	feed := serveFeed(t, unrelated)
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf("  - id: a\n    url: %s/rss\n", feed.URL))
	if err := Once(context.Background(), cfg, failingWriter{}, nil, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("write failure: %v, want an error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Once(ctx, cfg, &strings.Builder{}, nil, slog.New(slog.DiscardHandler)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v, want context.Canceled", err)
	}
}

func TestClassifyTextReportsLostOutput(t *testing.T) {
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ClassifyText("a.txt", []byte("Titre\nLe texte."), failingWriter{}); err == nil {
		t.Error("no error when the explanation could not be written")
	}
}

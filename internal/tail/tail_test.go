package tail

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/natstest"
)

var oewg = vigie.Alert{Item: vigie.Item{ID: "x", Title: "Le rapport de l'OEWG", URL: "https://e.org/a", Lang: "fr", Feed: vigie.FeedRef{ID: "vna-fr"}, Published: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)},
	Classifier: "cyber-diplomacy", Score: 7.5, Topics: []vigie.Topic{{ID: "un-processes"}, {ID: "norms"}}}

func TestLine(t *testing.T) {
	t.Parallel()
	data, _ := json.Marshal(oewg)
	line := Line("news.alert.cyber-diplomacy.fr.vna-fr", data)
	for _, want := range []string{"fr", "vna-fr", "7.5", "[un-processes,norms]", "Le rapport de l'OEWG", "https://e.org/a"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
	colored := colorize(line)
	if !strings.Contains(colored, "\x1b[1mLe rapport de l'OEWG\x1b[0m") || !strings.Contains(colored, "\x1b[33m[un-processes,norms]\x1b[0m") {
		t.Errorf("colorized %q", colored)
	}
	if got := Line("s", []byte("not json")); got != "s not json" {
		t.Errorf("non-alert line = %q", got)
	}
}

func TestBadSubject(t *testing.T) {
	t.Parallel()
	for _, subject := range []string{"news.alert.>.bad", "news..alert", "news.alert fr", "."} {
		// The subject is refused before any connection: the server named
		// does not exist.
		err := Run(context.Background(), Options{Server: "nats://127.0.0.1:1", Subject: subject}, &strings.Builder{})
		if !errors.Is(err, ErrBadSubject) {
			t.Errorf("%q: %v, want ErrBadSubject", subject, err)
		}
	}
}

// syncBuffer is a buffer that Run writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRun follows the default subject on a server: an alert becomes a
// line, an item (another subject) does not, and Run ends with its context.
func TestRun(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t, nil)
	for _, asJSON := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		out := &syncBuffer{}
		done := make(chan error, 1)
		go func() { done <- Run(ctx, Options{Server: srv.ClientURL(), JSON: asJSON}, out) }()

		nc, err := nats.Connect(srv.ClientURL())
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(oewg)
		// Publish until the subscription, which Run makes after it
		// connects, has the alert.
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), "OEWG") && time.Now().Before(deadline) {
			nc.Publish("news.item.fr.vna-fr", []byte(`{"id":"item"}`))
			nc.Publish("news.alert.cyber-diplomacy.fr.vna-fr", data)
			nc.Flush()
			time.Sleep(20 * time.Millisecond)
		}
		nc.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		got := out.String()
		first, _, _ := strings.Cut(got, "\n")
		switch {
		case strings.Contains(got, `"item"`):
			t.Errorf("an item was printed:\n%s", got)
		case asJSON && first != string(data):
			t.Errorf("--json line %q, want the payload %s", first, data)
		case !asJSON && first != Line("news.alert.cyber-diplomacy.fr.vna-fr", data):
			t.Errorf("line %q", first)
		}
	}
}

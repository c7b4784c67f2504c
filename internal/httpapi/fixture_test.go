package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/httpapi"
	"github.com/vigie-news/vigie/internal/metrics"
	"github.com/vigie-news/vigie/internal/status"
)

// openBroker starts an embedded NATS server with its store in a temporary
// directory.
func openBroker(tb testing.TB) *broker.Broker {
	tb.Helper()
	b, err := broker.Open(context.Background(), broker.Options{Listen: "127.0.0.1:-1", StoreDir: tb.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.Close(ctx)
	})
	return b
}

var langs = []string{"en", "fr", "es", "ru", "zh", "ar", "vi", "ja", "de", "pt"}

// manyFeeds configures n feeds and writes a state for each, as the daemon
// does: every tenth failing, every hundredth not read yet, the others
// fetched with two days of hourly counts.
func manyFeeds(tb testing.TB, b *broker.Broker, n int, now time.Time) *config.Config {
	tb.Helper()
	var y strings.Builder
	y.WriteString("feeds:\n")
	for i := range n {
		fmt.Fprintf(&y, "  - {id: feed-%04d, url: \"https://host%d.example/rss\", title: \"Feed number %d\"}\n", i, i%200, i)
	}
	cfg, err := config.Parse("feeds.yaml", []byte(y.String()), func(string) (string, bool) { return "", false })
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	for i := range n {
		if i%100 == 99 {
			continue // not read yet
		}
		lang := langs[i%len(langs)]
		var h status.Hours
		for hour := 47; hour >= 0; hour-- {
			at := now.Add(-time.Duration(hour) * time.Hour)
			errs := 0
			if i%10 == 3 {
				errs = 1
			}
			h = h.Add(at, map[string]int{lang: 1 + (i+hour)%4}, map[string]int{lang: (i + hour) % 2}, errs)
		}
		st := map[string]any{
			"last_fetch": now.Add(-5 * time.Minute), "last_success": now.Add(-5 * time.Minute), "last_status": 200,
			"consecutive_failures": 0, "next_fetch": now.Add(10 * time.Minute), "lang": lang, "hours": h,
		}
		if i%10 == 3 {
			st["last_status"], st["consecutive_failures"] = 503, 1+i%7
			st["last_error"], st["error_kind"] = fmt.Sprintf("fetch feed-%04d: http status 503", i), "http_5xx"
			// Retried at its next tick: failing, not backing off.
			st["next_fetch"] = now.Add(-5 * time.Minute)
		}
		data, _ := json.Marshal(st)
		if _, err := b.Feeds.Put(ctx, fmt.Sprintf("feed-%04d", i), data); err != nil {
			tb.Fatal(err)
		}
	}
	return cfg
}

// publishAlerts publishes n alerts of the first feeds.
func publishAlerts(tb testing.TB, b *broker.Broker, n int) {
	tb.Helper()
	for i := range n {
		a := &vigie.Alert{
			Item: vigie.Item{Schema: vigie.AlertSchema, ID: fmt.Sprintf("%016x", i+1),
				Feed:  vigie.FeedRef{ID: fmt.Sprintf("feed-%04d", i%10), URL: "https://host.example/rss"},
				Title: fmt.Sprintf("OEWG alert number %d", i), URL: fmt.Sprintf("https://news.example/%d", i),
				Summary: "The open-ended working group met.", Lang: langs[i%len(langs)], LangConfidence: 0.9,
				Published: time.Now().Add(-time.Duration(i) * time.Minute),
				Entities:  vigie.Entities{States: []string{"JP", "VN"}, Orgs: []string{"UN"}}},
			Classifier: "cyber-diplomacy", Score: 7.5,
			Topics: []vigie.Topic{{ID: "un-processes", Score: 4, Evidence: []vigie.Evidence{{Term: "OEWG", Field: "title", Count: 1}}}},
		}
		if err := b.PublishAlert(context.Background(), a); err != nil {
			tb.Fatal(err)
		}
	}
}

// startPage serves the status page of src on a loopback port.
func startPage(tb testing.TB, src status.Source, token string, log *slog.Logger) *httpapi.Server {
	tb.Helper()
	s := httpapi.New("127.0.0.1:0", metrics.New(), nil, log)
	s.ServeStatus(src, token)
	if err := s.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}

// response is an answer read whole.
type response struct {
	code int
	head http.Header
	body string
}

func request(tb testing.TB, method, url, token string) response {
	tb.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(body)}
}

package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/vigie-news/vigie/internal/config"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// metricValue reads one sample from a Prometheus text exposition.
func metricValue(t *testing.T, exposition, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(exposition)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReadyzFollowsNATS starts Vigie against an external NATS server that is
// not up yet: /healthz answers, /readyz says no; once the server is up,
// /readyz says yes.
func TestReadyzFollowsNATS(t *testing.T) {
	natsAddr, httpAddr := freeAddr(t), freeAddr(t)
	feed := serveFeed(t, ownItems)
	dir := t.TempDir()
	cfg := testConfig(t, dir, fmt.Sprintf("  - id: own\n    url: %s/rss\n", feed.URL))
	cfg.NATS.URL = "nats://" + natsAddr
	cfg.HTTP.Listen = httpAddr

	d := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	base := "http://" + httpAddr
	waitFor(t, "/healthz", func() bool { code, _ := get(base + "/healthz"); return code == 200 })
	if code, body := get(base + "/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz before NATS is up: %d %q, want 503", code, body)
	}

	host, port, _ := net.SplitHostPort(natsAddr)
	p, _ := strconv.Atoi(port)
	s, err := server.NewServer(&server.Options{Host: host, Port: p, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	defer s.Shutdown()
	waitFor(t, "/readyz to turn ready", func() bool { code, _ := get(base + "/readyz"); return code == 200 })
}

// TestReloadAndMetrics runs the daemon with its operations listener, checks
// that the metrics move, then edits feeds.yaml: a new feed is fetched without
// a restart, and an invalid file is refused while the daemon carries on.
func TestReloadAndMetrics(t *testing.T) {
	a := serveFeed(t, append(append([]rssItem{}, ownItems...), unrelated...))
	b := serveFeed(t, unrelated)
	dir := t.TempDir()
	path := filepath.Join(dir, "feeds.yaml")
	head := fmt.Sprintf("nats:\n  listen: 127.0.0.1:-1\nhttp:\n  listen: %s\nfeeds:\n  - id: a\n    url: %s/rss\n    language: fr\n", freeAddr(t), a.URL)
	if err := os.WriteFile(path, []byte(head), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	d := New(cfg, Options{Logger: slog.New(slog.DiscardHandler), WatchConfig: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	<-d.Ready()
	base := "http://" + d.HTTPAddr()
	if code, body := get(base + "/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %q", code, body)
	}
	scrape := func() string { _, body := get(base + "/metrics"); return body }
	// The next fetch time is recorded last, when the whole feed is done.
	waitFor(t, "the first fetch in the metrics", func() bool {
		return metricValue(t, scrape(), `vigie_feed_next_fetch_timestamp_seconds{feed="a"}`) > 0
	})
	m := scrape()
	if v := metricValue(t, m, `vigie_fetches_total{feed="a",result="ok"}`); v != 1 {
		t.Errorf("vigie_fetches_total = %v", v)
	}
	if v := metricValue(t, m, `vigie_items_new_total{feed="a"}`); v != float64(len(ownItems)+len(unrelated)) {
		t.Errorf("vigie_items_new_total = %v", v)
	}
	if v := metricValue(t, m, `vigie_alerts_total{classifier="cyber-diplomacy",lang="fr"}`); v != float64(len(ownItems)) {
		t.Errorf("vigie_alerts_total = %v\n%s", v, m)
	}
	if v := metricValue(t, m, `vigie_feed_next_fetch_timestamp_seconds{feed="a"}`); v < float64(time.Now().Unix()) {
		t.Errorf("next fetch timestamp %v is not in the future", v)
	}

	// The health gauges follow the shared feed state.
	waitFor(t, "the feed's last success in the metrics", func() bool {
		return metricValue(t, scrape(), `vigie_feed_last_success_timestamp_seconds{feed="a"}`) >= float64(time.Now().Add(-time.Minute).Unix())
	})
	if v := metricValue(t, scrape(), `vigie_feed_consecutive_failures{feed="a"}`); v != 0 {
		t.Errorf("consecutive failures = %v, want 0", v)
	}

	// Add feed b by editing the file.
	added := head + fmt.Sprintf("  - id: b\n    url: %s/rss\n", b.URL)
	if err := os.WriteFile(path, []byte(added), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "feed b fetched after the reload", func() bool {
		return metricValue(t, scrape(), `vigie_fetches_total{feed="b",result="ok"}`) == 1
	})
	if v := metricValue(t, scrape(), `vigie_config_reloads_total{result="ok"}`); v != 1 {
		t.Errorf("successful reloads = %v, want 1", v)
	}

	// An invalid file is refused; both feeds stay scheduled.
	if err := os.WriteFile(path, []byte(added+"  - id: a\n    url: ftp://nope/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused reload", func() bool {
		return metricValue(t, scrape(), `vigie_config_reloads_total{result="error"}`) == 1
	})
	d.mu.Lock()
	n := len(d.feeds)
	d.mu.Unlock()
	if n != 2 {
		t.Errorf("%d feeds scheduled after a refused reload, want 2", n)
	}
	if code, _ := get(base + "/readyz"); code != 200 {
		t.Errorf("/readyz after a refused reload = %d", code)
	}
	// A changed feed is fetched again at once.
	changed := head + fmt.Sprintf("  - id: b\n    url: %s/rss\n    schedule: \"@every 1h\"\n", b.URL)
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "feed b fetched again after its change", func() bool {
		return metricValue(t, scrape(), `vigie_fetches_total{feed="b",result="ok"}`) == 2
	})
	if !strings.Contains(scrape(), "vigie_build_info") {
		t.Error("no vigie_build_info")
	}
}

package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/vigie-news/vigie/internal/broker"
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
	t.Parallel()
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
	// After the daemon's deferred stop, not before it: a daemon whose
	// server went first would wait for it until its shutdown deadline.
	t.Cleanup(s.Shutdown)
	waitFor(t, "/readyz to turn ready", func() bool { code, _ := get(base + "/readyz"); return code == 200 })
}

// TestReadyzWhenNATSGoesAway runs Vigie against an external NATS server
// that stops, then comes back on the same port and store: /readyz turns
// not ready, saying why, and ready again, from the state the daemon keeps
// on NATS's connection events.
func TestReadyzWhenNATSGoesAway(t *testing.T) {
	t.Parallel()
	natsAddr, httpAddr := freeAddr(t), freeAddr(t)
	host, port, _ := net.SplitHostPort(natsAddr)
	p, _ := strconv.Atoi(port)
	store := t.TempDir()
	startNATS := func() *server.Server {
		s, err := server.NewServer(&server.Options{Host: host, Port: p, JetStream: true, StoreDir: store, NoLog: true, NoSigs: true})
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatal("nats-server not ready")
		}
		return s
	}
	s := startNATS()
	feed := serveFeed(t, unrelated)
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf("  - id: x\n    url: %s/rss\n", feed.URL))
	cfg.NATS.URL = "nats://" + natsAddr
	cfg.HTTP.Listen = httpAddr

	d := New(cfg, Options{Logger: slog.New(slog.DiscardHandler), ShutdownTimeout: 2 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var last *server.Server
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		last.Shutdown()
	}()
	<-d.Ready()
	base := "http://" + httpAddr
	waitFor(t, "/readyz ready", func() bool { code, _ := get(base + "/readyz"); return code == 200 })

	// A probe reads the state kept: it does not look the streams up.
	watch, err := nats.Connect(cfg.NATS.URL)
	if err != nil {
		t.Fatal(err)
	}
	lookups, err := watch.SubscribeSync("$JS.API.STREAM.INFO." + broker.ItemsStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Flush(); err != nil {
		t.Fatal(err)
	}
	const probes = 20
	for range probes {
		if code, body := get(base + "/readyz"); code != 200 {
			t.Fatalf("/readyz = %d %q", code, body)
		}
	}
	if err := watch.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := lookups.Pending(); n >= probes {
		t.Errorf("%d lookups of %s for %d probes of /readyz", n, broker.ItemsStream, probes)
	}
	watch.Close()

	s.Shutdown()
	s.WaitForShutdown()
	waitFor(t, "/readyz not ready once NATS is gone", func() bool {
		code, body := get(base + "/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "NATS not connected")
	})

	last = startNATS()
	waitFor(t, "/readyz ready again once NATS is back", func() bool { code, _ := get(base + "/readyz"); return code == 200 })
}

// TestReloadAndMetrics runs the daemon with its operations listener, checks
// that the metrics move, then edits feeds.yaml: a new feed is fetched without
// a restart, and an invalid file is refused while the daemon carries on.
func TestReloadAndMetrics(t *testing.T) {
	t.Parallel()
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

func TestAlignedEvery(t *testing.T) {
	s, err := cronParser{}.Parse("@every 30m")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 22, 14, 7, 13, 0, time.UTC)
	if got, want := s.Next(base), time.Date(2026, 11, 22, 14, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Next(%v) = %v, want %v: instances started at different times must share ticks", base, got, want)
	}
	if p := tickPeriod(s); p != 30*time.Minute {
		t.Errorf("tick period %v", p)
	}
	c, _ := cronParser{}.Parse("*/15 * * * *")
	if p := tickPeriod(c); p != time.Minute {
		t.Errorf("cron tick period %v", p)
	}
}

// TestChangedFeedInBackoffFetchedAtOnce points a failing feed (backed off
// for minutes) at a working URL: the change is fetched at once, with a
// fresh state.
func TestChangedFeedInBackoffFetchedAtOnce(t *testing.T) {
	t.Parallel()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer broken.Close()
	good := serveFeed(t, ownItems)
	dir := t.TempDir()
	path := filepath.Join(dir, "feeds.yaml")
	write := func(url string) {
		t.Helper()
		yaml := fmt.Sprintf("nats:\n  listen: 127.0.0.1:-1\nhttp:\n  listen: \"\"\nfeeds:\n  - id: x\n    url: %s/rss\n", url)
		if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(broken.URL)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	r := startWith(t, cfg, Options{WatchConfig: 100 * time.Millisecond})
	st := r.waitFetched(t, "x", begin)
	if st.Failures != 1 || !st.NextFetch.After(time.Now().Add(30*time.Second)) {
		t.Fatalf("state after the failure: %+v, want a backoff", st)
	}
	write(good.URL)
	waitFor(t, "the changed feed fetched", func() bool {
		st := r.feedState(t, "x")
		return !st.LastSuccess.IsZero() && st.Failures == 0
	})
	if n := len(r.storedMsgs(t, "VIGIE_ALERTS")); n != len(ownItems) {
		t.Errorf("%d alerts, want %d", n, len(ownItems))
	}
}

// TestShutdownMidJob stops the daemon while a feed hangs: the job is put
// back, and the next start publishes the feed's items.
func TestShutdownMidJob(t *testing.T) {
	t.Parallel()
	var slow atomic.Bool
	slow.Store(true)
	release := make(chan struct{})
	good := serveFeed(t, ownItems)
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		good.Config.Handler.ServeHTTP(w, r)
	}))
	defer hanging.Close()
	defer close(release)
	dir := t.TempDir()
	cfg := testConfig(t, dir, fmt.Sprintf("  - id: h\n    url: %s/rss\n", hanging.URL))

	r := startWith(t, cfg, Options{ShutdownTimeout: 2 * time.Second})
	waitFor(t, "the fetch to start", func() bool { return good.requests.Load() == 0 && r.d.isRunning("h") })
	r.shutdown(t)

	slow.Store(false)
	r = start(t, cfg)
	waitFor(t, "the items after the restart", func() bool { return len(r.storedMsgs(t, "VIGIE_ALERTS")) == len(ownItems) })
}

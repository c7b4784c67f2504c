package daemon

import (
	"github.com/vigie-news/vigie/internal/classify"
	"github.com/vigie-news/vigie/internal/feedtest"
	"github.com/vigie-news/vigie/internal/sharedtest"

	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
)

// rssItem is one item of a test feed.
type rssItem struct{ guid, title, body string }

// feedServer serves an RSS 2.0 document with the items, and counts requests.
type feedServer struct {
	*feedtest.Server
	requests *atomic.Int64
}

func serveFeed(t *testing.T, items []rssItem) *feedServer {
	t.Helper()
	s := feedtest.Serve(t, feedItems(items))
	return &feedServer{Server: s, requests: &s.Requests}
}

// rssDocument is an RSS 2.0 document in French with the items (see
// feedtest.RSS).
func rssDocument(items []rssItem) string { return feedtest.RSS(feedItems(items)) }

func feedItems(items []rssItem) []feedtest.Item {
	out := make([]feedtest.Item, len(items))
	for i, it := range items {
		out[i] = feedtest.Item{GUID: it.guid, Title: it.title, Body: it.body}
	}
	return out
}

func rssItems(items []feedtest.Item) []rssItem {
	out := make([]rssItem, len(items))
	for i, it := range items {
		out[i] = rssItem{guid: it.GUID, title: it.Title, body: it.Body}
	}
	return out
}

// unrelated are clearly off-topic French items: they must be published as
// items and raise no alert.
var unrelated = rssItems(feedtest.Unrelated)

// testConfig is a configuration of the feeds with an embedded server on a
// free port, no operations listener, and no gap between two requests to one
// host: the tests' feeds share 127.0.0.1, and politeness is internal/fetch's
// to prove.
func testConfig(t *testing.T, dataDir string, feeds string) *config.Config {
	t.Helper()
	yaml := fmt.Sprintf("nats:\n  listen: 127.0.0.1:-1\ndata_dir: %s\nhttp:\n  listen: \"\"\nfetch:\n  host_gap: -1s\nfeeds:\n%s", dataDir, feeds)
	cfg, err := config.Parse(filepath.Join(dataDir, "feeds.yaml"), []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// running is a daemon started in-process for a test.
type running struct {
	d    *Daemon
	stop func()
	done chan error
	nc   *nats.Conn
	js   jetstream.JetStream
}

func start(t *testing.T, cfg *config.Config) *running {
	t.Helper()
	return startWith(t, cfg, Options{})
}

func startWith(t *testing.T, cfg *config.Config, o Options) *running {
	t.Helper()
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if o.Workers == 0 {
		o.Workers = 4
	}
	d := New(cfg, o)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{d: d, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- d.Run(ctx) }()
	select {
	case <-d.Ready():
	case err := <-r.done:
		t.Fatalf("daemon ended before ready: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("daemon not ready after 60s")
	}
	nc, err := nats.Connect(d.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	r.nc = nc
	r.js, _ = jetstream.New(nc)
	t.Cleanup(func() { r.shutdown(t) })
	return r
}

// shutdown stops the daemon and checks that it returns in time.
func (r *running) shutdown(t *testing.T) {
	t.Helper()
	if r.stop == nil {
		return
	}
	r.nc.Close()
	r.stop()
	r.stop = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not stop within 30s")
	}
}

// storedMsgs returns every message of a stream.
func (r *running) storedMsgs(t *testing.T, stream string) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	s, err := r.js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		out = append(out, m)
	}
	return out
}

// feedState reads a feed's state from the vigie_feeds bucket.
func (r *running) feedState(t *testing.T, feed string) FeedState {
	t.Helper()
	kv, err := r.js.KeyValue(context.Background(), broker.FeedsBucket)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := stateStore{kv}.get(context.Background(), feed)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitFetched waits until the feed's state records a fetch after since.
func (r *running) waitFetched(t *testing.T, feed string, since time.Time) FeedState {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if st := r.feedState(t, feed); st.LastFetch.After(since) {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("feed %s not fetched within 60s", feed)
	return FeedState{}
}

func alertsOf(t *testing.T, msgs []*jetstream.RawStreamMsg) map[string]vigie.Alert {
	t.Helper()
	out := map[string]vigie.Alert{}
	for _, m := range msgs {
		var a vigie.Alert
		if err := json.Unmarshal(m.Data, &a); err != nil {
			t.Fatalf("%s: %v", m.Subject, err)
		}
		if want := "news.alert.cyber-diplomacy." + a.Lang + "." + a.Feed.ID; m.Subject != want {
			t.Errorf("alert on %s, want %s", m.Subject, want)
		}
		if m.Header.Get("Nats-Msg-Id") != a.ID+".cyber-diplomacy" {
			t.Errorf("alert %s has Nats-Msg-Id %q", a.ID, m.Header.Get("Nats-Msg-Id"))
		}
		if _, dup := out[a.ID]; dup {
			t.Errorf("alert %s published twice", a.ID)
		}
		out[a.ID] = a
	}
	return out
}

// seedItems reads the four seed articles, skipping the test without them.
func seedItems(t *testing.T) []rssItem {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(sharedtest.Path(t, "seeds"), "*.txt"))
	var items []rssItem
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		title, body := classify.SplitTitle(string(data))
		items = append(items, rssItem{guid: filepath.Base(f), title: title, body: body})
	}
	return items
}

// TestSeedsEndToEnd serves the four seed articles and three unrelated items
// as one RSS feed, runs the daemon, and checks the alerts on NATS; then
// restarts it on the same data_dir and checks that nothing is sent twice.
func TestSeedsEndToEnd(t *testing.T) {
	t.Parallel()
	seeds := seedItems(t)
	if len(seeds) != 4 {
		t.Fatalf("found %d seed articles, want 4", len(seeds))
	}
	srv := serveFeed(t, append(append([]rssItem{}, seeds...), unrelated...))
	dir := t.TempDir()
	cfg := testConfig(t, dir, fmt.Sprintf("  - id: seeds-fr\n    url: %s/rss\n    language: fr\n", srv.URL))

	begin := time.Now()
	r := start(t, cfg)
	st := r.waitFetched(t, "seeds-fr", begin)
	if st.Failures != 0 || st.ItemsLastSeen != 7 {
		t.Fatalf("feed state after the first fetch: %+v", st)
	}
	alerts := alertsOf(t, r.storedMsgs(t, broker.AlertsStream))
	items := r.storedMsgs(t, broker.ItemsStream)
	if len(items) != 7 {
		t.Errorf("%d items published, want 7", len(items))
	}
	if len(alerts) != 4 {
		t.Errorf("%d alerts, want 4 (the seeds)", len(alerts))
	}
	seedTitles := map[string]bool{}
	for _, s := range seeds {
		seedTitles[s.title] = true
	}
	for _, a := range alerts {
		if !seedTitles[a.Title] {
			t.Errorf("alert on a non-seed item %q", a.Title)
		}
		if a.Lang != "fr" || a.Schema != vigie.AlertSchema || a.Classifier != "cyber-diplomacy" || len(a.Topics) == 0 || a.Score <= 0 {
			t.Errorf("alert %q: lang %s schema %s classifier %s score %v topics %d", a.Title, a.Lang, a.Schema, a.Classifier, a.Score, len(a.Topics))
		}
		if a.Fetched.IsZero() || a.Published.IsZero() || a.URL == "" || a.Feed.ID != "seeds-fr" {
			t.Errorf("alert %q lacks item fields: %+v", a.Title, a.Item)
		}
	}
	r.shutdown(t)

	// Restart on the same store: the feed is fetched again at start, and
	// every item is already seen.
	restart := time.Now()
	r = start(t, cfg)
	r.waitFetched(t, "seeds-fr", restart)
	if got := srv.requests.Load(); got != 2 {
		t.Errorf("feed fetched %d times over two starts, want 2", got)
	}
	if n := len(r.storedMsgs(t, broker.AlertsStream)); n != 4 {
		t.Errorf("after restart the alert stream holds %d alerts, want 4", n)
	}
	if n := len(r.storedMsgs(t, broker.ItemsStream)); n != 7 {
		t.Errorf("after restart the item stream holds %d items, want 7", n)
	}
}

// ownItems are cyber-diplomacy items written for these tests, so that the
// pipeline is tested even without ../shared.
var ownItems = rssItems(feedtest.Own)

func TestFailingFeedsDoNotStopOthers(t *testing.T) {
	t.Parallel()
	good := serveFeed(t, append(append([]rssItem{}, ownItems...), unrelated...))
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer broken.Close()
	notFeed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>")
	}))
	defer notFeed.Close()
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf(
		"  - id: broken\n    url: %s/rss\n  - id: html\n    url: %s/\n  - id: good\n    url: %s/rss\n    language: fr\n",
		broken.URL, notFeed.URL, good.URL))

	begin := time.Now()
	r := start(t, cfg)
	st := r.waitFetched(t, "good", begin)
	if st.Failures != 0 {
		t.Errorf("good feed state %+v", st)
	}
	for _, bad := range []string{"broken", "html"} {
		st := r.waitFetched(t, bad, begin)
		if st.Failures != 1 || st.LastError == "" || !st.NextFetch.After(begin) {
			t.Errorf("feed %s: state %+v, want one failure, an error and a backoff", bad, st)
		}
	}
	if st := r.feedState(t, "broken"); st.LastStatus != http.StatusInternalServerError {
		t.Errorf("broken feed last status %d, want 500", st.LastStatus)
	}
	alerts := alertsOf(t, r.storedMsgs(t, broker.AlertsStream))
	var titles []string
	for _, a := range alerts {
		titles = append(titles, a.Title)
	}
	sort.Strings(titles)
	if len(alerts) != len(ownItems) {
		t.Errorf("alerts %q, want the %d cyber-diplomacy items", titles, len(ownItems))
	}
}

func TestExternalNATS(t *testing.T) {
	t.Parallel()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("external server not ready")
	}
	defer s.Shutdown()

	good := serveFeed(t, ownItems)
	dir := t.TempDir()
	cfg := testConfig(t, dir, fmt.Sprintf("  - id: own\n    url: %s/rss\n", good.URL))
	cfg.NATS.URL = s.ClientURL()

	begin := time.Now()
	r := start(t, cfg)
	if r.d.broker.Server != nil {
		t.Fatal("an embedded server was started although nats.url is set")
	}
	r.waitFetched(t, "own", begin)
	r.shutdown(t)

	// The alerts are on the external server, and nothing was stored locally.
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(context.Background(), broker.AlertsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := stream.Info(context.Background())
	if info.State.Msgs != uint64(len(ownItems)) {
		t.Errorf("external server holds %d alerts, want %d", info.State.Msgs, len(ownItems))
	}
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); err == nil {
		t.Error("a local JetStream store was created although nats.url is set")
	}
}

// TestWebhookRoute runs the daemon with a webhook route: each alert reaches
// the receiver once, signed, and a restart sends nothing again.
func TestWebhookRoute(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string]int{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var a vigie.Alert
		if json.Unmarshal(body, &a) != nil || r.Header.Get("webhook-signature") == "" || r.Header.Get("webhook-id") != a.ID+".cyber-diplomacy" {
			http.Error(w, "bad delivery", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got[a.ID]++
		mu.Unlock()
	}))
	defer receiver.Close()
	count := func() (alerts, deliveries int) {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range got {
			alerts++
			deliveries += n
		}
		return
	}
	feed := serveFeed(t, append(append([]rssItem{}, ownItems...), unrelated...))
	dir := t.TempDir()
	cfg := testConfig(t, dir, fmt.Sprintf("  - id: own\n    url: %s/rss\n    language: fr\nnotify:\n  - name: siem\n    type: webhook\n    url: %s/hook\n    secret: whsec_c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Rz\n    match: {languages: [fr]}\n", feed.URL, receiver.URL))

	r := start(t, cfg)
	waitFor(t, "the webhook deliveries", func() bool { a, _ := count(); return a == len(ownItems) })
	r.shutdown(t)

	begin := time.Now()
	r = start(t, cfg)
	r.waitFetched(t, "own", begin)
	time.Sleep(500 * time.Millisecond) // room for a wrong redelivery to show
	if alerts, deliveries := count(); alerts != len(ownItems) || deliveries != len(ownItems) {
		t.Errorf("%d alerts delivered %d times, want %d once each", alerts, deliveries, len(ownItems))
	}
}

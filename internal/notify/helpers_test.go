package notify_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

// testSecret is a Standard Webhooks secret for the tests' receivers.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// openBroker starts an embedded NATS server with its store in dir.
func openBroker(t testing.TB, dir string) *broker.Broker {
	t.Helper()
	b, err := broker.Open(context.Background(), broker.Options{Listen: "127.0.0.1:-1", StoreDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func closeBroker(t testing.TB, b *broker.Broker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		t.Error(err)
	}
}

func newAlert(id, lang, feed string, score float64, topics ...string) *vigie.Alert {
	a := &vigie.Alert{
		Item: vigie.Item{
			Schema: vigie.AlertSchema, ID: id,
			Feed:  vigie.FeedRef{ID: feed, Title: "Feed " + feed, URL: "https://" + feed + ".example/rss"},
			Title: "Alert " + id, Summary: "Summary of " + id, URL: "https://" + feed + ".example/" + id,
			Published: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), Fetched: time.Date(2026, 11, 20, 8, 5, 0, 0, time.UTC),
			Lang: lang, LangConfidence: 0.9,
		},
		Classifier: "cyber-diplomacy", Score: score,
	}
	for _, tp := range topics {
		a.Topics = append(a.Topics, vigie.Topic{ID: tp, Score: 1, Evidence: []vigie.Evidence{{Term: "term-" + tp, Field: "title", Count: 1}}})
	}
	return a
}

func publish(t testing.TB, b *broker.Broker, alerts ...*vigie.Alert) {
	t.Helper()
	for _, a := range alerts {
		if err := b.PublishAlert(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
}

// request is one request a test receiver got.
type request struct {
	ID, Timestamp, Signature string
	Path                     string
	Body                     []byte
	Status                   int
	At                       time.Time
}

// answerFunc decides a receiver's answer to the n-th request (from 1) for an
// id. It writes the answer itself and returns the status it wrote.
type answerFunc func(w http.ResponseWriter, r *http.Request, id string, n int) int

// testReceiver is an httptest webhook or Slack receiver that records every
// request it gets.
type testReceiver struct {
	srv    *httptest.Server
	answer answerFunc
	idOf   func(body []byte) string

	mu   sync.Mutex
	reqs []request
	seen map[string]int
	wake chan struct{}
}

func newReceiver(t testing.TB, answer answerFunc) *testReceiver {
	rc := &testReceiver{answer: answer, seen: map[string]int{}, wake: make(chan struct{}, 1)}
	rc.idOf = func([]byte) string { return "" }
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *testReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	if id == "" {
		id = rc.idOf(body)
	}
	rc.mu.Lock()
	rc.seen[id]++
	n := rc.seen[id]
	rc.mu.Unlock()
	at := time.Now()
	status := http.StatusOK
	if rc.answer != nil {
		status = rc.answer(w, r, id, n)
	}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, request{ID: id, Timestamp: r.Header.Get("webhook-timestamp"), Signature: r.Header.Get("webhook-signature"), Path: r.URL.Path, Body: body, Status: status, At: at})
	rc.mu.Unlock()
	select {
	case rc.wake <- struct{}{}:
	default:
	}
}

func (rc *testReceiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// count is how many requests the receiver got for id.
func (rc *testReceiver) count(id string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.seen[id]
}

// delivered counts the 2xx answers per id.
func (rc *testReceiver) delivered() map[string]int {
	out := map[string]int{}
	for _, r := range rc.requests() {
		if r.Status >= 200 && r.Status < 300 {
			out[r.ID]++
		}
	}
	return out
}

// waitFor waits until cond holds; the deadline only keeps a broken test from
// hanging.
func (rc *testReceiver) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitFor(t, what, rc.wake, cond)
}

func waitFor(t testing.TB, what string, wake <-chan struct{}, cond func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-wake:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// verify checks a request's Standard Webhooks signature with its own HMAC,
// independent of the package under test.
func verify(secret string, r request) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	if _, err := strconv.ParseInt(r.Timestamp, 10, 64); err != nil {
		return fmt.Errorf("webhook-timestamp %q: %w", r.Timestamp, err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.ID + "." + r.Timestamp + "."))
	mac.Write(r.Body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(r.Signature) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("signature %q does not verify", r.Signature)
}

// running is a Service started in the background.
type running struct {
	*notify.Service
	cancel context.CancelFunc
	done   chan error
}

func start(t testing.TB, js jetstream.JetStream, routes []config.Route, o notify.Options) *running {
	t.Helper()
	if o.Backoff == nil {
		o.Backoff = func(int) time.Duration { return 10 * time.Millisecond }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := notify.New(context.Background(), js, routes, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Service: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels Run and waits for it to return.
func (r *running) stop(t testing.TB) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}

func (r *running) stats(route string) notify.Stats {
	for _, s := range r.Stats() {
		if s.Route == route {
			return s
		}
	}
	return notify.Stats{}
}

// consumerIdle reports whether a route's consumer has nothing left to
// deliver and nothing waiting for an ack.
func consumerIdle(t testing.TB, js jetstream.JetStream, route string) bool {
	t.Helper()
	c, err := js.Consumer(context.Background(), broker.AlertsStream, notify.ConsumerName(route))
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.NumPending == 0 && info.NumAckPending == 0
}

// syncBuffer is a log sink that handlers on many goroutines may write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func alertIDs(body []byte) []string {
	var d struct {
		Alerts []vigie.Alert `json:"alerts"`
	}
	_ = json.Unmarshal(body, &d)
	var out []string
	for _, a := range d.Alerts {
		out = append(out, a.ID+"."+a.Classifier)
	}
	return out
}

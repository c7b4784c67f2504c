package status_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
	"github.com/vigie-news/vigie/internal/status"
)

func openBroker(t testing.TB) *broker.Broker {
	t.Helper()
	b, err := broker.Open(context.Background(), broker.Options{Listen: "127.0.0.1:-1", StoreDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.Close(ctx)
	})
	return b
}

func parseConfig(t testing.TB, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("feeds.yaml", []byte(text), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// now is the tests' clock: 10:20 UTC, a feed scheduled every 15 minutes
// next ticks at 10:30.
var now = time.Date(2026, 11, 20, 10, 20, 0, 0, time.UTC)

const feedsYAML = `
defaults: {schedule: "*/15 * * * *"}
feeds:
  - {id: quiet, url: "https://quiet.example/rss?key=secret"}
  - {id: down, url: "https://down.example/rss", title: Down}
  - {id: fine, url: "https://fine.example/rss"}
  - {id: flapping, url: "https://flap.example/feed"}
  - {id: damaged, url: "https://damaged.example/rss"}
  - {id: html, url: "https://html.example/"}
`

// putState writes a feed state as the daemon does (daemon.FeedState).
func putState(t testing.TB, b *broker.Broker, feed, state string) {
	t.Helper()
	if _, err := b.Feeds.Put(context.Background(), feed, []byte(state)); err != nil {
		t.Fatal(err)
	}
}

func putStates(t testing.TB, b *broker.Broker) {
	putState(t, b, "down", `{"last_fetch":"2026-11-20T10:15:00Z","last_success":"2026-11-19T08:00:00Z","last_status":503,
		"last_error":"fetch down: http status 503","error_kind":"http_5xx","consecutive_failures":1,"next_fetch":"2026-11-20T10:16:10Z",
		"hours":[{"t":"2026-11-20T10:00:00Z","errors":1}]}`)
	putState(t, b, "fine", `{"last_fetch":"2026-11-20T10:15:00Z","last_success":"2026-11-20T10:15:00Z","last_status":200,
		"consecutive_failures":0,"next_fetch":"2026-11-20T10:15:00Z","last_new_item":"2026-11-20T10:15:00Z","lang":"fr",
		"hours":[{"t":"2026-11-18T09:00:00Z","items":{"fr":50}},
		         {"t":"2026-11-19T09:00:00Z","items":{"fr":7,"en":1},"alerts":{"fr":2}},
		         {"t":"2026-11-20T10:00:00Z","items":{"fr":3},"alerts":{"fr":1}}]}`)
	putState(t, b, "flapping", `{"last_fetch":"2026-11-20T10:00:00Z","last_error":"fetch flapping: timeout: context deadline exceeded",
		"error_kind":"timeout","consecutive_failures":6,"next_fetch":"2026-11-20T12:00:00Z",
		"hours":[{"t":"2026-11-20T09:00:00Z","errors":2},{"t":"2026-11-20T10:00:00Z","errors":1}]}`)
	putState(t, b, "damaged", `{"last_fetch":"2026-11-20T10:15:00Z","last_success":"2026-11-20T10:15:00Z","last_status":200,
		"last_error":"damaged, read up to the damage: XML syntax error on line 40","consecutive_failures":0}`)
	// Written before error kinds were kept.
	putState(t, b, "html", `{"last_fetch":"2026-11-20T10:15:00Z","last_error":"fetch html: not a feed: an HTML page","consecutive_failures":1,
		"next_fetch":"2026-11-20T10:16:00Z"}`)
	// A feed no longer configured.
	putState(t, b, "removed", `{"last_fetch":"2026-11-20T10:15:00Z","consecutive_failures":3}`)
}

func newReader(b *broker.Broker, cfg *config.Config) *status.Reader {
	return status.NewReader(b.JS, status.Options{Config: func() *config.Config { return cfg }, Now: func() time.Time { return now }})
}

func TestFeeds(t *testing.T) {
	b := openBroker(t)
	putStates(t, b)
	feeds, err := newReader(b, parseConfig(t, feedsYAML)).Feeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	byID := map[string]status.Feed{}
	for _, f := range feeds {
		order = append(order, f.ID)
		byID[f.ID] = f
	}
	if got, want := strings.Join(order, " "), "down html flapping quiet damaged fine"; got != want {
		t.Errorf("order %q, want %q (failing, backing off, not read, ok)", got, want)
	}
	at := func(s string) string { return s }
	ts := func(p *time.Time) string {
		if p == nil {
			return "null"
		}
		return p.Format(time.RFC3339)
	}
	tests := []struct {
		id, state, lastError, next, lang string
		items, alerts, errors            int
	}{
		{"down", status.StateFailing, "HTTP 503 Service Unavailable", at("2026-11-20T10:30:00Z"), "", 0, 0, 1},
		{"html", status.StateFailing, "parse error: not a feed (an HTML page)", at("2026-11-20T10:30:00Z"), "", 0, 0, 0},
		// Its backoff (two hours) is longer than its 15-minute schedule.
		{"flapping", status.StateBackingOff, "timeout: no complete answer in time", at("2026-11-20T12:00:00Z"), "", 0, 0, 3},
		{"quiet", status.StateNotRead, "", at("2026-11-20T10:30:00Z"), "", 0, 0, 0},
		{"damaged", status.StateOK, "damaged: read up to the damage", at("2026-11-20T10:30:00Z"), "", 0, 0, 0},
		// The hour of 2026-11-18 09:00 is out of the window, 2026-11-19 09:00 out of the last 24 hours.
		{"fine", status.StateOK, "", at("2026-11-20T10:30:00Z"), "fr", 3, 1, 0},
	}
	for _, tt := range tests {
		f := byID[tt.id]
		if f.State != tt.state || f.LastError != tt.lastError || ts(f.NextFetch) != tt.next || f.Lang != tt.lang ||
			f.Items24h != tt.items || f.Alerts24h != tt.alerts || f.Errors24h != tt.errors {
			t.Errorf("%s: state %s, error %q, next %s, lang %q, 24h %d items %d alerts %d errors; want %s, %q, %s, %q, %d, %d, %d",
				tt.id, f.State, f.LastError, ts(f.NextFetch), f.Lang, f.Items24h, f.Alerts24h, f.Errors24h,
				tt.state, tt.lastError, tt.next, tt.lang, tt.items, tt.alerts, tt.errors)
		}
	}
	if q := byID["quiet"]; q.URL != "https://quiet.example/rss?redacted" || q.Host != "quiet.example" || q.LastFetch != nil {
		t.Errorf("quiet: url %q host %q last fetch %v; want the query redacted, the host, no fetch", q.URL, q.Host, q.LastFetch)
	}
	if d := byID["down"]; d.Title != "Down" || d.LastStatus != 503 || d.Failures != 1 || d.ErrorDetail != "fetch down: http status 503" || ts(d.LastFetch) != "2026-11-20T10:15:00Z" {
		t.Errorf("down = %+v", d)
	}

	// The JSON has every field of the shape, null when unknown.
	var buf bytes.Buffer
	if err := status.WriteJSON(&buf, feeds); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Feeds []map[string]any `json:"feeds"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Feeds) != 6 {
		t.Fatalf("JSON %s: %v", buf.String(), err)
	}
	for _, f := range doc.Feeds {
		for _, k := range []string{"id", "url", "state", "last_fetch", "next_fetch", "last_error", "items_24h", "alerts_24h"} {
			if _, ok := f[k]; !ok {
				t.Errorf("feed %v lacks %q", f["id"], k)
			}
		}
	}
}

// With Watch running, Feeds answers from memory and follows the bucket.
func TestFeedsWatched(t *testing.T) {
	b := openBroker(t)
	putStates(t, b)
	r := newReader(b, parseConfig(t, feedsYAML))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Watch(ctx) }()
	defer func() { cancel(); <-done }()

	putState(t, b, "quiet", `{"last_fetch":"2026-11-20T10:15:00Z","consecutive_failures":0}`)
	waitFor(t, "the new state of quiet", func() bool {
		feeds, err := r.Feeds(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range feeds {
			if f.ID == "quiet" {
				return f.State == status.StateOK
			}
		}
		return false
	})
	if err := b.Feeds.Delete(context.Background(), "down"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "down forgotten", func() bool {
		feeds, _ := r.Feeds(context.Background())
		return feeds[0].ID == "html"
	})
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestActivity(t *testing.T) {
	b := openBroker(t)
	putStates(t, b)
	a, err := newReader(b, parseConfig(t, feedsYAML)).Activity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a.Hours != 48 || !a.Start.Equal(time.Date(2026, 11, 18, 11, 0, 0, 0, time.UTC)) || len(a.Errors) != 48 {
		t.Fatalf("activity from %s over %d hours (%d errors); want 48 hours from 2026-11-18 11:00", a.Start, a.Hours, len(a.Errors))
	}
	if strings.Join(a.Langs, ",") != "fr,en" {
		t.Errorf("langs %v, want fr (10 items) then en (1)", a.Langs)
	}
	// 2026-11-19 09:00 is hour 22, 2026-11-20 09:00 hour 46, 10:00 hour 47.
	if a.Items["fr"][22] != 7 || a.Items["fr"][47] != 3 || a.Items["en"][22] != 1 || a.Alerts["fr"][22] != 2 || a.Alerts["fr"][47] != 1 {
		t.Errorf("items %v, alerts %v", a.Items, a.Alerts)
	}
	// The removed feed's state is not counted; the out-of-window hour neither.
	if a.Errors[46] != 2 || a.Errors[47] != 2 || sum(a.Errors) != 4 || sum(a.Items["fr"]) != 10 {
		t.Errorf("errors %v, fr items %v", a.Errors, a.Items["fr"])
	}
}

func sum(xs []int) (n int) {
	for _, x := range xs {
		n += x
	}
	return n
}

func alert(id, lang string) *vigie.Alert {
	return &vigie.Alert{
		Item: vigie.Item{Schema: vigie.AlertSchema, ID: id, Feed: vigie.FeedRef{ID: "fine", URL: "https://fine.example/rss"},
			Title: "Title " + id, URL: "https://fine.example/" + id, Lang: lang,
			Entities: vigie.Entities{States: []string{"VN"}, Orgs: []string{"UN"}}},
		Classifier: "cyber-diplomacy", Score: 5,
		Topics: []vigie.Topic{{ID: "norms", Score: 5, Evidence: []vigie.Evidence{{Term: "OEWG", Field: "title", Count: 1}}}},
	}
}

// withText is an alert's payload with the whole text that was
// classified, as payloads carry it since full texts are read.
func withText(t testing.TB, a *vigie.Alert) []byte {
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	json.Unmarshal(data, &fields)
	fields["summary"] = "Summary " + a.ID
	fields["text"] = strings.Repeat("A long article. ", 1000)
	data, _ = json.Marshal(fields)
	return data
}

func TestAlerts(t *testing.T) {
	b := openBroker(t)
	cfg := parseConfig(t, feedsYAML+`
notify:
  - {name: siem, type: webhook, url: "https://siem.example/hook"}
  - {name: english, type: webhook, url: "https://en.example/hook", match: {languages: [en]}}
`)
	r := newReader(b, cfg)
	got, err := r.Alerts(context.Background(), 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("Alerts of an empty stream = %v, %v", got, err)
	}
	// The routes' consumers exist from now on, but nothing delivers.
	if _, err := notify.New(context.Background(), b.JS, cfg.Notify, notify.Options{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		lang := "fr"
		if i == 4 {
			lang = "en"
		}
		a := alert(fmt.Sprintf("a%d", i), lang)
		if _, err := b.JS.Publish(context.Background(), broker.AlertSubject("news", a.Classifier, a.Lang, a.Feed.ID), withText(t, a)); err != nil {
			t.Fatal(err)
		}
	}
	kv, err := b.JS.KeyValue(context.Background(), notify.DeliveriesBucket)
	if err != nil {
		t.Fatal(err)
	}
	for route, d := range map[string]string{
		"siem": `{"state":"retrying","attempts":2,"status":502,"error":"http status 502","at":"2026-11-20T10:00:00Z"}`,
		"gone": `{"state":"sent","attempts":1,"at":"2026-11-20T09:00:00Z"}`,
	} {
		if _, err := kv.Put(context.Background(), notify.DeliveryKey("a3.cyber-diplomacy")+"."+route, []byte(d)); err != nil {
			t.Fatal(err)
		}
	}

	got, err = r.Alerts(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a.Alert.ID)
	}
	if strings.Join(ids, " ") != "a4 a3 a2" {
		t.Fatalf("Alerts(3) = %v, want the newest three, newest first", ids)
	}
	deliveries := func(a status.Alert) string {
		var parts []string
		for _, d := range a.Deliveries {
			parts = append(parts, d.Route+"="+d.State)
		}
		return strings.Join(parts, " ")
	}
	for i, want := range []string{
		"siem=pending english=pending",
		// Configured routes first, then one no longer configured.
		"siem=retrying gone=sent",
		"siem=pending",
	} {
		if d := deliveries(got[i]); d != want {
			t.Errorf("%s deliveries %q, want %q", got[i].Alert.ID, d, want)
		}
	}
	if d := got[1].Deliveries[0]; d.Attempts != 2 || d.Status != 502 {
		t.Errorf("retrying delivery = %+v", d)
	}
	var payload map[string]any
	if err := json.Unmarshal(got[0].Payload, &payload); err != nil || payload["entities"] == nil || payload["title"] != "Title a4" || payload["summary"] != "Summary a4" {
		t.Errorf("payload %s: %v", got[0].Payload, err)
	}
	if _, ok := payload["text"]; ok {
		t.Errorf("payload keeps the whole text: %s", got[0].Payload)
	}
	if got[0].Seq != 5 || got[0].Stored.IsZero() {
		t.Errorf("seq %d stored %s", got[0].Seq, got[0].Stored)
	}

	// A limit out of range is brought back into it.
	for _, limit := range []int{-3, 0} {
		if got, err := r.Alerts(context.Background(), limit); err != nil || len(got) != 1 {
			t.Errorf("Alerts(%d) = %d alerts, %v; want 1", limit, len(got), err)
		}
	}
	if got, err := r.Alerts(context.Background(), 1<<30); err != nil || len(got) != 5 {
		t.Errorf("Alerts(huge) = %d alerts, %v; want all 5", len(got), err)
	}
	// A deleted alert is passed over.
	s, _ := b.JS.Stream(context.Background(), broker.AlertsStream)
	if err := s.DeleteMsg(context.Background(), 4); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Alerts(context.Background(), 3); err != nil || len(got) != 3 || got[1].Alert.ID != "a2" {
		t.Errorf("Alerts after a delete = %v, %v", got, err)
	}
}

func TestWriteTable(t *testing.T) {
	b := openBroker(t)
	putStates(t, b)
	feeds, err := newReader(b, parseConfig(t, feedsYAML)).Feeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := status.WriteTable(&buf, feeds, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 8 {
		t.Fatalf("%d lines, want a header, 6 feeds and a total:\n%s", len(lines), buf.String())
	}
	// Aligned: every column starts at the same place on every line.
	col := strings.Index(lines[0], "STATE")
	for _, l := range lines[1:7] {
		if l[col-2:col] != "  " || l[col] == ' ' {
			t.Errorf("STATE column not aligned at %d in %q", col, l)
		}
	}
	for i, want := range []string{"down", "html", "flapping", "quiet", "damaged", "fine"} {
		if !strings.HasPrefix(lines[i+1], want+" ") {
			t.Errorf("line %d = %q, want feed %s", i+1, lines[i+1], want)
		}
	}
	for _, want := range []string{"failing", "5m ago", "in 10m", "HTTP 503 Service Unavailable", "backing off", "in 1h40m"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
	if lines[7] != "6 feeds: 2 failing, 1 backing off, 1 not read, 2 ok" {
		t.Errorf("total line %q", lines[7])
	}
}

func TestHoursAdd(t *testing.T) {
	h0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var h status.Hours
	h = h.Add(h0.Add(5*time.Minute), map[string]int{"fr": 2}, map[string]int{"fr": 1}, 0)
	before := h
	h = h.Add(h0.Add(50*time.Minute), map[string]int{"fr": 1, "en": 1}, nil, 1)
	if len(h) != 1 || h[0].Items["fr"] != 3 || h[0].Items["en"] != 1 || h[0].Alerts["fr"] != 1 || h[0].Errors != 1 {
		t.Errorf("same hour: %+v", h)
	}
	if before[0].Items["fr"] != 2 {
		t.Errorf("Add changed the hours it was given: %+v", before)
	}
	h = h.Add(h0.Add(2*time.Hour), nil, nil, 0)
	if len(h) != 1 {
		t.Errorf("nothing to count added an hour: %+v", h)
	}
	h = h.Add(h0.Add(47*time.Hour), nil, nil, 1)
	if len(h) != 2 || !h[1].Start.Equal(h0.Add(47*time.Hour)) {
		t.Errorf("47 hours later: %+v", h)
	}
	h = h.Add(h0.Add(48*time.Hour), nil, nil, 1)
	if len(h) != 2 || !h[0].Start.Equal(h0.Add(47*time.Hour)) {
		t.Errorf("48 hours later the first hour is out of the window: %+v", h)
	}
}

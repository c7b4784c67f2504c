package notify_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

func webhookRoute(name, url string, m config.Match) config.Route {
	return config.Route{Name: name, Type: "webhook", URL: url, Secret: testSecret, Timeout: 2 * time.Second, Match: m}
}

func TestRetriesUntilDelivered(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, id string, n int) int {
		if id != "flaky.cyber-diplomacy" {
			return http.StatusOK
		}
		switch n {
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
			return http.StatusInternalServerError
		case 2: // no answer before the route's timeout
			<-r.Context().Done()
			return 0
		case 3:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return http.StatusTooManyRequests
		default:
			return http.StatusOK
		}
	})
	route := webhookRoute("siem", rc.srv.URL+"/hooks/vigie", config.Match{})
	route.Timeout = 300 * time.Millisecond
	svc := start(t, b.JS, []config.Route{route}, notify.Options{})
	publish(t, b, newAlert("flaky", "fr", "vna-fr", 5, "norms"), newAlert("steady", "en", "icann-blogs", 5, "norms"))

	rc.waitFor(t, "both alerts delivered", func() bool { return len(rc.delivered()) == 2 })
	waitFor(t, "consumer idle", nil, func() bool { return consumerIdle(t, b.JS, "siem") })

	reqs := rc.requests()
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].At.Before(reqs[j].At) })
	var flaky []request
	for _, r := range reqs {
		var a vigie.Alert
		if err := json.Unmarshal(r.Body, &a); err != nil {
			t.Fatalf("body %q: %v", r.Body, err)
		}
		if want := a.ID + "." + a.Classifier; r.ID != want {
			t.Errorf("webhook-id = %q, want the alert's message id %q", r.ID, want)
		}
		if err := verify(testSecret, r); err != nil {
			t.Errorf("request %s: %v", r.ID, err)
		}
		if a.ID == "flaky" {
			flaky = append(flaky, r)
		}
	}
	if got := statuses(flaky); !slices.Equal(got, []int{500, 0, 429, 200}) {
		t.Fatalf("flaky alert answers = %v, want [500 0 429 200]", got)
	}
	// The retry after a 429 waits for its Retry-After.
	if gap := flaky[3].At.Sub(flaky[2].At); gap < 950*time.Millisecond {
		t.Errorf("retry came %v after a 429 with Retry-After: 1", gap)
	}
	if d := rc.delivered(); d["flaky.cyber-diplomacy"] != 1 || d["steady.cyber-diplomacy"] != 1 {
		t.Errorf("delivered = %v, want each alert once", d)
	}
	st := svc.stats("siem")
	if st.Delivered != 2 || st.Retries != 3 || st.Failed != 0 {
		t.Errorf("stats = %+v, want 2 delivered, 3 retries, 0 failed", st)
	}
	if f, err := notify.Failures(context.Background(), b.JS); err != nil || len(f) != 0 {
		t.Errorf("Failures = %v, %v; want none", f, err)
	}
}

func statuses(reqs []request) []int {
	var out []int
	for _, r := range reqs {
		out = append(out, r.Status)
	}
	return out
}

func TestFinalFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		status       int
		maxAttempts  int
		wantRequests int
	}{
		{"4xx is final at once", http.StatusBadRequest, 0, 1},
		{"410 is final at once", http.StatusGone, 0, 1},
		{"5xx is final after max attempts", http.StatusServiceUnavailable, 3, 3},
		{"408 is final after max attempts", http.StatusRequestTimeout, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := openBroker(t, t.TempDir())
			defer closeBroker(t, b)
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, id string, n int) int {
				if id != "doomed.cyber-diplomacy" {
					return http.StatusOK
				}
				w.WriteHeader(tt.status)
				w.Write([]byte("channel_not_found"))
				return tt.status
			})
			at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
			svc := start(t, b.JS, []config.Route{webhookRoute("siem", rc.srv.URL, config.Match{})},
				notify.Options{MaxAttempts: tt.maxAttempts, Now: func() time.Time { return at }})
			doomed := newAlert("doomed", "fr", "vna-fr", 5, "norms")
			publish(t, b, doomed, newAlert("fine", "fr", "vna-fr", 5, "norms"))

			var failures []notify.Failure
			waitFor(t, "failure recorded", nil, func() bool {
				var err error
				failures, err = notify.Failures(context.Background(), b.JS)
				if err != nil {
					t.Fatal(err)
				}
				return len(failures) > 0 && len(rc.delivered()) == 1 && consumerIdle(t, b.JS, "siem")
			})
			// Idle means nothing left pending: the failed alert will not come back.
			if n := rc.count("doomed.cyber-diplomacy"); n != tt.wantRequests {
				t.Errorf("doomed alert sent %d times, want %d", n, tt.wantRequests)
			}
			if len(failures) != 1 {
				t.Fatalf("Failures = %+v, want one", failures)
			}
			f := failures[0]
			if f.Route != "siem" || f.AlertID != "doomed.cyber-diplomacy" || f.Title != doomed.Title ||
				f.Status != tt.status || f.Attempts != tt.wantRequests || !f.At.Equal(at) || !strings.Contains(f.Error, "channel_not_found") {
				t.Errorf("failure = %+v", f)
			}
			var a vigie.Alert
			if err := json.Unmarshal(f.Alert, &a); err != nil || a.ID != "doomed" {
				t.Errorf("failure payload = %s (%v)", f.Alert, err)
			}
			if st := svc.stats("siem"); st.Failed != 1 || st.Delivered != 1 {
				t.Errorf("stats = %+v, want 1 failed, 1 delivered", st)
			}
		})
	}
}

func TestRoutesGetOnlyTheirAlerts(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	rc := newReceiver(t, nil)
	routes := []config.Route{
		webhookRoute("fr-norms", rc.srv.URL+"/fr-norms", config.Match{Languages: []string{"fr"}, Topics: []string{"norms"}, MinScore: 2}),
		webhookRoute("asia-feeds", rc.srv.URL+"/asia", config.Match{Feeds: []string{"vna-fr", "jica-ja"}, Languages: []string{"fr", "ja"}}),
		webhookRoute("all", rc.srv.URL+"/all", config.Match{}),
	}
	svc := start(t, b.JS, routes, notify.Options{})
	publish(t, b,
		newAlert("a", "fr", "vna-fr", 3, "norms"),
		newAlert("b", "fr", "vna-fr", 1, "norms"), // score below 2
		newAlert("c", "en", "reuters", 5, "norms"),
		newAlert("d", "fr", "icann-blogs", 5, "cbm"),
		newAlert("e", "fr", "reuters", 2.5, "cbm", "norms"),
		newAlert("f", "ja", "jica-ja", 4, "norms"),
	)
	waitFor(t, "every route idle", rc.wake, func() bool {
		return len(rc.requests()) >= 6 && consumerIdle(t, b.JS, "fr-norms") && consumerIdle(t, b.JS, "asia-feeds") && consumerIdle(t, b.JS, "all")
	})
	got := map[string][]string{}
	for _, r := range rc.requests() {
		var a vigie.Alert
		if err := json.Unmarshal(r.Body, &a); err != nil {
			t.Fatal(err)
		}
		got[r.Path] = append(got[r.Path], a.ID)
	}
	want := map[string][]string{
		"/fr-norms": {"a", "e"},
		"/asia":     {"a", "b", "f"},
		"/all":      {"a", "b", "c", "d", "e", "f"},
	}
	for path, ids := range want {
		g := got[path]
		sort.Strings(g)
		if !slices.Equal(g, ids) {
			t.Errorf("%s got %v, want %v (each once)", path, g, ids)
		}
	}
	// Languages are filtered by the consumer: c and f never reach fr-norms,
	// b and d are checked in code.
	if st := svc.stats("fr-norms"); st.Skipped != 2 || st.Delivered != 2 {
		t.Errorf("fr-norms stats = %+v, want 2 skipped, 2 delivered", st)
	}
}

// TestRoutesMatchEntities runs routes that follow states and bodies: an
// alert naming Vietnam reaches the route for Vietnam and not the one for
// France, a route with states and orgs wants both, and the webhook body
// carries the alert's entities.
func TestRoutesMatchEntities(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	rc := newReceiver(t, nil)
	routes := []config.Route{
		webhookRoute("vietnam", rc.srv.URL+"/vn", config.Match{States: []string{"VN"}}),
		webhookRoute("france", rc.srv.URL+"/fr", config.Match{States: []string{"FR"}}),
		webhookRoute("asia-un", rc.srv.URL+"/asia-un", config.Match{States: []string{"VN", "JP"}, Orgs: []string{"UN", "ASEAN"}}),
	}
	svc := start(t, b.JS, routes, notify.Options{})
	named := func(id string, states, orgs []string) *vigie.Alert {
		a := newAlert(id, "fr", "vna-fr", 3, "norms")
		a.Entities = vigie.Entities{States: states, Orgs: orgs}
		return a
	}
	publish(t, b,
		named("vn", []string{"VN"}, []string{}),
		named("vn-un", []string{"CN", "VN"}, []string{"UN"}),
		named("jp-eu", []string{"JP"}, []string{"EU"}),
		named("fr-asean", []string{"FR"}, []string{"ASEAN"}),
		named("none", []string{}, []string{}),
	)
	waitFor(t, "every route idle", rc.wake, func() bool {
		return len(rc.requests()) >= 4 && consumerIdle(t, b.JS, "vietnam") && consumerIdle(t, b.JS, "france") && consumerIdle(t, b.JS, "asia-un")
	})
	got := map[string][]string{}
	for _, r := range rc.requests() {
		var a vigie.Alert
		if err := json.Unmarshal(r.Body, &a); err != nil {
			t.Fatal(err)
		}
		got[r.Path] = append(got[r.Path], a.ID)
		var raw struct {
			Entities *vigie.Entities `json:"entities"`
		}
		if err := json.Unmarshal(r.Body, &raw); err != nil || raw.Entities == nil || raw.Entities.States == nil || raw.Entities.Orgs == nil {
			t.Errorf("webhook body without entities: %s", r.Body)
		}
		if a.ID == "vn-un" && (!slices.Equal(a.Entities.States, []string{"CN", "VN"}) || !slices.Equal(a.Entities.Orgs, []string{"UN"})) {
			t.Errorf("webhook body entities %+v, want CN, VN and UN", a.Entities)
		}
	}
	want := map[string][]string{
		"/vn":      {"vn", "vn-un"},
		"/fr":      {"fr-asean"},
		"/asia-un": {"vn-un"},
	}
	for path, ids := range want {
		g := got[path]
		sort.Strings(g)
		if !slices.Equal(g, ids) {
			t.Errorf("%s got %v, want %v (each once)", path, g, ids)
		}
	}
	if st := svc.stats("france"); st.Skipped != 4 || st.Delivered != 1 {
		t.Errorf("france stats = %+v, want 4 skipped, 1 delivered", st)
	}
}

func TestRestartMidDelivery(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := openBroker(t, dir)
	blocked, release := make(chan struct{}), make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, id string, n int) int {
		if id == "a03.cyber-diplomacy" && n == 1 {
			close(blocked)
			<-release
		}
		return http.StatusOK
	})
	route := webhookRoute("siem", rc.srv.URL, config.Match{})
	route.Timeout = 10 * time.Second
	svc := start(t, b.JS, []config.Route{route}, notify.Options{})
	var want []string
	for _, id := range []string{"a01", "a02", "a03", "a04", "a05", "a06"} {
		publish(t, b, newAlert(id, "fr", "vna-fr", 5, "norms"))
		want = append(want, id+".cyber-diplomacy")
	}
	<-blocked
	rc.waitFor(t, "the other alerts delivered", func() bool { return len(rc.delivered()) == 5 })

	// Stop while a03 is with the receiver; the receiver answers only after
	// the stop has begun. Run must wait for the answer and ack.
	svc.cancel()
	close(release)
	svc.stop(t)

	// Alerts published while the notifier is down, and a NATS restart.
	for _, id := range []string{"a07", "a08", "a09", "a10"} {
		publish(t, b, newAlert(id, "fr", "vna-fr", 5, "norms"))
		want = append(want, id+".cyber-diplomacy")
	}
	closeBroker(t, b)
	b = openBroker(t, dir)
	defer closeBroker(t, b)

	svc2 := start(t, b.JS, []config.Route{route}, notify.Options{})
	rc.waitFor(t, "every alert delivered", func() bool { return len(rc.delivered()) == len(want) })
	waitFor(t, "consumer idle", nil, func() bool { return consumerIdle(t, b.JS, "siem") })
	svc2.stop(t)

	d := rc.delivered()
	for _, id := range want {
		if d[id] != 1 {
			t.Errorf("%s delivered %d times, want 1", id, d[id])
		}
	}
	if n := len(rc.requests()); n != len(want) {
		t.Errorf("receiver got %d requests for %d alerts: an alert was repeated", n, len(want))
	}
}

func TestSlackPacedInOrder(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, id string, n int) int {
		if id == "Alert s2 (fr)" && n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte("rate_limited"))
			return http.StatusTooManyRequests
		}
		w.Write([]byte("ok"))
		return http.StatusOK
	})
	rc.idOf = func(body []byte) string {
		var m struct{ Text string }
		_ = json.Unmarshal(body, &m)
		return m.Text
	}
	route := config.Route{Name: "soc-slack", Type: "slack", URL: rc.srv.URL + "/services/T/B/X", Template: "{{.Title}} ({{.Lang}})"}
	start(t, b.JS, []config.Route{route}, notify.Options{SlackInterval: 20 * time.Millisecond})
	publish(t, b, newAlert("s1", "fr", "vna-fr", 5, "norms"), newAlert("s2", "fr", "vna-fr", 5, "cbm"), newAlert("s3", "fr", "vna-fr", 5, "norms"))
	rc.waitFor(t, "three messages", func() bool { return len(rc.delivered()) == 3 })
	waitFor(t, "consumer idle", nil, func() bool { return consumerIdle(t, b.JS, "soc-slack") })

	var order []string
	for _, r := range rc.requests() {
		order = append(order, r.ID+" "+http.StatusText(r.Status))
		if r.Status != http.StatusOK {
			continue
		}
		var m struct {
			Text   string
			Blocks []struct {
				Type     string
				Text     *struct{ Text string }
				Elements []struct{ Text string }
			}
		}
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(m.Text, "Alert "), " (fr)")
		var all strings.Builder
		for _, bl := range m.Blocks {
			if bl.Text != nil {
				all.WriteString(bl.Text.Text + "\n")
			}
			for _, e := range bl.Elements {
				all.WriteString(e.Text + "\n")
			}
		}
		for _, part := range []string{
			"<https://vna-fr.example/" + id + "|Alert " + id + ">", // linked title
			"*Source:* Feed vna-fr", "*Language:* fr", "*Topics:* ", "*Matched:* term-",
			"|2026-11-20 08:00 UTC>", // publication time
		} {
			if !strings.Contains(all.String(), part) {
				t.Errorf("message %s lacks %q:\n%s", id, part, all.String())
			}
		}
	}
	// One message in flight per webhook: the 429 holds back s3 until s2 is in.
	want := []string{"Alert s1 (fr) OK", "Alert s2 (fr) Too Many Requests", "Alert s2 (fr) OK", "Alert s3 (fr) OK"}
	if !slices.Equal(order, want) {
		t.Errorf("requests = %q, want %q", order, want)
	}
}

func TestSecretsStayOutOfLogsAndRecords(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"webhook", "slack"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			b := openBroker(t, t.TempDir())
			defer closeBroker(t, b)
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, id string, n int) int {
				switch n {
				case 1: // an answer that echoes the request, secret and all
					w.WriteHeader(http.StatusBadGateway)
					w.Write([]byte("upstream refused " + r.URL.String()))
					return http.StatusBadGateway
				case 2: // no answer at all
					conn, _, _ := w.(http.Hijacker).Hijack()
					conn.Close()
					return 0
				default:
					w.WriteHeader(http.StatusForbidden)
					w.Write([]byte("forbidden: " + r.URL.String()))
					return http.StatusForbidden
				}
			})
			rc.idOf = func([]byte) string { return "one" }
			logs := &syncBuffer{}
			log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			route := config.Route{
				Name: "leaky", Type: typ, Secret: testSecret,
				URL: rc.srv.URL + "/services/T0001/B0002/PLANTEDSECRET?token=PLANTEDTOKEN",
			}
			if typ == "slack" {
				route.Secret = ""
			}
			svc := start(t, b.JS, []config.Route{route}, notify.Options{Logger: log, SlackInterval: time.Millisecond})
			publish(t, b, newAlert("x", "fr", "vna-fr", 5, "norms"))
			var failures []notify.Failure
			waitFor(t, "final failure", nil, func() bool {
				failures, _ = notify.Failures(context.Background(), b.JS)
				return len(failures) == 1
			})
			svc.stop(t)

			records, _ := json.Marshal(failures)
			stats, _ := json.Marshal(svc.Stats())
			for what, text := range map[string]string{"logs": logs.String(), "failure records": string(records), "stats": string(stats)} {
				for _, secret := range []string{"PLANTEDSECRET", "PLANTEDTOKEN", "T0001/B0002", strings.TrimPrefix(testSecret, "whsec_")} {
					if strings.Contains(text, secret) {
						t.Errorf("%s show %q:\n%s", what, secret, text)
					}
				}
			}
			// The logs did describe the failures, with the URL redacted.
			for _, part := range []string{`"route":"leaky"`, "/<redacted>", "502", "403"} {
				if !strings.Contains(logs.String(), part) {
					t.Errorf("logs lack %q:\n%s", part, logs.String())
				}
			}
			if f := failures[0]; f.Status != http.StatusForbidden || f.Attempts != 3 {
				t.Errorf("failure = %+v, want 403 after 3 attempts", f)
			}
		})
	}
}

func TestDigestRetriedWithTheSameID(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	var failedOnce atomic.Bool
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, id string, n int) int {
		if failedOnce.CompareAndSwap(false, true) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	route := webhookRoute("daily", rc.srv.URL, config.Match{})
	route.Digest = 300 * time.Millisecond
	start(t, b.JS, []config.Route{route}, notify.Options{})
	var want []string
	for _, id := range []string{"d1", "d2", "d3", "d4", "d5"} {
		publish(t, b, newAlert(id, "fr", "vna-fr", 5, "norms"))
		want = append(want, id+".cyber-diplomacy")
	}
	waitFor(t, "every alert in a delivered digest", rc.wake, func() bool {
		n := 0
		for _, r := range rc.requests() {
			if r.Status == http.StatusOK {
				n += len(alertIDs(r.Body))
			}
		}
		return n >= len(want) && consumerIdle(t, b.JS, "daily")
	})
	reqs := rc.requests()
	count := map[string]int{}
	for _, r := range reqs {
		if err := verify(testSecret, r); err != nil {
			t.Error(err)
		}
		var body struct {
			Schema string `json:"schema"`
			Count  int    `json:"count"`
		}
		_ = json.Unmarshal(r.Body, &body)
		if body.Schema != "vigie.digest/v1" || body.Count != len(alertIDs(r.Body)) {
			t.Errorf("digest body schema %q count %d for %d alerts", body.Schema, body.Count, len(alertIDs(r.Body)))
		}
		if r.Status == http.StatusOK {
			for _, id := range alertIDs(r.Body) {
				count[id]++
			}
		}
	}
	for _, id := range want {
		if count[id] != 1 {
			t.Errorf("%s in %d delivered digests, want 1", id, count[id])
		}
	}
	if reqs[0].Status != http.StatusServiceUnavailable || reqs[1].ID != reqs[0].ID || !slices.Equal(alertIDs(reqs[1].Body), alertIDs(reqs[0].Body)) {
		t.Errorf("the retry of a failed digest is not the same digest: %q then %q", reqs[0].ID, reqs[1].ID)
	}
}

func TestDigestHeldAcrossRestart(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	rc := newReceiver(t, nil)
	route := webhookRoute("daily", rc.srv.URL, config.Match{})
	route.Digest = 24 * time.Hour
	svc := start(t, b.JS, []config.Route{route}, notify.Options{})
	publish(t, b, newAlert("h1", "fr", "vna-fr", 5, "norms"), newAlert("h2", "fr", "vna-fr", 5, "norms"), newAlert("h3", "ja", "jica-ja", 5, "norms"))
	waitFor(t, "alerts held for the digest", nil, func() bool {
		c, _ := b.JS.Consumer(context.Background(), "VIGIE_ALERTS", notify.ConsumerName("daily"))
		info, err := c.Info(context.Background())
		return err == nil && info.NumAckPending == 3
	})
	svc.stop(t)
	if n := len(rc.requests()); n != 0 {
		t.Fatalf("digest sent %d requests before its period ended", n)
	}

	// The held alerts were not acked: a shorter period delivers them.
	route.Digest = 100 * time.Millisecond
	start(t, b.JS, []config.Route{route}, notify.Options{})
	waitFor(t, "held alerts delivered", rc.wake, func() bool {
		n := 0
		for _, r := range rc.requests() {
			n += len(alertIDs(r.Body))
		}
		return n >= 3 && consumerIdle(t, b.JS, "daily")
	})
	var got []string
	for _, r := range rc.requests() {
		got = append(got, alertIDs(r.Body)...)
	}
	sort.Strings(got)
	if want := []string{"h1.cyber-diplomacy", "h2.cyber-diplomacy", "h3.cyber-diplomacy"}; !slices.Equal(got, want) {
		t.Errorf("digests listed %v, want %v once each", got, want)
	}
}

func TestCrashMidRetry(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	failed := make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, id string, n int) int {
		if n == 1 {
			defer close(failed)
			w.WriteHeader(http.StatusBadGateway)
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	route := webhookRoute("siem", rc.srv.URL, config.Match{})

	// The first notifier has a connection of its own, cut without warning
	// while the alert waits for its retry.
	nc, err := nats.Connect(b.Server.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	first := start(t, js, []config.Route{route}, notify.Options{Backoff: func(int) time.Duration { return 300 * time.Millisecond }})
	publish(t, b, newAlert("c1", "fr", "vna-fr", 5, "norms"))
	<-failed
	waitFor(t, "the retry scheduled", nil, func() bool { return first.stats("siem").Retries == 1 })
	if err := nc.Flush(); err != nil { // the delayed nak has reached the server
		t.Fatal(err)
	}
	nc.Close()
	first.stop(t)

	start(t, b.JS, []config.Route{route}, notify.Options{})
	rc.waitFor(t, "the alert delivered by the second notifier", func() bool { return len(rc.delivered()) == 1 })
	waitFor(t, "consumer idle", nil, func() bool { return consumerIdle(t, b.JS, "siem") })
	reqs := rc.requests()
	if len(reqs) != 2 || reqs[0].ID != "c1.cyber-diplomacy" || reqs[1].ID != reqs[0].ID || reqs[1].Status != http.StatusOK {
		t.Errorf("requests = %+v, want a 502 then a 200 with the same webhook-id", statusesAndIDs(reqs))
	}
}

func statusesAndIDs(reqs []request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.ID+" "+http.StatusText(r.Status))
	}
	return out
}

// TestRedirectIsAFinalFailure checks that a receiver answering with a
// redirect is not followed: a client would send the alert on as an empty
// GET, whose 200 would pass for a delivery.
func TestRedirectIsAFinalFailure(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	var elsewhere atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/new/SECRETPATH", http.StatusFound)
	}))
	defer moved.Close()
	svc := start(t, b.JS, []config.Route{webhookRoute("siem", moved.URL, config.Match{})}, notify.Options{})
	publish(t, b, newAlert("moved", "fr", "vna-fr", 5, "norms"))

	var failures []notify.Failure
	waitFor(t, "failure recorded", nil, func() bool {
		var err error
		failures, err = notify.Failures(context.Background(), b.JS)
		if err != nil {
			t.Fatal(err)
		}
		return len(failures) == 1
	})
	if f := failures[0]; f.Status != http.StatusFound || !strings.Contains(f.Error, "redirected") || strings.Contains(f.Error, "SECRETPATH") {
		t.Errorf("failure = %+v", f)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect was followed: %d requests", n)
	}
	if st := svc.stats("siem"); st.Delivered != 0 || st.Failed != 1 {
		t.Errorf("stats = %+v, want 1 failed and none delivered", st)
	}
}

package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/httpapi"
	"github.com/vigie-news/vigie/internal/status"
)

func TestAPI(t *testing.T) {
	t.Parallel()
	b := openBroker(t)
	now := time.Now()
	cfg := manyFeeds(t, b, 30, now)
	publishAlerts(t, b, 12)
	src := status.NewReader(b.JS, status.Options{Config: func() *config.Config { return cfg }})
	base := "http://" + startPage(t, src, "", nil).Addr()

	type feedsDoc struct {
		Feeds []status.Feed `json:"feeds"`
	}
	type alertsDoc struct {
		Limit  int `json:"limit"`
		Alerts []struct {
			Alert struct {
				Title string `json:"title"`
			} `json:"alert"`
			Deliveries []status.Delivery `json:"deliveries"`
		} `json:"alerts"`
	}
	tests := []struct {
		name, method, path string
		code               int
		check              func(t *testing.T, body string)
	}{
		{"feeds", "GET", "/api/feeds", 200, func(t *testing.T, body string) {
			var d feedsDoc
			if err := json.Unmarshal([]byte(body), &d); err != nil || len(d.Feeds) != 30 {
				t.Fatalf("%d feeds (%v), want 30", len(d.Feeds), err)
			}
			if d.Feeds[0].State != status.StateFailing || d.Feeds[0].LastError != "HTTP 503 Service Unavailable" {
				t.Errorf("first feed %+v, want a failing one", d.Feeds[0])
			}
		}},
		{"feeds of a state", "GET", "/api/feeds?state=failing", 200, func(t *testing.T, body string) {
			var d feedsDoc
			json.Unmarshal([]byte(body), &d)
			if len(d.Feeds) != 3 {
				t.Errorf("%d failing feeds, want 3 (feed-0003, -0013, -0023)", len(d.Feeds))
			}
		}},
		{"feeds of a language", "GET", "/api/feeds?lang=fr", 200, func(t *testing.T, body string) {
			var d feedsDoc
			json.Unmarshal([]byte(body), &d)
			if len(d.Feeds) != 3 || d.Feeds[0].Lang != "fr" {
				t.Errorf("feeds in fr: %+v", d.Feeds)
			}
		}},
		{"unknown state", "GET", "/api/feeds?state=dead", 400, nil},
		{"alerts", "GET", "/api/alerts?limit=5", 200, func(t *testing.T, body string) {
			var d alertsDoc
			if err := json.Unmarshal([]byte(body), &d); err != nil || len(d.Alerts) != 5 || d.Alerts[0].Alert.Title != "OEWG alert number 11" {
				t.Errorf("alerts %s (%v)", body, err)
			}
		}},
		{"default limit", "GET", "/api/alerts", 200, func(t *testing.T, body string) {
			var d alertsDoc
			json.Unmarshal([]byte(body), &d)
			if d.Limit != httpapi.DefaultAlerts || len(d.Alerts) != 12 {
				t.Errorf("limit %d, %d alerts; want %d and all 12", d.Limit, len(d.Alerts), httpapi.DefaultAlerts)
			}
		}},
		{"limit too large is clamped", "GET", "/api/alerts?limit=1000000", 200, func(t *testing.T, body string) {
			var d alertsDoc
			json.Unmarshal([]byte(body), &d)
			if d.Limit != status.MaxAlerts || len(d.Alerts) != 12 {
				t.Errorf("limit %d, %d alerts", d.Limit, len(d.Alerts))
			}
		}},
		{"limit too small is clamped", "GET", "/api/alerts?limit=-4", 200, func(t *testing.T, body string) {
			var d alertsDoc
			json.Unmarshal([]byte(body), &d)
			if d.Limit != 1 || len(d.Alerts) != 1 {
				t.Errorf("limit %d, %d alerts", d.Limit, len(d.Alerts))
			}
		}},
		{"limit beyond int", "GET", "/api/alerts?limit=99999999999999999999999", 400, nil},
		{"limit not a number", "GET", "/api/alerts?limit=ten", 400, nil},
		{"activity", "GET", "/api/activity", 200, func(t *testing.T, body string) {
			var a status.Activity
			if err := json.Unmarshal([]byte(body), &a); err != nil || a.Hours != 48 || len(a.Langs) != 10 || len(a.Errors) != 48 {
				t.Errorf("activity %s (%v)", body, err)
			}
		}},
		{"unknown API path", "GET", "/api/stories", 404, nil},
		{"unknown nested API path", "GET", "/api/feeds/feed-0001", 404, nil},
		{"API root", "GET", "/api/", 404, nil},
		{"wrong method", "POST", "/api/feeds", 405, nil},
		{"wrong method on an unknown path", "DELETE", "/api/nope", 404, nil},
		{"head", "HEAD", "/api/feeds", 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(t, tt.method, base+tt.path, "")
			if r.code != tt.code {
				t.Fatalf("status %d, want %d: %s", r.code, tt.code, r.body)
			}
			if ct := r.head.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			if tt.method == "HEAD" {
				return
			}
			if !json.Valid([]byte(r.body)) {
				t.Errorf("body is not JSON: %q", r.body)
			}
			if tt.code >= 400 {
				var e struct{ Error string }
				if json.Unmarshal([]byte(r.body), &e); e.Error == "" {
					t.Errorf("error without a message: %s", r.body)
				}
			}
			if tt.check != nil {
				tt.check(t, r.body)
			}
		})
	}
}

// The API's answers are compressed for clients that take gzip, and only
// for them.
func TestAPIGzip(t *testing.T) {
	t.Parallel()
	b := openBroker(t)
	cfg := manyFeeds(t, b, 30, time.Now())
	base := "http://" + startPage(t, status.NewReader(b.JS, status.Options{Config: func() *config.Config { return cfg }}), "", nil).Addr()
	for _, enc := range []string{"gzip", ""} {
		req, _ := http.NewRequest("GET", base+"/api/feeds", nil)
		req.Header.Set("Accept-Encoding", enc)
		// A transport of its own, which leaves the body as it came.
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = resp.Body
		if got := resp.Header.Get("Content-Encoding"); got != enc {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, got)
		}
		if enc == "gzip" {
			if body, err = gzip.NewReader(resp.Body); err != nil {
				t.Fatal(err)
			}
		}
		var d struct{ Feeds []status.Feed }
		if err := json.NewDecoder(body).Decode(&d); err != nil || len(d.Feeds) != 30 {
			t.Errorf("Accept-Encoding %q: %d feeds, %v", enc, len(d.Feeds), err)
		}
		resp.Body.Close()
	}
}

// A token guards /api/ (every path, known or not) and nothing else: the
// page's files hold no data, and the probes and Prometheus stay open. A
// wrong token gets the same answer as none, and no token reaches the log.
func TestToken(t *testing.T) {
	t.Parallel()
	b := openBroker(t)
	cfg := manyFeeds(t, b, 3, time.Now())
	const token = "0123456789abcdef-right-token"
	const wrong = "0123456789abcdef-wrong-token"
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src := status.NewReader(b.JS, status.Options{Config: func() *config.Config { return cfg }, Logger: log})
	base := "http://" + startPage(t, src, token, log).Addr()

	var refused string
	for _, tt := range []struct {
		path, token string
		code        int
	}{
		{"/api/feeds", "", 401},
		{"/api/feeds", wrong, 401},
		{"/api/feeds", token + "x", 401},
		{"/api/alerts?limit=5", wrong, 401},
		{"/api/unknown", wrong, 401},
		{"/api/feeds", token, 200},
		{"/api/alerts?limit=5", token, 200},
		{"/api/unknown", token, 404},
		{"/", "", 200},
		{"/assets/app.js", "", 200},
		{"/healthz", "", 200},
		{"/readyz", "", 200},
		{"/metrics", "", 200},
	} {
		r := request(t, "GET", base+tt.path, tt.token)
		if r.code != tt.code {
			t.Errorf("%s with token %q: status %d, want %d", tt.path, tt.token, r.code, tt.code)
		}
		if tt.code == 401 {
			if refused == "" {
				refused = r.body
			}
			if r.body != refused || r.body != "{\"error\":\"unauthorized\"}\n" || r.head.Get("WWW-Authenticate") == "" {
				t.Errorf("%s with token %q: 401 body %q, WWW-Authenticate %q; want the same bare answer every time", tt.path, tt.token, r.body, r.head.Get("WWW-Authenticate"))
			}
		}
	}
	// The scheme is not case-sensitive (RFC 9110).
	req, _ := http.NewRequest("GET", base+"/api/feeds", nil)
	req.Header.Set("Authorization", "bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("lower-case bearer: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	page := request(t, "GET", base+"/", "")
	if !strings.Contains(page.body, `<body data-auth="token">`) {
		t.Error("the page does not tell its script to ask for the token")
	}
	if strings.Contains(page.body, token) {
		t.Error("the page holds the token")
	}
	if strings.Contains(logs.String(), "right-token") || strings.Contains(logs.String(), "wrong-token") {
		t.Errorf("a token is in the log:\n%s", logs.String())
	}
}

// Without a token (a loopback listener) the page asks for none.
func TestPageOpenWithoutToken(t *testing.T) {
	t.Parallel()
	b := openBroker(t)
	cfg := manyFeeds(t, b, 1, time.Now())
	base := "http://" + startPage(t, status.NewReader(b.JS, status.Options{Config: func() *config.Config { return cfg }}), "", nil).Addr()
	if r := request(t, "GET", base+"/", ""); r.code != 200 || !strings.Contains(r.body, `<body data-auth="none">`) {
		t.Errorf("status %d, page %q", r.code, r.body)
	}
}

var assetRef = regexp.MustCompile(`(?:src|href)="([^"]+)"`)

// Every file the page refers to is embedded and served with its type;
// nothing comes from another site.
func TestPageAssets(t *testing.T) {
	t.Parallel()
	b := openBroker(t)
	cfg := manyFeeds(t, b, 1, time.Now())
	base := "http://" + startPage(t, status.NewReader(b.JS, status.Options{Config: func() *config.Config { return cfg }}), "", nil).Addr()
	page := request(t, "GET", base+"/", "")
	if page.code != 200 || !strings.HasPrefix(page.head.Get("Content-Type"), "text/html") {
		t.Fatalf("/: status %d, type %q", page.code, page.head.Get("Content-Type"))
	}
	csp := page.head.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	refs := assetRef.FindAllStringSubmatch(page.body, -1)
	if len(refs) < 5 {
		t.Fatalf("the page refers to %d files", len(refs))
	}
	types := map[string]string{".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
	for _, m := range refs {
		ref := m[1]
		if strings.Contains(ref, "//") {
			t.Errorf("the page loads %s from elsewhere", ref)
			continue
		}
		r := request(t, "GET", base+"/"+ref, "")
		if r.code != 200 {
			t.Errorf("%s: status %d", ref, r.code)
			continue
		}
		for ext, want := range types {
			if strings.HasSuffix(ref, ext) && !strings.HasPrefix(r.head.Get("Content-Type"), want) {
				t.Errorf("%s: type %q, want %s", ref, r.head.Get("Content-Type"), want)
			}
		}
		if strings.HasSuffix(ref, ".js") && regexp.MustCompile(`(?i)(import\s*\(|fetch\(\s*["']https?:)`).MatchString(r.body) {
			t.Errorf("%s fetches from elsewhere", ref)
		}
	}
	lib := request(t, "GET", base+"/assets/vendor/uPlot.iife.min.js", "")
	if !strings.HasPrefix(lib.body, "/*! uPlot 1.6.32 | MIT License") {
		t.Error("the charting library lost its licence header")
	}
	if r := request(t, "GET", base+"/assets/vendor/uPlot.LICENSE", ""); r.code != 200 || !strings.Contains(r.body, "Leon Sorokin") {
		t.Errorf("licence: status %d", r.code)
	}
	if r := request(t, "GET", base+"/assets/nothing.js", ""); r.code != 404 {
		t.Errorf("a missing asset: status %d, want 404", r.code)
	}
}

// When NATS cannot be read the API says so with 503, never 500.
func TestAPIStateUnavailable(t *testing.T) {
	t.Parallel()
	b := openBroker(t)
	cfg := manyFeeds(t, b, 2, time.Now())
	src := status.NewReader(b.JS, status.Options{Config: func() *config.Config { return cfg }})
	var logs bytes.Buffer
	base := "http://" + startPage(t, src, "", slog.New(slog.NewTextHandler(&logs, nil))).Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.Close(ctx)
	for _, path := range []string{"/api/feeds", "/api/alerts", "/api/activity", "/api/feeds"} {
		r := request(t, "GET", base+path, "")
		if r.code != http.StatusServiceUnavailable || !json.Valid([]byte(r.body)) {
			t.Errorf("%s with NATS closed: status %d, body %q; want 503 JSON", path, r.code, r.body)
		}
	}
	// The log says it once, not on every request.
	if n := strings.Count(logs.String(), "state unavailable"); n != 1 {
		t.Errorf("%d log lines for the outage, want 1:\n%s", n, logs.String())
	}
}

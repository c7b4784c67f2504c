package fetch

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/vigie-news/vigie/internal/version"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newFetcher returns a Fetcher without host gap, for tests that are not
// about politeness.
func newFetcher(o Options) *Fetcher {
	if o.HostGap == 0 {
		o.HostGap = -1
	}
	if o.Logger == nil {
		o.Logger = quiet()
	}
	return New(o)
}

// serverOn starts an httptest server listening on ip (a 127.0.0.x address).
func serverOn(t *testing.T, ip string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func TestConditionalGet(t *testing.T) {
	t.Parallel()
	const etag = `"v1"`
	const lastMod = "Mon, 02 Jan 2006 15:04:05 GMT"
	var full, notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag || r.Header.Get("If-Modified-Since") == lastMod {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, "<rss/>")
	}))
	defer srv.Close()
	f := newFetcher(Options{})

	tests := []struct {
		name        string
		req         Request
		wantStatus  int
		wantNotMod  bool
		wantBody    string
		wantETag    string
		wantLastMod string
	}{
		{"first fetch", Request{FeedID: "a", URL: srv.URL}, 200, false, "<rss/>", etag, lastMod},
		{"etag", Request{FeedID: "a", URL: srv.URL, ETag: etag}, 304, true, "", etag, ""},
		{"last-modified", Request{FeedID: "a", URL: srv.URL, LastModified: lastMod}, 304, true, "", "", lastMod},
		{"both", Request{FeedID: "a", URL: srv.URL, ETag: etag, LastModified: lastMod}, 304, true, "", etag, lastMod},
		{"stale etag", Request{FeedID: "a", URL: srv.URL, ETag: `"v0"`}, 200, false, "<rss/>", etag, lastMod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.wantStatus || resp.NotModified != tt.wantNotMod || string(resp.Body) != tt.wantBody {
				t.Errorf("got status %d not_modified %v body %q", resp.Status, resp.NotModified, resp.Body)
			}
			if resp.ETag != tt.wantETag || resp.LastModified != tt.wantLastMod {
				t.Errorf("validators %q %q, want %q %q", resp.ETag, resp.LastModified, tt.wantETag, tt.wantLastMod)
			}
			if !tt.wantNotMod && resp.ContentType != "application/rss+xml" {
				t.Errorf("content type %q", resp.ContentType)
			}
		})
	}
	if full.Load() != 2 || notModified.Load() != 3 {
		t.Errorf("server saw %d full and %d conditional hits, want 2 and 3", full.Load(), notModified.Load())
	}
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	when := time.Now().Add(90 * time.Minute).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantRetry  time.Duration // lower bound; exact for delay-seconds
		exact      bool
	}{
		{"not found", 404, "", 0, true},
		{"gone", 410, "", 0, true},
		{"server error", 500, "", 0, true},
		{"too many requests, seconds", 429, "120", 2 * time.Minute, true},
		{"unavailable, http date", 503, when, 88 * time.Minute, false},
		{"unavailable, garbage", 503, "soon", 0, true},
		{"unavailable, absurd", 503, "99999999999", MaxWait, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			resp, err := newFetcher(Options{}).Fetch(context.Background(), Request{FeedID: "s", URL: srv.URL})
			if resp != nil || !errors.Is(err, ErrHTTPStatus) {
				t.Fatalf("got %v, %v; want ErrHTTPStatus", resp, err)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Status != tt.status {
				t.Fatalf("got %v, want a *StatusError with status %d", err, tt.status)
			}
			if tt.exact && se.RetryAfter != tt.wantRetry || !tt.exact && (se.RetryAfter < tt.wantRetry || se.RetryAfter > 90*time.Minute) {
				t.Errorf("retry after %v, want %v", se.RetryAfter, tt.wantRetry)
			}
		})
	}
}

// TestHeaderKept checks that the answer's header reaches the caller,
// whose policy reads what it asks of the next fetch.
func TestHeaderKept(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=600")
		io.WriteString(w, "<rss/>")
	}))
	defer srv.Close()
	resp, err := newFetcher(Options{}).Fetch(context.Background(), Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Cache-Control"); got != "public, max-age=600" {
		t.Errorf("Cache-Control %q, want the server's", got)
	}
}

func compress(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip-gzip":
		return compress(t, "gzip", compress(t, "gzip", b))
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate":
		w = zlib.NewWriter(&buf)
	case "raw-deflate":
		w, _ = flate.NewWriter(&buf, flate.DefaultCompression)
	case "br":
		w = brotli.NewWriter(&buf)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestContentEncoding(t *testing.T) {
	t.Parallel()
	body := []byte(strings.Repeat("<item>Vigie</item>", 100))
	tests := []struct {
		name    string
		coding  string // how the body is compressed
		header  string // Content-Encoding sent
		limit   int64
		wantErr error
	}{
		{"identity", "", "", 0, nil},
		{"gzip", "gzip", "gzip", 0, nil},
		{"deflate (zlib)", "deflate", "deflate", 0, nil},
		{"deflate (raw)", "raw-deflate", "deflate", 0, nil},
		{"brotli", "br", "br", 0, nil},
		{"gzip without header", "gzip", "", 0, nil},
		{"gzip file served with gzip encoding", "gzip-gzip", "gzip", 0, nil},
		{"over the cap after decompression", "gzip", "gzip", int64(len(body)) - 1, ErrTooLarge},
		{"exactly the cap", "br", "br", int64(len(body)), nil},
		{"unknown coding", "", "compress", 0, ErrNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wire := body
			if tt.coding != "" {
				wire = compress(t, tt.coding, body)
			}
			var gotAE string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotAE = r.Header.Get("Accept-Encoding")
				if tt.header != "" {
					w.Header().Set("Content-Encoding", tt.header)
				}
				w.Write(wire)
			}))
			defer srv.Close()
			resp, err := newFetcher(Options{MaxBodyBytes: tt.limit}).Fetch(context.Background(), Request{URL: srv.URL})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(resp.Body, body) {
				t.Errorf("body %.60q…", resp.Body)
			}
			for _, c := range []string{"gzip", "deflate", "br"} {
				if !strings.Contains(gotAE, c) {
					t.Errorf("Accept-Encoding %q lacks %s", gotAE, c)
				}
			}
		})
	}
}

func TestBadServers(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<rss>")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("<item/>"), 1024)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/big-length", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000000")
		io.WriteString(w, "<rss>")
	})
	mux.HandleFunc("/gzip-bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(compress(t, "gzip", make([]byte, 8<<20)))
	})
	mux.HandleFunc("/loop-a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop-b", http.StatusFound) })
	mux.HandleFunc("/loop-b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop-a", http.StatusFound) })
	mux.HandleFunc("/chain/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/chain/"), "%d", &n)
		if n == 0 {
			io.WriteString(w, "<rss/>")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/truncated", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, "<rss>")
		// The handler returns early: the connection is closed mid-body.
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// A port with nothing listening.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/"
	l.Close()

	f := newFetcher(Options{MaxBodyBytes: 1 << 20, MaxRedirects: 3})
	tests := []struct {
		name    string
		url     string
		timeout time.Duration
		want    error
	}{
		{"server that never answers", srv.URL + "/silent", 200 * time.Millisecond, ErrTimeout},
		{"body that never ends slowly", srv.URL + "/slow-body", 200 * time.Millisecond, ErrTimeout},
		{"endless body", srv.URL + "/endless", 0, ErrTooLarge},
		{"declared length over the cap", srv.URL + "/big-length", 0, ErrTooLarge},
		{"gzip bomb", srv.URL + "/gzip-bomb", 0, ErrTooLarge},
		{"redirect loop", srv.URL + "/loop-a", 0, ErrTooManyRedirects},
		{"redirect chain too long", srv.URL + "/chain/4", 0, ErrTooManyRedirects},
		{"truncated body", srv.URL + "/truncated", 0, ErrNetwork},
		{"connection refused", closed, 0, ErrNetwork},
		{"connection refused, secrets in the url", "http://user:s3cret@" + strings.TrimPrefix(closed, "http://") + "?token=s3cret", 0, ErrNetwork},
		{"redirect loop, secrets in the url", srv.URL + "/loop-a?key=s3cret", 0, ErrTooManyRedirects},
		{"not http", "ftp://example.org/feed", 0, ErrInvalidURL},
		{"not a url", "::", 0, ErrInvalidURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), Request{FeedID: "bad", URL: tt.url, Timeout: tt.timeout})
			if resp != nil || !errors.Is(err, tt.want) {
				t.Fatalf("got %v, %v; want %v", resp, err, tt.want)
			}
			if !strings.Contains(err.Error(), "fetch bad") {
				t.Errorf("error %q does not name the feed", err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows a secret of the url", err)
			}
		})
	}
	t.Run("redirect chain within the limit", func(t *testing.T) {
		resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/chain/3"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.FinalURL != srv.URL+"/chain/0" || resp.PermanentRedirect != "" {
			t.Errorf("final %q permanent %q", resp.FinalURL, resp.PermanentRedirect)
		}
	})
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	hop := func(code int, to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, code) }
	}
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<rss/>") })
	mux.HandleFunc("/moved", hop(301, "/feed"))
	mux.HandleFunc("/moved308", hop(308, "/feed"))
	mux.HandleFunc("/found", hop(302, "/feed"))
	mux.HandleFunc("/temp", hop(307, "/feed"))
	mux.HandleFunc("/moved-then-found", hop(301, "/found"))
	mux.HandleFunc("/moved-twice", hop(301, "/moved"))
	mux.HandleFunc("/found-then-moved", hop(302, "/moved"))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var logs bytes.Buffer
	f := newFetcher(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	tests := []struct {
		path          string
		wantPermanent string
	}{
		{"/feed", ""},
		{"/moved", "/feed"},
		{"/moved308", "/feed"},
		{"/found", ""},
		{"/temp", ""},
		{"/moved-then-found", "/found"},
		{"/moved-twice", "/feed"},
		{"/found-then-moved", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			logs.Reset()
			resp, err := f.Fetch(context.Background(), Request{FeedID: "r", URL: srv.URL + tt.path})
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tt.wantPermanent != "" {
				want = srv.URL + tt.wantPermanent
			}
			if resp.PermanentRedirect != want {
				t.Errorf("PermanentRedirect %q, want %q", resp.PermanentRedirect, want)
			}
			if resp.FinalURL != srv.URL+"/feed" {
				t.Errorf("FinalURL %q", resp.FinalURL)
			}
			if logged := strings.Contains(logs.String(), "feed moved permanently"); logged != (want != "") {
				t.Errorf("logged %v: %s", logged, logs.String())
			}
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, "<rss/>")
	}))
	defer srv.Close()
	tests := []struct {
		name    string
		ua      string
		headers map[string]string
		want    map[string]string
	}{
		{"default user agent names Vigie", "", nil, map[string]string{"User-Agent": version.UserAgent()}},
		{"configured user agent", "Vigie/2 (ops@example.org)", nil, map[string]string{"User-Agent": "Vigie/2 (ops@example.org)"}},
		{"per-feed auth and cookie", "", map[string]string{"Authorization": "Bearer t", "Cookie": "s=1"},
			map[string]string{"Authorization": "Bearer t", "Cookie": "s=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFetcher(Options{UserAgent: tt.ua})
			if _, err := f.Fetch(context.Background(), Request{URL: srv.URL, Headers: tt.headers}); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if got.Get(k) != v {
					t.Errorf("%s: %q, want %q", k, got.Get(k), v)
				}
			}
			if !strings.Contains(got.Get("User-Agent"), "Vigie") {
				t.Errorf("User-Agent %q does not name Vigie", got.Get("User-Agent"))
			}
		})
	}
}

// concurrency counts requests in flight, overall and per host.
type concurrency struct {
	mu      sync.Mutex
	now     map[string]int
	maxHost map[string]int
	total   int
	max     int
}

func (c *concurrency) handler(host string, hold time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.now[host]++
		c.total++
		c.maxHost[host] = max(c.maxHost[host], c.now[host])
		c.max = max(c.max, c.total)
		c.mu.Unlock()
		time.Sleep(hold) // widens the window in which requests overlap
		c.mu.Lock()
		c.now[host]--
		c.total--
		c.mu.Unlock()
		io.WriteString(w, "<rss/>")
	})
}

func TestLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		hosts         int
		perHost       int
		maxConcurrent int
		fetches       int
	}{
		{"one host, per-host limit 2", 1, 2, 32, 12},
		{"one host, per-host limit 1", 1, 1, 32, 6},
		{"six hosts, global limit 3", 6, 2, 3, 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &concurrency{now: map[string]int{}, maxHost: map[string]int{}}
			var urls []string
			for i := range tt.hosts {
				ip := fmt.Sprintf("127.0.0.%d", i+1)
				urls = append(urls, serverOn(t, ip, c.handler(ip, 20*time.Millisecond)).URL)
			}
			f := newFetcher(Options{PerHost: tt.perHost, MaxConcurrent: tt.maxConcurrent})
			var wg sync.WaitGroup
			errs := make(chan error, tt.fetches)
			for i := range tt.fetches {
				wg.Go(func() {
					_, err := f.Fetch(context.Background(), Request{URL: urls[i%len(urls)]})
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			for host, m := range c.maxHost {
				if m > tt.perHost {
					t.Errorf("%s: %d concurrent requests, limit %d", host, m, tt.perHost)
				}
			}
			if c.max > tt.maxConcurrent {
				t.Errorf("%d concurrent requests overall, limit %d", c.max, tt.maxConcurrent)
			}
			f.mu.Lock()
			left := len(f.hosts)
			f.mu.Unlock()
			if left != 0 {
				t.Errorf("%d idle hosts still tracked", left)
			}
		})
	}
}

func TestHostGap(t *testing.T) {
	t.Parallel()
	const gap = 100 * time.Millisecond
	var mu sync.Mutex
	var starts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		io.WriteString(w, "<rss/>")
	}))
	defer srv.Close()
	f := newFetcher(Options{HostGap: gap, PerHost: 4})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := f.Fetch(context.Background(), Request{URL: srv.URL}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(starts) != 4 {
		t.Fatalf("%d requests", len(starts))
	}
	// A lower bound only: the gap may be exceeded, never shortened. Half a
	// gap of slack covers the first request's connection setup, which
	// delays its arrival but not its start.
	first, last := starts[0], starts[0]
	for _, s := range starts {
		first, last = minTime(first, s), maxTime(last, s)
	}
	if spread := last.Sub(first); spread < 3*gap-gap/2 {
		t.Errorf("4 requests within %v; a %v gap needs at least %v", spread, gap, 3*gap)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func TestWaitingHonoursContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "<rss/>")
	}))
	defer srv.Close()
	defer close(release)
	f := newFetcher(Options{PerHost: 1})
	started := make(chan struct{})
	go func() {
		close(started)
		f.Fetch(context.Background(), Request{URL: srv.URL})
	}()
	<-started
	// Wait until the first request holds the host's only slot.
	for {
		f.mu.Lock()
		h := f.hosts["127.0.0.1"]
		held := h != nil && len(h.slots) == 1
		f.mu.Unlock()
		if held {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.Fetch(ctx, Request{URL: srv.URL})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if errors.Is(err, ErrTimeout) || errors.Is(err, ErrNetwork) {
		t.Errorf("a cancelled wait is not a feed failure: %v", err)
	}
}

// TestCancelledWaitsReleaseSlots cancels callers while they wait at each
// stage (host slot, host gap, global slot) and checks that every slot is
// given back: the host is fetched again afterwards and no state is left.
func TestCancelledWaitsReleaseSlots(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
	}{
		{"waiting for the host slot", Options{PerHost: 1, HostGap: -1}},
		{"waiting for the host gap", Options{PerHost: 4, HostGap: time.Hour}},
		{"waiting for a global slot", Options{PerHost: 4, HostGap: -1, MaxConcurrent: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/hold" {
					<-release
				}
				io.WriteString(w, "<rss/>")
			}))
			defer srv.Close()
			f := newFetcher(tt.o)
			held := make(chan error, 1)
			go func() {
				_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/hold"})
				held <- err
			}()
			// Wait until the first request holds its slots.
			for {
				f.mu.Lock()
				h := f.hosts["127.0.0.1"]
				busy := h != nil && len(h.slots) == 1 && len(f.global) == 1
				f.mu.Unlock()
				if busy {
					break
				}
				time.Sleep(time.Millisecond)
			}
			var wg sync.WaitGroup
			for range 5 {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				wg.Go(func() {
					defer cancel()
					if _, err := f.Fetch(ctx, Request{URL: srv.URL}); !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("got %v, want the context's deadline", err)
					}
				})
			}
			wg.Wait()
			close(release)
			if err := <-held; err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			h := f.hosts["127.0.0.1"]
			var slots, users int
			var next time.Duration
			if h != nil {
				slots, users, next = len(h.slots), h.users, time.Until(h.next)
			}
			global := len(f.global)
			f.mu.Unlock()
			if slots != 0 || users != 0 || global != 0 {
				t.Errorf("left behind: %d host slots, %d users, %d global slots", slots, users, global)
			}
			if next > max(tt.o.HostGap, 0) {
				t.Errorf("the next request to the host waits %v; cancelled callers pushed the gap", next)
			}
		})
	}
}

func TestHostPause(t *testing.T) {
	t.Parallel()
	var okHits atomic.Int32
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/limited":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/maintenance":
			w.Header().Set("Retry-After", "86400")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/broken":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusInternalServerError)
		case "/busy-no-header":
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			okHits.Add(1)
			io.WriteString(w, "<rss/>")
		}
	})
	tests := []struct {
		name      string
		first     string
		wantPause time.Duration // 0: the host is not paused
	}{
		{"429 with Retry-After pauses the host", "/limited", 2 * time.Minute},
		{"503 pause capped", "/maintenance", MaxHostPause},
		{"500 does not pause", "/broken", 0},
		{"429 without Retry-After does not pause", "/busy-no-header", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serverOn(t, "127.0.0.1", handler)
			other := serverOn(t, "127.0.0.2", handler)
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			f := newFetcher(Options{})
			f.now = func() time.Time { return now }
			okHits.Store(0)

			_, err := f.Fetch(context.Background(), Request{FeedID: "a", URL: srv.URL + tt.first})
			var se *StatusError
			if !errors.As(err, &se) || se.Deferred {
				t.Fatalf("first request: %v", err)
			}
			_, err = f.Fetch(context.Background(), Request{FeedID: "b", URL: srv.URL + "/ok"})
			if tt.wantPause == 0 {
				if err != nil || okHits.Load() != 1 {
					t.Fatalf("host paused after %s: %v", tt.first, err)
				}
				return
			}
			if !errors.As(err, &se) || !se.Deferred || se.RetryAfter != tt.wantPause || !errors.Is(err, ErrHTTPStatus) {
				t.Fatalf("got %v, want a deferred status error with retry after %v", err, tt.wantPause)
			}
			if okHits.Load() != 0 {
				t.Fatal("a request reached the paused host")
			}
			if _, err := f.Fetch(context.Background(), Request{FeedID: "c", URL: other.URL + "/ok"}); err != nil {
				t.Fatalf("another host is paused too: %v", err)
			}
			now = now.Add(tt.wantPause)
			if _, err := f.Fetch(context.Background(), Request{FeedID: "b", URL: srv.URL + "/ok"}); err != nil {
				t.Fatalf("host still paused after %v: %v", tt.wantPause, err)
			}
		})
	}
}

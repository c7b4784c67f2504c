package article

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/metrics"
)

// teaser is a feed text short enough for Auto to read the page.
const teaser = "Les États membres des Nations unies ont adopté vendredi…"

// site is an httptest server of news pages that counts what it serves.
type site struct {
	*httptest.Server
	mu       sync.Mutex
	hits     map[string]int
	agents   map[string]bool
	robots   string // robots.txt body; "" is a 404
	handlers map[string]http.HandlerFunc
}

func newSite(t *testing.T, ip string) *site {
	t.Helper()
	s := &site{hits: map[string]int{}, agents: map[string]bool{}, handlers: map[string]http.HandlerFunc{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.agents[r.Header.Get("User-Agent")] = true
		robots, h := s.robots, s.handlers[r.URL.Path]
		s.mu.Unlock()
		switch {
		case r.URL.Path == "/robots.txt" && robots != "":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, robots)
		case h != nil:
			h(w, r)
		default:
			http.NotFound(w, r)
		}
	})
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	s.Server = httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *site) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[path] = h
}

// page serves a test page case at path.
func (s *site) page(path string, c pageCase) {
	s.handle(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", c.ContentType)
		w.Write(c.Body)
	})
}

func (s *site) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// logBuffer is a logger whose lines a test reads.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newReader returns a Reader on a fetcher without host gap, for which
// 127.0.0.2 stands for a public address, and its log.
func newReader(t *testing.T, fo fetch.Options) (*Reader, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if fo.HostGap == 0 {
		fo.HostGap = -1
	}
	fo.Logger = log
	fo.UserAgent = "Vigie/test (+https://example.org/vigie)"
	fo.PublicAddr = func(a netip.Addr) bool {
		return a == netip.MustParseAddr("127.0.0.2") || fetch.IsPublicAddr(a)
	}
	return New(Options{Fetcher: fetch.New(fo), Logger: log}), logs
}

func TestReadPagesOfEveryCase(t *testing.T) {
	s := newSite(t, "127.0.0.1")
	r, _ := newReader(t, fetch.Options{})
	for _, c := range pageCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			s.page("/"+c.Name, c)
			res, err := r.Read(context.Background(), Request{FeedID: "f", FeedURL: s.URL + "/rss", ItemID: c.Name, Link: s.URL + "/" + c.Name, FeedText: teaser, Mode: Auto})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != OutcomeOK || res.Source != vigie.TextFromArticle {
				t.Fatalf("outcome %q, source %q", res.Outcome, res.Source)
			}
			checkText(t, c, res.Text)
		})
	}
	if len(s.agents) != 1 || !s.agents["Vigie/test (+https://example.org/vigie)"] {
		t.Errorf("User-Agents seen: %v, want the fetcher's alone", s.agents)
	}
	if n := s.count("/robots.txt"); n != 1 {
		t.Errorf("robots.txt read %d times, want once for the host", n)
	}
}

func TestModes(t *testing.T) {
	c := pageCases(t)[0]
	long := strings.Repeat("Un texte de flux complet qui dit déjà tout. ", 20)
	tests := []struct {
		name     string
		mode     Mode
		feedText string
		link     bool
		read     bool
	}{
		{"auto, teaser", Auto, teaser, true, true},
		{"auto, long text", Auto, long, true, false},
		{"unset is auto", "", teaser, true, true},
		{"always, long text", Always, long, true, true},
		{"never, teaser", Never, teaser, true, false},
		{"auto, no link", Auto, teaser, false, false},
		{"always, link to the home page", Always, teaser, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t, "127.0.0.1")
			s.page("/a", c)
			r, _ := newReader(t, fetch.Options{})
			link := ""
			if tt.link {
				link = s.URL + "/a"
			}
			if strings.Contains(tt.name, "home page") {
				s.page("/", c)
				link = s.URL + "/"
			}
			res, err := r.Read(context.Background(), Request{FeedID: "f", FeedURL: s.URL, Link: link, FeedText: tt.feedText, Mode: tt.mode})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.count("/a")+s.count("/") == 1; got != tt.read {
				t.Fatalf("page read: %v, want %v", got, tt.read)
			}
			wantSource := vigie.TextFromFeed
			if tt.read {
				wantSource = vigie.TextFromArticle
			} else if res.Text != tt.feedText || res.Outcome != "" {
				t.Errorf("text %.40q outcome %q, want the feed's text and no outcome", res.Text, res.Outcome)
			}
			if res.Source != wantSource {
				t.Errorf("source %q, want %q", res.Source, wantSource)
			}
		})
	}
}

func TestRobots(t *testing.T) {
	c := pageCases(t)[0]
	tests := []struct {
		name    string
		robots  string
		path    string
		outcome string
	}{
		{"disallowed for all", "User-agent: *\nDisallow: /private/\n", "/private/a", OutcomeRobots},
		{"allowed beside a disallowed path", "User-agent: *\nDisallow: /private/\n", "/news/a", OutcomeOK},
		{"disallowed for Vigie by name", "User-agent: Googlebot\nDisallow:\n\nUser-agent: vigie\nDisallow: /\n", "/news/a", OutcomeRobots},
		{"allowed for Vigie, disallowed for others", "User-agent: *\nDisallow: /\n\nUser-agent: Vigie\nAllow: /\n", "/news/a", OutcomeOK},
		{"query disallowed", "User-agent: *\nDisallow: /*?print=\n", "/news/a?print=1", OutcomeRobots},
		{"a line the parser rejects", "Disallow: /x\nUser-agent: *\nCrawl-delay: 1s\nDisallow: /private/\n", "/private/a", OutcomeRobots},
		{"no robots.txt", "", "/news/a", OutcomeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t, "127.0.0.1")
			s.robots = tt.robots
			path, _, _ := strings.Cut(tt.path, "?")
			s.page(path, c)
			r, logs := newReader(t, fetch.Options{})
			for i := range 3 {
				res, err := r.Read(context.Background(), Request{FeedID: "f", FeedURL: s.URL, ItemID: fmt.Sprint("item-", i), Link: s.URL + tt.path, FeedText: teaser, Mode: Auto})
				if err != nil {
					t.Fatal(err)
				}
				if res.Outcome != tt.outcome {
					t.Fatalf("outcome %q, want %q", res.Outcome, tt.outcome)
				}
				if tt.outcome != OutcomeOK && (res.Text != teaser || res.Source != vigie.TextFromFeed) {
					t.Errorf("a disallowed page changed the text: %.60q from %s", res.Text, res.Source)
				}
			}
			if n := s.count("/robots.txt"); n != 1 {
				t.Errorf("robots.txt read %d times for 3 pages, want once", n)
			}
			wantPages := 3
			if tt.outcome == OutcomeRobots {
				wantPages = 0
				if !strings.Contains(logs.String(), "result=robots") {
					t.Errorf("no log line says why:\n%s", logs)
				}
			}
			if n := s.count(path); n != wantPages {
				t.Errorf("page read %d times, want %d", n, wantPages)
			}
		})
	}
}

func TestRobotsUnreachable(t *testing.T) {
	c := pageCases(t)[0]
	s := newSite(t, "127.0.0.1")
	s.handle("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	})
	s.page("/a", c)
	now := time.Now()
	r, _ := newReader(t, fetch.Options{})
	r.now = func() time.Time { return now }
	read := func() string {
		res, err := r.Read(context.Background(), Request{FeedID: "f", FeedURL: s.URL, Link: s.URL + "/a", FeedText: teaser, Mode: Auto})
		if err != nil {
			t.Fatal(err)
		}
		return res.Outcome
	}
	// A robots.txt that fails with 5xx disallows the host until it is
	// tried again, RetryAfterFailure later.
	for range 2 {
		if o := read(); o != OutcomeHTTP5xx {
			t.Fatalf("outcome %q, want %q", o, OutcomeHTTP5xx)
		}
	}
	if s.count("/robots.txt") != 1 || s.count("/a") != 0 {
		t.Fatalf("robots.txt read %d times, page %d times; want 1 and 0", s.count("/robots.txt"), s.count("/a"))
	}
	s.robots = "User-agent: *\nDisallow:\n"
	s.handle("/robots.txt", nil)
	now = now.Add(RetryAfterFailure)
	if o := read(); o != OutcomeOK {
		t.Fatalf("after the retry delay: outcome %q", o)
	}
}

// TestBadInput serves what a feed's link may lead to and checks that each
// is refused or cut, logged with its reason, and leaves the item its feed
// text.
func TestBadInput(t *testing.T) {
	const public = "127.0.0.2" // stands for the internet in newReader
	private := newSite(t, "127.0.0.1")
	private.handle("/secret", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body><article><p>"+strings.Repeat("Secret internal data. ", 50)+"</p></article></body></html>")
	})
	s := newSite(t, public)
	s.handle("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", fmt.Sprint(50<<20))
		w.Write(bytes.Repeat([]byte("<p>x</p>"), 1024))
	})
	s.handle("/huge-chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := bytes.Repeat([]byte("<p>news</p>"), 10000)
		for sent := 0; sent < 50<<20; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	s.handle("/endless", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := bytes.Repeat([]byte("<p>more</p>"), 1000)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	s.handle("/trickle", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, "<p>a word</p>"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	s.handle("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop2", http.StatusFound) })
	s.handle("/loop2", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	s.handle("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, private.URL+"/secret", http.StatusFound)
	})
	s.handle("/pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		io.WriteString(w, "%PDF-1.7")
	})

	tests := []struct {
		name    string
		link    string
		timeout time.Duration
		outcome string
	}{
		{"50 MB page, declared", s.URL + "/huge", 0, OutcomeTooLarge},
		{"50 MB page, chunked", s.URL + "/huge-chunked", 0, OutcomeTooLarge},
		{"page that never ends", s.URL + "/endless", 0, OutcomeTooLarge},
		{"page that never ends, slowly", s.URL + "/trickle", 300 * time.Millisecond, OutcomeTimeout},
		{"redirect loop", s.URL + "/loop", 0, OutcomeRedirects},
		{"file link", "file:///etc/passwd", 0, OutcomeInvalidURL},
		{"javascript link", "javascript:alert(1)", 0, OutcomeInvalidURL},
		{"private address", private.URL + "/secret", 0, OutcomeBlocked},
		{"name of a private address", strings.Replace(private.URL, "127.0.0.1", "localhost", 1) + "/secret", 0, OutcomeBlocked},
		{"redirect to a private address", s.URL + "/to-private", 0, OutcomeBlocked},
		{"not a page", s.URL + "/pdf", 0, OutcomeNotHTML},
		{"missing page", s.URL + "/gone", 0, OutcomeHTTP4xx},
	}
	m := metrics.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, logs := newReader(t, fetch.Options{})
			req := Request{FeedID: "public-feed", FeedURL: "http://" + public + "/rss", ItemID: "item-1", Link: tt.link, FeedText: teaser, Mode: Auto, Timeout: tt.timeout}
			res, err := r.Read(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tt.outcome {
				t.Errorf("outcome %q, want %q", res.Outcome, tt.outcome)
			}
			if res.Text != teaser || res.Source != vigie.TextFromFeed {
				t.Errorf("the item lost its feed text: %.60q from %s", res.Text, res.Source)
			}
			line := logs.String()
			if !strings.Contains(line, "teaser kept") || !strings.Contains(line, "result="+tt.outcome) || !strings.Contains(line, "item=item-1") {
				t.Errorf("log line does not say what happened:\n%s", line)
			}
			m.ArticleFetch(res.Outcome)
		})
	}
	if n := private.count("/secret"); n != 0 {
		t.Errorf("the private server was reached %d times from a public feed", n)
	}
	// Each outcome has its own counter.
	var b strings.Builder
	families, _ := m.Registry().Gather()
	for _, f := range families {
		if f.GetName() == "vigie_article_fetches_total" {
			for _, mt := range f.GetMetric() {
				if v := mt.GetCounter().GetValue(); v > 0 {
					fmt.Fprintf(&b, "%s=%v ", mt.GetLabel()[0].GetValue(), v)
				}
			}
		}
	}
	for _, tt := range tests {
		if !strings.Contains(b.String(), tt.outcome+"=") {
			t.Errorf("no count of %s in %s", tt.outcome, b.String())
		}
	}
}

// TestLoopbackFeedMayLinkToLoopback checks the other side of the guard: a
// feed on a private or loopback address (one's own network, a test) may
// link to one.
func TestLoopbackFeedMayLinkToLoopback(t *testing.T) {
	c := pageCases(t)[0]
	s := newSite(t, "127.0.0.1")
	s.page("/a", c)
	r, _ := newReader(t, fetch.Options{})
	for _, feed := range []string{s.URL + "/rss", "http://localhost:1/rss", "http://[::1]/rss"} {
		res, _ := r.Read(context.Background(), Request{FeedID: "f", FeedURL: feed, Link: s.URL + "/a", FeedText: teaser, Mode: Auto})
		if res.Outcome != OutcomeOK {
			t.Errorf("feed %s: outcome %q, want ok", feed, res.Outcome)
		}
	}
}

func TestHostThatTimesOutIsLeftAlone(t *testing.T) {
	s := newSite(t, "127.0.0.1")
	var slow atomic.Int32
	s.handle("/slow", func(w http.ResponseWriter, r *http.Request) {
		slow.Add(1)
		<-r.Context().Done()
	})
	now := time.Now()
	r, _ := newReader(t, fetch.Options{})
	r.now = func() time.Time { return now }
	read := func(id string) string {
		res, _ := r.Read(context.Background(), Request{FeedID: "f", FeedURL: s.URL, ItemID: id, Link: s.URL + "/slow", FeedText: teaser, Mode: Auto, Timeout: 200 * time.Millisecond})
		return res.Outcome
	}
	if o := read("1"); o != OutcomeTimeout {
		t.Fatalf("first page: %q, want timeout", o)
	}
	if o := read("2"); o != OutcomeDeferred {
		t.Errorf("second page right after: %q, want deferred", o)
	}
	if n := slow.Load(); n != 1 {
		t.Errorf("the host was asked %d times, want once", n)
	}
	now = now.Add(RetryAfterFailure)
	if o := read("3"); o != OutcomeTimeout || slow.Load() != 2 {
		t.Errorf("after %v: %q, %d requests; want the host asked again", RetryAfterFailure, o, slow.Load())
	}
}

func TestShutdownIsNotAFailure(t *testing.T) {
	s := newSite(t, "127.0.0.1")
	started := make(chan struct{})
	s.handle("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	})
	r, logs := newReader(t, fetch.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := r.Read(ctx, Request{FeedID: "f", FeedURL: s.URL, Link: s.URL + "/slow", FeedText: teaser, Mode: Auto})
	if err == nil {
		t.Fatal("a cancelled read returned no error: its item would go out with its teaser")
	}
	if strings.Contains(logs.String(), "teaser kept") {
		t.Errorf("a shutdown was logged as the page's failure:\n%s", logs)
	}
}

// TestOutcomesAreMetricLabels checks that every outcome is a result the
// metrics know, rather than "other".
func TestOutcomesAreMetricLabels(t *testing.T) {
	m := metrics.New()
	for _, o := range Outcomes {
		m.ArticleFetch(o)
	}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	counted := map[string]float64{}
	for _, f := range families {
		if f.GetName() == "vigie_article_fetches_total" {
			for _, mt := range f.GetMetric() {
				counted[mt.GetLabel()[0].GetValue()] = mt.GetCounter().GetValue()
			}
		}
	}
	for _, o := range Outcomes {
		if counted[o] != 1 {
			t.Errorf("outcome %q counted %v times, want 1", o, counted[o])
		}
	}
}

func TestRobotsReadOnceByConcurrentReaders(t *testing.T) {
	c := pageCases(t)[0]
	s := newSite(t, "127.0.0.1")
	s.robots = "User-agent: *\nDisallow: /private/\n"
	s.page("/a", c)
	r, _ := newReader(t, fetch.Options{PerHost: 8, MaxConcurrent: 8})
	var wg sync.WaitGroup
	outcomes := make([]string, 16)
	for i := range outcomes {
		wg.Go(func() {
			res, _ := r.Read(context.Background(), Request{FeedID: "f", FeedURL: s.URL, Link: s.URL + "/a", FeedText: teaser, Mode: Auto})
			outcomes[i] = res.Outcome
		})
	}
	wg.Wait()
	for i, o := range outcomes {
		if o != OutcomeOK {
			t.Errorf("reader %d: %q", i, o)
		}
	}
	if n := s.count("/robots.txt"); n != 1 {
		t.Errorf("robots.txt read %d times by %d concurrent readers, want once", n, len(outcomes))
	}
}

package cluster

import (
	"context"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind is how a farm feed behaves.
type Kind string

// The kinds of feed the farm serves: good feeds that gain items, and the
// faulty sources every scenario runs beside them.
const (
	Good         Kind = "good"          // RSS 2.0 with the feed's items
	Timeout      Kind = "timeout"       // answers nothing until the client gives up
	Status500    Kind = "status-500"    // Internal Server Error
	TooMany      Kind = "status-429"    // 429 with Retry-After: 30
	RandomBytes  Kind = "random-bytes"  // 64 KiB of noise labelled as RSS
	EndlessBody  Kind = "endless-body"  // an RSS body that never ends
	EntityBomb   Kind = "entity-bomb"   // billion-laughs XML
	RedirectLoop Kind = "redirect-loop" // 302 to itself
	HTMLPage     Kind = "html-page"     // a web page, not a feed
	TruncatedXML Kind = "truncated-xml" // RSS cut in the middle of an item
)

// FaultyKinds are the faulty sources, one feed of each per run.
var FaultyKinds = []Kind{Timeout, Status500, TooMany, RandomBytes, EndlessBody, EntityBomb, RedirectLoop, HTMLPage, TruncatedXML}

// Item is one item of a good feed.
type Item struct {
	Key      string // feed/n: the path of its link, how alerts are traced back
	Feed     string
	N        int
	Title    string
	Body     string
	Matching bool // written to match the cyber-diplomacy classifier
	Added    time.Time
	Served   bool // was in at least one complete response
}

type feed struct {
	id    string
	kind  Kind
	host  string
	items []*Item
	// requests counts requests by instance (from the User-Agent).
	requests map[string]int
	served   int // complete good responses
	lastOK   time.Time
	// maxGap is the longest time between two complete responses.
	maxGap time.Duration
}

// Farm serves feeds over HTTP on several loopback addresses, so that the
// per-host politeness of the fetcher sees several hosts.
type Farm struct {
	// Window is how many of its latest items a good feed serves.
	Window int
	// Delay is added to every good response, so that jobs take time and a
	// fault lands while some are in flight.
	Delay time.Duration

	mu       sync.Mutex
	feeds    map[string]*feed
	order    []string
	hosts    []string
	seq      int
	faulty   int
	inflight map[string]int // by instance
	srv      *http.Server
	lns      []net.Listener
	wg       sync.WaitGroup
	done     chan struct{}
}

// NewFarm listens on nHosts loopback addresses (127.0.0.2, 127.0.0.3...).
func NewFarm(nHosts int) (*Farm, error) {
	f := &Farm{Window: 200, feeds: map[string]*feed{}, inflight: map[string]int{}, done: make(chan struct{})}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second}
	port := 0
	for i := range nHosts {
		ip := fmt.Sprintf("127.0.0.%d", i+2)
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("farm: %w", err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		f.lns = append(f.lns, ln)
		f.hosts = append(f.hosts, ln.Addr().String())
		f.wg.Go(func() { _ = f.srv.Serve(ln) })
	}
	return f, nil
}

// Close stops the farm and its endless or stalled answers.
func (f *Farm) Close() {
	select {
	case <-f.done:
	default:
		close(f.done)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = f.srv.Shutdown(ctx)
	_ = f.srv.Close()
	f.wg.Wait()
}

// AddFeed adds a feed of the kind and returns its URL. Good feeds share
// the farm's hosts; a faulty feed gets a host of its own, as a broken site
// would be: a 429 with Retry-After pauses its whole host.
func (f *Farm) AddFeed(id string, kind Kind) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	host := f.hosts[len(f.order)%len(f.hosts)]
	if kind != Good {
		f.faulty++
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.1.%d:0", f.faulty))
		if err != nil {
			return "", fmt.Errorf("farm: %w", err)
		}
		f.lns = append(f.lns, ln)
		f.wg.Go(func() { _ = f.srv.Serve(ln) })
		host = ln.Addr().String()
	}
	f.feeds[id] = &feed{id: id, kind: kind, host: host, requests: map[string]int{}}
	f.order = append(f.order, id)
	return "http://" + host + "/feed/" + id, nil
}

// Feeds lists the feed ids of a kind ("" for all).
func (f *Farm) Feeds(kind Kind) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, id := range f.order {
		if kind == "" || f.feeds[id].kind == kind {
			ids = append(ids, id)
		}
	}
	return ids
}

// AddItems adds n items to every good feed whose index i has
// i % every == phase (every <= 1: all of them); one item in matchEvery is
// written to match the classifier. It returns how many items were added.
func (f *Farm) AddItems(n, every, phase, matchEvery int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	added := 0
	now := time.Now()
	for i, id := range f.order {
		fd := f.feeds[id]
		if fd.kind != Good || (every > 1 && i%every != phase) {
			continue
		}
		for range n {
			f.seq++
			it := &Item{Feed: id, N: len(fd.items) + 1, Added: now}
			it.Key = fmt.Sprintf("%s/%d", id, it.N)
			it.Matching = matchEvery > 0 && f.seq%matchEvery == 0
			if it.Matching {
				t := matching[f.seq%len(matching)]
				it.Title, it.Body = t.title, t.body
			} else {
				t := offTopic[f.seq%len(offTopic)]
				it.Title, it.Body = t.title, t.body
			}
			it.Body += fmt.Sprintf(" (%d)", f.seq)
			fd.items = append(fd.items, it)
			added++
		}
	}
	return added
}

// Items returns a copy of every item of the good feeds.
func (f *Farm) Items() []Item {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Item
	for _, id := range f.order {
		for _, it := range f.feeds[id].items {
			out = append(out, *it)
		}
	}
	return out
}

// Unserved counts the items never yet part of a complete response.
func (f *Farm) Unserved() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, fd := range f.feeds {
		for _, it := range fd.items {
			if !it.Served {
				n++
			}
		}
	}
	return n
}

// Requests is the number of requests per instance name, over all feeds.
func (f *Farm) Requests() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, fd := range f.feeds {
		for k, v := range fd.requests {
			out[k] += v
		}
	}
	return out
}

// FeedRequests is the number of requests one feed received.
func (f *Farm) FeedRequests(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.feeds[id].requests {
		n += v
	}
	return n
}

// GoodStats sums up the good feeds: the fewest and the most complete
// responses a feed got, and the longest gap between two of them.
func (f *Farm) GoodStats() (minServed, maxServed int, maxGap time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	minServed = -1
	for _, fd := range f.feeds {
		if fd.kind != Good {
			continue
		}
		if minServed < 0 || fd.served < minServed {
			minServed = fd.served
		}
		maxServed = max(maxServed, fd.served)
		maxGap = max(maxGap, fd.maxGap)
	}
	return minServed, maxServed, maxGap
}

// InFlight is the number of requests an instance has open at the farm.
func (f *Farm) InFlight(instance string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inflight[instance]
}

// instanceOf reads the instance name from a User-Agent "... instance=NAME".
func instanceOf(r *http.Request) string {
	ua := r.UserAgent()
	if i := strings.LastIndex(ua, "instance="); i >= 0 {
		return ua[i+len("instance="):]
	}
	return ua
}

// ServeHTTP serves /feed/<id>.
func (f *Farm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, "/feed/")
	f.mu.Lock()
	fd := f.feeds[id]
	inst := instanceOf(r)
	if fd != nil {
		fd.requests[inst]++
		f.inflight[inst]++
	}
	f.mu.Unlock()
	if !ok || fd == nil {
		http.NotFound(w, r)
		return
	}
	defer func() {
		f.mu.Lock()
		f.inflight[inst]--
		f.mu.Unlock()
	}()
	switch fd.kind {
	case Good:
		f.serveGood(w, r, fd)
	case Timeout:
		select {
		case <-r.Context().Done():
		case <-f.done:
		case <-time.After(2 * time.Minute):
		}
	case Status500:
		http.Error(w, "internal error", http.StatusInternalServerError)
	case TooMany:
		w.Header().Set("Retry-After", "30")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	case RandomBytes:
		w.Header().Set("Content-Type", "application/rss+xml")
		rng := rand.NewChaCha8([32]byte{1, 2, 3})
		buf := make([]byte, 64<<10)
		_, _ = rng.Read(buf)
		_, _ = w.Write(buf)
	case EndlessBody:
		serveEndless(w, r, f.done)
	case EntityBomb:
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, entityBomb)
	case RedirectLoop:
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	case HTMLPage:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html><head><title>Accueil</title></head><body><h1>Bienvenue</h1><p>Notre site a changé d'adresse.</p></body></html>`)
	case TruncatedXML:
		w.Header().Set("Content-Type", "application/rss+xml")
		doc := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Cut</title><link>http://example.org/</link>` +
			`<item><guid>cut-1</guid><title>Heavy rain expected across the south of England</title><description>Forecasters issued weather warnings`
		io.WriteString(w, doc)
	}
}

func (f *Farm) serveGood(w http.ResponseWriter, r *http.Request, fd *feed) {
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	f.mu.Lock()
	items := fd.items[max(0, len(fd.items)-f.Window):]
	items = append([]*Item(nil), items...)
	f.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed %s</title><link>http://%s/</link>`, fd.id, fd.host)
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		fmt.Fprintf(&b, "<item><guid isPermaLink=\"false\">%s</guid><title>%s</title><link>http://%s/item/%s</link><description>%s</description><pubDate>%s</pubDate></item>",
			it.Key, html.EscapeString(it.Title), fd.host, it.Key, html.EscapeString(it.Body), it.Added.UTC().Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>")
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return
	}
	// The items count as served once the whole document is written.
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range items {
		it.Served = true
	}
	now := time.Now()
	if !fd.lastOK.IsZero() {
		fd.maxGap = max(fd.maxGap, now.Sub(fd.lastOK))
	}
	fd.lastOK = now
	fd.served++
}

// serveEndless writes an RSS body that never ends, until the client hangs
// up, the farm closes, or 1 GiB has gone out.
func serveEndless(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
	w.Header().Set("Content-Type", "application/rss+xml")
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Endless</title>`)
	chunk := []byte(strings.Repeat("<item><title>Again and again</title><description>More of the same.</description></item>", 100))
	for sent := 0; sent < 1<<30; sent += len(chunk) {
		select {
		case <-r.Context().Done():
			return
		case <-done:
			return
		default:
		}
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// entityBomb is the billion-laughs document: ten levels of ten references.
var entityBomb = func() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">`)
	prev := "lol"
	for i := 1; i <= 9; i++ {
		name := "lol" + strconv.Itoa(i)
		fmt.Fprintf(&b, `<!ENTITY %s "%s">`, name, strings.Repeat("&"+prev+";", 10))
		prev = name
	}
	fmt.Fprintf(&b, `]><rss version="2.0"><channel><title>Bomb</title><item><title>&%s;</title><description>&%s;</description></item></channel></rss>`, prev, prev)
	return b.String()
}()

// sortedKeys returns the keys of a set in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

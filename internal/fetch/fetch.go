// Package fetch downloads feeds politely: conditional GET, per-host and global
// concurrency limits, a gap between requests to one host, bounded bodies and
// classified errors that tell the scheduler how to react.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vigie-news/vigie/internal/redact"
	"github.com/vigie-news/vigie/internal/retryafter"
	"github.com/vigie-news/vigie/internal/version"
)

// Defaults applied by New to zero fields of Options (and the User-Agent,
// version.UserAgent).
const (
	DefaultTimeout        = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultMaxBodyBytes   = 16 << 20
	DefaultMaxRedirects   = 5
	DefaultPerHost        = 2
	DefaultHostGap        = time.Second
	DefaultMaxConcurrent  = 32
)

// MaxWait caps every interval a source asks for (Retry-After, Cache-Control
// max-age), so that a misconfigured feed is slowed down but never forgotten.
const MaxWait = 24 * time.Hour

// Errors that Fetch wraps; test them with errors.Is.
var (
	// ErrHTTPStatus is a response status other than 2xx or 304; the error is
	// also a *StatusError.
	ErrHTTPStatus = errors.New("unexpected http status")
	// ErrTimeout is a connect or total timeout.
	ErrTimeout = errors.New("timeout")
	// ErrTooLarge is a body larger than MaxBodyBytes after decompression.
	ErrTooLarge = errors.New("body too large")
	// ErrTooManyRedirects is a redirect chain longer than MaxRedirects, or a loop.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrNetwork is a failure to resolve, connect, or read.
	ErrNetwork = errors.New("network error")
	// ErrInvalidURL is a feed URL that is not an absolute http or https URL.
	ErrInvalidURL = errors.New("invalid feed url")
	// ErrForbiddenAddress is a PublicOnly request that would have reached
	// an address that is not public (loopback, private, link-local...),
	// directly, through DNS or through a redirect.
	ErrForbiddenAddress = errors.New("address not allowed")
)

// StatusError is an HTTP status that is neither success nor 304. It wraps
// ErrHTTPStatus.
type StatusError struct {
	Status int
	// RetryAfter is the delay the server asked for (Retry-After, on 429 and
	// 503 above all), capped at MaxWait; 0 if none.
	RetryAfter time.Duration
	// Deferred is true when no request was sent: the host recently answered
	// another feed's request with 429 or 503 and a Retry-After that has not
	// run out yet. RetryAfter is then the time left.
	Deferred bool
	// Host is the name of the host that answered, after redirects.
	Host string
	// Header is the answer's header; nil when no request was sent.
	Header http.Header
}

// Error implements error. The message leaves the delay out, so that it
// stays the same from one attempt to the next and a caller that logs a
// failure when its message changes does not log every retry.
func (e *StatusError) Error() string {
	if e.Deferred {
		return fmt.Sprintf("not sent: the host answered http status %d and asked clients to wait", e.Status)
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("http status %d with Retry-After", e.Status)
	}
	return fmt.Sprintf("http status %d", e.Status)
}

// Unwrap makes errors.Is(err, ErrHTTPStatus) true.
func (e *StatusError) Unwrap() error { return ErrHTTPStatus }

// Options configures a Fetcher. Zero fields take the defaults above.
type Options struct {
	// UserAgent is sent with every request; it should name Vigie and a contact.
	UserAgent string
	// Timeout bounds one fetch from connection to the last body byte (default
	// 30s). Waiting for a host or global slot is not counted.
	Timeout time.Duration
	// ConnectTimeout bounds the TCP connect and TLS handshake (default 10s).
	ConnectTimeout time.Duration
	// MaxBodyBytes bounds the body after decompression (default 16 MiB).
	MaxBodyBytes int64
	// MaxRedirects bounds the redirects followed (default 5).
	MaxRedirects int
	// PerHost bounds concurrent requests to one host (default 2).
	PerHost int
	// HostGap is the minimum gap between the starts of two requests to one
	// host. Zero means the default, 1s, since an unset field cannot be told
	// from an explicit zero; a negative value means no gap at all.
	HostGap time.Duration
	// MaxConcurrent bounds concurrent requests overall (default 32).
	MaxConcurrent int
	// Logger receives permanent redirects and other notable events
	// (default slog.Default()).
	Logger *slog.Logger
	// PublicAddr decides which addresses a PublicOnly request may reach
	// (default IsPublicAddr). A deployment has no reason to change it;
	// tests let a loopback address stand for the internet.
	PublicAddr func(netip.Addr) bool
}

// Fetcher fetches feeds. It is safe for concurrent use; limits are enforced
// across all callers.
type Fetcher struct {
	o      Options
	client *http.Client
	// public is client's twin for PublicOnly requests: same limits and
	// redirect policy, but its connections reach public addresses only,
	// and it keeps them apart from those that may reach any address.
	public *http.Client
	// proxies are the proxy addresses public has used (host:port): its
	// connections to them are not checked, the target was.
	proxies sync.Map
	global  chan struct{}
	now     func() time.Time
	log     *slog.Logger

	mu    sync.Mutex
	hosts map[string]*host
}

// host is the politeness state of one host.
type host struct {
	slots chan struct{}
	next  time.Time // earliest start of the next request
	users int       // callers holding or waiting for a slot
	// pausedUntil is when the host's last 429 or 503 asked clients to
	// come back; pausedStatus is that status.
	pausedUntil  time.Time
	pausedStatus int
}

// maxIdleConns is how many idle connections a Fetcher keeps at least (a few
// per host beyond that number are closed as new ones come): enough for the
// feeds of a thousand hosts, fetched in turns, to reuse their host's
// connection within a cycle rather than dial again, at some 25 KB each.
const maxIdleConns = 1024

// MaxHostPause caps how long a 429 or 503 with Retry-After for one feed
// holds back the other feeds of its host.
const MaxHostPause = time.Hour

// Request is one feed to fetch.
type Request struct {
	FeedID string
	URL    string
	// ETag and LastModified are the validators of the previous response; they
	// make the request conditional.
	ETag         string
	LastModified string
	// Headers are sent as is (authorization, cookies, ...).
	Headers map[string]string
	// Timeout overrides Options.Timeout for this feed when positive.
	Timeout time.Duration
	// MaxBodyBytes lowers Options.MaxBodyBytes for this request when
	// positive and smaller.
	MaxBodyBytes int64
	// Page marks a web page (an article, a robots.txt) rather than a feed:
	// Accept asks for HTML, and a permanent redirect is not logged (pages
	// move; there is nothing to update).
	Page bool
	// PublicOnly refuses to connect to an address that is not public (see
	// IsPublicAddr), whatever the URL's host name resolves to and wherever
	// a redirect leads: for URLs that come from outside, such as an item's
	// link, which must not make Vigie read its own network. Through a
	// proxy, the target's resolved addresses are checked instead.
	PublicOnly bool
	// Consume, when set, reads the body as it arrives instead of Fetch
	// keeping it, so that a large document is never held whole: it gets
	// the decompressed body, whose reads fail with an error wrapping
	// ErrTooLarge past the limit. When the body itself failed (too large,
	// network, timeout), Fetch returns that failure, classified, unless
	// Consume returned nil (it kept what came before); any other error of
	// Consume is returned as is. Response.Body is then nil, and
	// Response.BodyBytes counts the bytes read.
	Consume func(body io.Reader) error
}

// Response is a successful fetch: a 2xx with its body, or a 304.
type Response struct {
	Status      int
	NotModified bool
	// Body is the decompressed body, empty on 304 and for a Request with
	// Consume.
	Body []byte
	// BodyBytes is the length of the decompressed body read.
	BodyBytes   int64
	ContentType string
	// ETag and LastModified are the validators to send next time; on 304
	// they are the request's unless the server sent new ones.
	ETag         string
	LastModified string
	FinalURL     string
	// PermanentRedirect is the new URL of the feed when the chain of
	// redirects started with 301 or 308; the caller should update the feed.
	PermanentRedirect string
	// Header is the answer's header: what it asks of the next fetch
	// (Retry-After, Cache-Control) is for the caller's policy to read.
	Header http.Header
}

// New returns a Fetcher with o's zero fields set to their defaults.
func New(o Options) *Fetcher {
	if o.UserAgent == "" {
		o.UserAgent = version.UserAgent()
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.PerHost <= 0 {
		o.PerHost = DefaultPerHost
	}
	if o.HostGap == 0 {
		o.HostGap = DefaultHostGap
	} else if o.HostGap < 0 {
		o.HostGap = 0
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PublicAddr == nil {
		o.PublicAddr = IsPublicAddr
	}
	f := &Fetcher{
		o:      o,
		global: make(chan struct{}, o.MaxConcurrent),
		now:    time.Now,
		log:    o.Logger,
		hosts:  make(map[string]*host),
	}
	dialer := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}
	guarded := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second, ControlContext: f.checkDial}
	f.client = &http.Client{Transport: f.transport(http.ProxyFromEnvironment, dialer.DialContext), CheckRedirect: f.checkRedirect}
	f.public = &http.Client{
		Transport: f.transport(f.publicProxy, func(ctx context.Context, network, addr string) (net.Conn, error) {
			if _, ok := f.proxies.Load(addr); ok {
				return dialer.DialContext(ctx, network, addr)
			}
			return guarded.DialContext(ctx, network, addr)
		}),
		CheckRedirect: f.checkRedirect,
	}
	return f
}

func (f *Fetcher) transport(proxy func(*http.Request) (*url.URL, error), dial func(context.Context, string, string) (net.Conn, error)) *http.Transport {
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           dial,
		TLSHandshakeTimeout:   f.o.ConnectTimeout,
		ForceAttemptHTTP2:     true,
		DisableCompression:    true, // decompressed here, so the cap applies after decompression
		MaxIdleConns:          max(f.o.MaxConcurrent*4, maxIdleConns),
		MaxIdleConnsPerHost:   f.o.PerHost,
		MaxConnsPerHost:       f.o.PerHost,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// CloseIdleConnections closes the connections kept for reuse; call it on
// shutdown.
func (f *Fetcher) CloseIdleConnections() {
	f.client.CloseIdleConnections()
	f.public.CloseIdleConnections()
}

// UserAgent is the User-Agent the fetcher sends.
func (f *Fetcher) UserAgent() string { return f.o.UserAgent }

// IsPublic reports whether a PublicOnly request may reach addr.
func (f *Fetcher) IsPublic(addr netip.Addr) bool { return f.o.PublicAddr(addr.Unmap()) }

// redirectState records what the redirects of one request did.
type redirectState struct {
	permanent string // target of the leading run of 301/308 hops
	broken    bool   // a non-permanent hop ended the leading run
	// headers are the feed's own (credentials, often): they go only to
	// the feed's host, and never over plain http when it was https.
	headers map[string]string
}

type redirectKey struct{}

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.o.MaxRedirects {
		return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, f.o.MaxRedirects)
	}
	for _, v := range via {
		if v.URL.String() == req.URL.String() {
			return fmt.Errorf("%w: loop at %s", ErrTooManyRedirects, redact.URL(req.URL.String()))
		}
	}
	st, _ := req.Context().Value(redirectKey{}).(*redirectState)
	if st != nil && !st.broken {
		if code := req.Response.StatusCode; code == http.StatusMovedPermanently || code == http.StatusPermanentRedirect {
			st.permanent = req.URL.String()
		} else {
			st.broken = true
		}
	}
	first := via[0].URL
	if st != nil && (!strings.EqualFold(req.URL.Hostname(), first.Hostname()) || first.Scheme == "https" && req.URL.Scheme != "https") {
		for k := range st.headers {
			req.Header.Del(k)
		}
		f.defaultHeaders(req.Header) // where a feed's header replaced one
	}
	// A host that asked clients to wait is not asked again through a
	// redirect either.
	if se := f.pausedErr(strings.ToLower(req.URL.Hostname())); se != nil {
		return se
	}
	return nil
}

// Fetch fetches r. It waits for a slot of r's host and a global slot (bounded
// by ctx only), then performs the request within the timeout. It returns a
// Response for 2xx and 304, and otherwise an error that wraps one of the Err
// sentinels, or ctx's error when ctx ends first (a shutdown, not a failure
// of the feed).
func (f *Fetcher) Fetch(ctx context.Context, r Request) (*Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fetch %s: %w: not an absolute http or https url", r.FeedID, ErrInvalidURL)
	}
	// Politeness is per host name: two ports of one host are one server.
	hostname := strings.ToLower(u.Hostname())
	release, err := f.acquire(ctx, hostname)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", r.FeedID, err)
	}
	defer release()

	timeout := f.o.Timeout
	if r.Timeout > 0 {
		timeout = r.Timeout
	}
	tctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()
	resp, err := f.do(tctx, u, r)
	var ce consumeError
	if errors.As(err, &ce) {
		return nil, ce.err
	}
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && !se.Deferred && se.RetryAfter > 0 && (se.Status == http.StatusTooManyRequests || se.Status == http.StatusServiceUnavailable) {
			answered := hostname
			if se.Host != "" {
				answered = se.Host
			}
			f.pause(answered, se)
		}
		return nil, fmt.Errorf("fetch %s: %w", r.FeedID, f.classify(tctx, err))
	}
	return resp, nil
}

// defaultHeaders sets what every request says of itself.
func (f *Fetcher) defaultHeaders(h http.Header) {
	h.Set("User-Agent", f.o.UserAgent)
	h.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8")
	h.Set("Accept-Encoding", "gzip, deflate, br")
}

// pageAccept is the Accept header of Page requests.
const pageAccept = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"

func (f *Fetcher) do(ctx context.Context, u *url.URL, r Request) (*Response, error) {
	st := &redirectState{headers: r.Headers}
	ctx = context.WithValue(ctx, redirectKey{}, st)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	f.defaultHeaders(req.Header)
	if r.Page {
		req.Header.Set("Accept", pageAccept)
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	client := f.client
	if r.PublicOnly {
		client = f.public
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	now := f.now()
	out := &Response{
		Status:       resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		FinalURL:     resp.Request.URL.String(),
		Header:       resp.Header,
	}
	if st.permanent != "" {
		out.PermanentRedirect = st.permanent
		if !r.Page {
			f.log.Info("feed moved permanently", "feed", r.FeedID, "from", redact.URL(u.String()), "to", redact.URL(st.permanent))
		}
	}

	switch {
	case resp.StatusCode == http.StatusNotModified && r.ETag == "" && r.LastModified == "":
		// Not modified since what? A broken cache: the feed would never
		// be read, and never reported.
		drain(resp.Body)
		return nil, &StatusError{Status: resp.StatusCode, Host: strings.ToLower(resp.Request.URL.Hostname()), Header: resp.Header}
	case resp.StatusCode == http.StatusNotModified:
		drain(resp.Body)
		out.NotModified = true
		if out.ETag == "" {
			out.ETag = r.ETag
		}
		if out.LastModified == "" {
			out.LastModified = r.LastModified
		}
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		drain(resp.Body)
		return nil, &StatusError{Status: resp.StatusCode, RetryAfter: retryafter.Parse(resp.Header.Get("Retry-After"), now, MaxWait), Host: strings.ToLower(resp.Request.URL.Hostname()), Header: resp.Header}
	}

	limit := f.o.MaxBodyBytes
	if r.MaxBodyBytes > 0 {
		limit = min(limit, r.MaxBodyBytes)
	}
	if resp.ContentLength > limit && resp.Header.Get("Content-Encoding") == "" {
		return nil, fmt.Errorf("%w: content-length %d > %d", ErrTooLarge, resp.ContentLength, limit)
	}
	if r.Consume != nil {
		return out, consume(resp.Body, resp.Header.Get("Content-Encoding"), limit, r.Consume, out)
	}
	body, err := readBody(resp.Body, resp.Header.Get("Content-Encoding"), limit)
	if err != nil {
		return nil, err
	}
	out.Body = body
	out.BodyBytes = int64(len(body))
	return out, nil
}

// consumeError is an error of a Request's Consume, returned by Fetch as is
// rather than classified as the fetch's.
type consumeError struct{ err error }

func (e consumeError) Error() string { return e.err.Error() }
func (e consumeError) Unwrap() error { return e.err }

// consume hands the decoded body to fn, at most limit bytes of it.
func consume(body io.Reader, contentEncoding string, limit int64, fn func(io.Reader) error, out *Response) error {
	r, closeAll, err := decodeBody(body, contentEncoding)
	if err != nil {
		return err
	}
	defer closeAll()
	cr := &cappedReader{r: r, limit: limit}
	err = fn(cr)
	out.BodyBytes = cr.n
	switch {
	case err == nil:
		return nil
	case cr.err != nil:
		return cr.err
	default:
		return consumeError{err}
	}
}

// classify wraps err with the sentinel that describes it, and redacts the
// URL that net/http puts in its errors.
func (f *Fetcher) classify(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redact.URL(ue.URL)
	}
	for _, s := range []error{ErrForbiddenAddress, ErrHTTPStatus, ErrTooLarge, ErrTooManyRedirects, ErrInvalidURL, ErrTimeout} {
		if errors.Is(err, s) {
			return err
		}
	}
	if context.Cause(ctx) == ErrTimeout || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrNetwork, err)
}

// acquire waits for a slot of the host, its gap, and a global slot, in that
// order, so that a busy host does not hold global slots while it waits. A
// host that asked clients to wait fails at once with a deferred
// *StatusError, without holding a worker for the pause.
func (f *Fetcher) acquire(ctx context.Context, hostname string) (release func(), err error) {
	f.mu.Lock()
	h := f.hostLocked(hostname)
	if se := f.pausedLocked(h); se != nil {
		f.mu.Unlock()
		return nil, se
	}
	h.users++
	f.mu.Unlock()
	done := func() {
		f.mu.Lock()
		h.users--
		if now := f.now(); h.users == 0 && !now.Before(h.next) && !now.Before(h.pausedUntil) {
			delete(f.hosts, hostname)
		}
		f.mu.Unlock()
	}
	// fail gives back what was taken: a pause that came while this caller
	// waited applies to it too, so that no request goes out after a host
	// asked every client to wait.
	fail := func(err error, slot bool) (func(), error) {
		if slot {
			<-h.slots
		}
		done()
		return nil, err
	}

	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return fail(ctx.Err(), false)
	}
	// The gap is claimed only when it has passed, never reserved ahead, so
	// that a caller that gives up leaves nothing behind. At most PerHost
	// callers wait here, since they hold the host's slots.
	for {
		f.mu.Lock()
		if se := f.pausedLocked(h); se != nil {
			f.mu.Unlock()
			return fail(se, true)
		}
		now := f.now()
		wait := h.next.Sub(now)
		if f.o.HostGap > 0 && wait <= 0 {
			h.next = now.Add(f.o.HostGap)
		}
		f.mu.Unlock()
		if f.o.HostGap <= 0 || wait <= 0 {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fail(ctx.Err(), true)
		}
	}
	select {
	case f.global <- struct{}{}:
	case <-ctx.Done():
		return fail(ctx.Err(), true)
	}
	return func() {
		<-f.global
		<-h.slots
		done()
	}, nil
}

// hostLocked returns the politeness state of a host, created if need be.
func (f *Fetcher) hostLocked(hostname string) *host {
	h := f.hosts[hostname]
	if h == nil {
		h = &host{slots: make(chan struct{}, f.o.PerHost)}
		f.hosts[hostname] = h
	}
	return h
}

// pausedLocked returns the deferred error of a host that asked clients to
// wait, or nil.
func (f *Fetcher) pausedLocked(h *host) *StatusError {
	if now := f.now(); now.Before(h.pausedUntil) {
		return &StatusError{Status: h.pausedStatus, RetryAfter: h.pausedUntil.Sub(now), Deferred: true}
	}
	return nil
}

// pausedErr is pausedLocked for a host known by name; nil for a host with
// no state.
func (f *Fetcher) pausedErr(hostname string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h := f.hosts[hostname]; h != nil {
		if se := f.pausedLocked(h); se != nil {
			return se
		}
	}
	return nil
}

// pause holds back every request to the host that answered se, for as long
// as it asked (at most MaxHostPause).
func (f *Fetcher) pause(hostname string, se *StatusError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hostLocked(hostname)
	until := f.now().Add(min(se.RetryAfter, MaxHostPause))
	if until.After(h.pausedUntil) {
		h.pausedUntil, h.pausedStatus = until, se.Status
		f.log.Info("host asked to wait", "host", hostname, "status", se.Status, "retry_in", until.Sub(f.now()).Round(time.Second))
	}
}

// drain reads a little of an unwanted body so the connection can be reused.
func drain(r io.Reader) {
	_, _ = io.CopyN(io.Discard, r, 64<<10)
}

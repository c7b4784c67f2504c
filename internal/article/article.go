// Package article reads the page an item links to when its feed gives only a
// teaser, politely (robots.txt, the fetcher's limits), and extracts the
// article's main text from it.
package article

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/redact"
	"github.com/vigie-news/vigie/internal/version"
)

// Mode says when an item's page is read: a feed's fulltext setting.
type Mode string

// The modes of fulltext.
const (
	// Auto reads the page when the feed's text is shorter than ShortText.
	Auto Mode = "auto"
	// Always reads the page of every item that links to one.
	Always Mode = "always"
	// Never keeps the feed's text.
	Never Mode = "never"
)

// ShortText is the length, in characters, under which a feed's text is
// taken for a teaser in Auto mode. Agencies' teasers are a sentence or two
// (100 to 400 characters), excerpts a paragraph (up to about 500); a feed
// that carries its articles gives thousands.
const ShortText = 600

// DefaultMaxPageBytes bounds a page after decompression (the fetcher's own
// limit applies when it is lower). News pages weigh 50 KB to 1.5 MB.
const DefaultMaxPageBytes = 4 << 20

// Timings of the caches.
const (
	// RobotsTTL is how long a host's robots.txt is believed.
	RobotsTTL = 24 * time.Hour
	// RetryAfterFailure is how long a host whose robots.txt could not be
	// read (network, timeout, 5xx, 429) is left alone, its pages unread;
	// and a host whose page timed out or could not be reached.
	RetryAfterFailure = 10 * time.Minute
	// maxRobotsBytes is what RFC 9309 asks crawlers to read at least.
	maxRobotsBytes = 512 << 10
	// maxHosts bounds each per-host cache.
	maxHosts = 10000
)

// Outcomes of a page read: the values of the result label of
// vigie_article_fetches_total, and of Result.Outcome.
const (
	OutcomeOK = "ok"
	// OutcomeRobots is a page that the host's robots.txt disallows.
	OutcomeRobots = "robots"
	// OutcomeBlocked is a link from a public feed that leads (directly,
	// by its name or through a redirect) to a private or loopback address.
	OutcomeBlocked = "blocked_address"
	// OutcomeInvalidURL is an item without a link, or with a link that is
	// not http or https (file://, javascript:, ...).
	OutcomeInvalidURL = "invalid_url"
	// OutcomeTooLarge is a page larger than the page limit, or of more
	// than MaxElements elements.
	OutcomeTooLarge  = "too_large"
	OutcomeTimeout   = "timeout"
	OutcomeRedirects = "too_many_redirects"
	OutcomeHTTP4xx   = "http_4xx"
	OutcomeHTTP5xx   = "http_5xx"
	OutcomeHTTPOther = "http_other"
	OutcomeNetwork   = "network"
	// OutcomeDeferred is a page not asked for: its host asked clients to
	// wait (429 or 503 with Retry-After), or it failed moments ago.
	OutcomeDeferred = "deferred"
	OutcomeNotHTML  = "not_html"
	// OutcomeNoText is a page in which no main text longer than the
	// feed's was found.
	OutcomeNoText = "no_text"
	OutcomeOther  = "other"
)

// Outcomes lists every outcome.
var Outcomes = []string{
	OutcomeOK, OutcomeRobots, OutcomeBlocked, OutcomeInvalidURL, OutcomeTooLarge,
	OutcomeTimeout, OutcomeRedirects, OutcomeHTTP4xx, OutcomeHTTP5xx, OutcomeHTTPOther,
	OutcomeNetwork, OutcomeDeferred, OutcomeNotHTML, OutcomeNoText, OutcomeOther,
}

// Errors of Read's page fetch, besides the fetcher's and Extract's.
var (
	// ErrDisallowed is a page that robots.txt disallows.
	ErrDisallowed = errors.New("disallowed by robots.txt")
	// ErrInvalidLink is a link that is not an absolute http(s) URL.
	ErrInvalidLink = errors.New("not an http or https link")
	// errHostDown is a host whose last page failed moments ago.
	errHostDown = errors.New("host failed moments ago, not asked again yet")
)

// Options configures a Reader.
type Options struct {
	// Fetcher reads the pages and robots.txt files, with its limits,
	// politeness, User-Agent and address guard. Required.
	Fetcher *fetch.Fetcher
	// Logger receives a line for every page not read (default
	// slog.Default()).
	Logger *slog.Logger
	// MaxPageBytes bounds a page (default DefaultMaxPageBytes).
	MaxPageBytes int64
	// Now is the clock of the caches (default time.Now).
	Now func() time.Time
}

// Reader reads the pages of items. It is safe for concurrent use; it
// remembers each host's robots.txt and failures.
type Reader struct {
	f        *fetch.Fetcher
	log      *slog.Logger
	maxBytes int64
	now      func() time.Time
	agent    string // the product token robots.txt groups are matched against

	mu     sync.Mutex
	robots map[string]*robotsEntry // by origin (scheme://host:port)
	down   map[string]time.Time    // host name -> until when its pages are not asked for
	feeds  map[string]feedHost     // feed host name -> whether it is public
}

// feedHost is what Reader knows of a feed's host.
type feedHost struct {
	public  bool
	expires time.Time
}

// New returns a Reader.
func New(o Options) *Reader {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxPageBytes <= 0 {
		o.MaxPageBytes = DefaultMaxPageBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Reader{
		f:        o.Fetcher,
		log:      o.Logger,
		maxBytes: o.MaxPageBytes,
		now:      o.Now,
		agent:    productToken(o.Fetcher.UserAgent()),
		robots:   map[string]*robotsEntry{},
		down:     map[string]time.Time{},
		feeds:    map[string]feedHost{},
	}
}

// productToken is the name a User-Agent starts with ("Vigie" for
// "Vigie/1.2 (...)"), which robots.txt groups name.
func productToken(ua string) string {
	token, _, _ := strings.Cut(strings.TrimSpace(ua), "/")
	token, _, _ = strings.Cut(token, " ")
	if token == "" {
		return version.Product
	}
	return token
}

// Request is one item whose page may be read.
type Request struct {
	FeedID string
	// FeedURL is the feed's own URL: a feed on a public address may not
	// lead Vigie to a private one; a feed on a private or loopback address
	// (one's own network, a test) may.
	FeedURL string
	ItemID  string
	// Link is the item's link, the page to read.
	Link string
	// FeedText is the item's text as the feed gave it.
	FeedText string
	Mode     Mode
	// Timeout overrides the fetcher's timeout when positive (a feed's own).
	Timeout time.Duration
}

// Result is the text an item is classified on, and where it comes from.
type Result struct {
	Text string
	// Source is vigie.TextFromFeed or vigie.TextFromArticle.
	Source string
	// Outcome is how reading the page went (one of Outcomes), or "" when
	// no page was asked for.
	Outcome string
}

// Wanted reports whether an item whose feed gave feedText has its page
// read in mode m. An unknown mode is Auto.
func Wanted(m Mode, feedText string) bool {
	switch m {
	case Never:
		return false
	case Always:
		return true
	}
	return utf8.RuneCountInString(feedText) < ShortText
}

// Read returns the text to classify an item on: its page's main text when
// the mode asks for the page and it could be read and says more than the
// feed, and otherwise the feed's text (an item without a link, or linking
// to its feed or to a site's home page, has no page of its own). A page that fails or is refused is
// logged and its outcome returned; the error is ctx's alone, when it ended
// (a shutdown: the item is not to be published with its teaser for that).
// A nil Reader reads no page.
func (r *Reader) Read(ctx context.Context, req Request) (Result, error) {
	res := Result{Text: req.FeedText, Source: vigie.TextFromFeed}
	if r == nil || !hasPage(req.Link, req.FeedURL) || !Wanted(req.Mode, req.FeedText) {
		return res, nil
	}
	text, err := r.page(ctx, req)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err == nil && utf8.RuneCountInString(text) <= utf8.RuneCountInString(req.FeedText) {
		err = fmt.Errorf("%w: the page's text is no longer than the feed's", ErrNoText)
	}
	res.Outcome = Outcome(err)
	if err != nil {
		r.logFailure(req, res.Outcome, err)
		return res, nil
	}
	r.log.Debug("article read", "feed", req.FeedID, "item", req.ItemID, "chars", utf8.RuneCountInString(text))
	res.Text, res.Source = text, vigie.TextFromArticle
	return res, nil
}

// hasPage reports whether an item's link may lead to its own page: not
// when there is none, nor when it is the feed itself or a site's home page
// (feeds whose items have no page of their own link there), whose text
// would be taken for the item's.
func hasPage(link, feedURL string) bool {
	link = strings.TrimSpace(link)
	if link == "" || link == feedURL {
		return false
	}
	u, err := url.Parse(link)
	if err != nil {
		return true // refused, and logged, as an invalid link
	}
	return !((u.Scheme == "http" || u.Scheme == "https") && (u.Path == "" || u.Path == "/") && u.RawQuery == "")
}

// logFailure logs a page not read. Refusals of what a feed should not
// link to are warnings; a site's own refusals and failures are not.
func (r *Reader) logFailure(req Request, outcome string, err error) {
	level, msg := slog.LevelInfo, "article not read, teaser kept"
	switch outcome {
	case OutcomeBlocked, OutcomeInvalidURL, OutcomeTooLarge, OutcomeRedirects:
		level, msg = slog.LevelWarn, "article refused, teaser kept"
	}
	r.log.Log(context.Background(), level, msg, "feed", req.FeedID, "item", req.ItemID,
		"url", redact.URL(req.Link), "result", outcome, "error", err)
}

// page fetches the item's page, if robots.txt allows, and extracts its
// main text.
func (r *Reader) page(ctx context.Context, req Request) (string, error) {
	u, err := url.Parse(strings.TrimSpace(req.Link))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", ErrInvalidLink
	}
	host := strings.ToLower(u.Hostname())
	if r.isDown(host) {
		return "", errHostDown
	}
	publicOnly := r.publicFeed(ctx, req.FeedURL)
	if err := r.allowed(ctx, u, publicOnly, req); err != nil {
		return "", err
	}
	resp, err := r.f.Fetch(ctx, fetch.Request{
		FeedID:       req.FeedID,
		URL:          u.String(),
		Timeout:      req.Timeout,
		MaxBodyBytes: r.maxBytes,
		Page:         true,
		PublicOnly:   publicOnly,
	})
	if err != nil {
		if ctx.Err() == nil && (errors.Is(err, fetch.ErrTimeout) || errors.Is(err, fetch.ErrNetwork)) {
			r.setDown(host)
		}
		return "", err
	}
	final := u
	if f, err := url.Parse(resp.FinalURL); err == nil && resp.FinalURL != "" {
		final = f
	}
	return Extract(resp.Body, resp.ContentType, final)
}

// Outcome is the outcome of a page read that ended with err (nil: ok).
func Outcome(err error) string {
	var se *fetch.StatusError
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrDisallowed):
		return OutcomeRobots
	case errors.Is(err, fetch.ErrForbiddenAddress):
		return OutcomeBlocked
	case errors.Is(err, ErrInvalidLink), errors.Is(err, fetch.ErrInvalidURL):
		return OutcomeInvalidURL
	case errors.Is(err, fetch.ErrTooLarge), errors.Is(err, ErrTooComplex):
		return OutcomeTooLarge
	case errors.Is(err, fetch.ErrTooManyRedirects):
		return OutcomeRedirects
	case errors.Is(err, errHostDown):
		return OutcomeDeferred
	case errors.As(err, &se):
		switch {
		case se.Deferred:
			return OutcomeDeferred
		case se.Status >= 400 && se.Status < 500:
			return OutcomeHTTP4xx
		case se.Status >= 500 && se.Status < 600:
			return OutcomeHTTP5xx
		}
		return OutcomeHTTPOther
	case errors.Is(err, fetch.ErrTimeout):
		return OutcomeTimeout
	case errors.Is(err, fetch.ErrNetwork):
		return OutcomeNetwork
	case errors.Is(err, ErrNotHTML):
		return OutcomeNotHTML
	case errors.Is(err, ErrNoText):
		return OutcomeNoText
	}
	return OutcomeOther
}

func (r *Reader) isDown(host string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	until, ok := r.down[host]
	if ok && !r.now().Before(until) {
		delete(r.down, host)
		return false
	}
	return ok
}

func (r *Reader) setDown(host string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	prune(r.down, r.now(), func(until time.Time) time.Time { return until })
	r.down[host] = r.now().Add(RetryAfterFailure)
}

// prune empties a per-host cache that has grown to maxHosts of its expired
// entries, and of all of them if none has expired.
func prune[V any](m map[string]V, now time.Time, expires func(V) time.Time) {
	if len(m) < maxHosts {
		return
	}
	for k, v := range m {
		if !now.Before(expires(v)) {
			delete(m, k)
		}
	}
	if len(m) >= maxHosts {
		clear(m)
	}
}

// publicFeed reports whether a feed is on a public address, so that its
// links may reach public addresses only. A host name that does not resolve
// counts as public: the guard then applies.
func (r *Reader) publicFeed(ctx context.Context, feedURL string) bool {
	u, err := url.Parse(feedURL)
	if err != nil {
		return true
	}
	host := strings.ToLower(u.Hostname())
	if a, err := netip.ParseAddr(host); err == nil {
		return r.f.IsPublic(a)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	now := r.now()
	r.mu.Lock()
	h, ok := r.feeds[host]
	r.mu.Unlock()
	if ok && now.Before(h.expires) {
		return h.public
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	addrs, err := net.DefaultResolver.LookupNetIP(lctx, "ip", host)
	cancel()
	public := true
	if err == nil {
		for _, a := range addrs {
			public = public && r.f.IsPublic(a)
		}
	}
	r.mu.Lock()
	prune(r.feeds, now, func(h feedHost) time.Time { return h.expires })
	r.feeds[host] = feedHost{public: public, expires: now.Add(RetryAfterFailure)}
	r.mu.Unlock()
	return public
}

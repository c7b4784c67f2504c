// Package source reads one configured source, whatever its kind: a feed
// (RSS, Atom, JSON Feed), a news sitemap or a listing page, fetched once
// and turned into the parse step's one result type, a parse.Feed, so that
// what comes after does not know which kind it got.
package source

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/listing"
	"github.com/vigie-news/vigie/internal/parse"
	"github.com/vigie-news/vigie/internal/sitemap"
)

// Kind is the kind of a source, as found by Read.
type Kind string

// The kinds of source.
const (
	// KindFeed is RSS, Atom or JSON Feed.
	KindFeed Kind = "feed"
	// KindSitemap is a sitemap (urlset) or a sitemap index, recognised by
	// its content: no key says so.
	KindSitemap Kind = "sitemap"
	// KindListing is a web page of stories, read with the CSS selectors
	// of the feed's html: block.
	KindListing Kind = "listing"
)

// Reader reads sources through a fetcher. It is safe for concurrent use.
type Reader struct {
	fetcher *fetch.Fetcher
	log     *slog.Logger
}

// New returns a Reader that fetches with f and logs to log (nil: none).
func New(f *fetch.Fetcher, log *slog.Logger) *Reader {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reader{fetcher: f, log: log}
}

// Result is one read of a source.
type Result struct {
	Kind Kind
	// Feed is the document read; nil on 304.
	Feed *parse.Feed
	// Response is the fetch of the source's own URL.
	Response *fetch.Response
	// URL is the address the document was read from, after redirects:
	// the base of its relative links.
	URL string
	// Bytes is what was read, the sitemaps of an index included.
	Bytes int64
	// TooOld counts the entries of a sitemap left out as older than the
	// feed's max_age (feeds' items are judged after normalization).
	TooOld int
	// Cut says why a document was not read whole (a sitemap larger than
	// the limit, or damaged), or is "". A feed's damage is in its Feed
	// (see parse.Feed.Salvaged).
	Cut string
	// Missed lists the selectors of a listing page that matched nothing
	// (item, title, link, date, summary); each is logged as a warning.
	Missed []string
}

// Read fetches the source of f (conditionally, with the validators of its
// last fetch) and reads it at now (a sitemap's entries older than the
// feed's max_age at now are left out as they are read). A 304 gives a Result with Response.NotModified
// and no Feed. Errors wrap fetch's sentinels, parse.ErrNotAFeed or
// parse.ErrMalformed.
func (r *Reader) Read(ctx context.Context, f config.Feed, etag, lastModified string, now time.Time) (*Result, error) {
	res := &Result{Kind: KindFeed}
	if f.HTML != nil {
		res.Kind = KindListing
	}
	since := now.Add(-f.MaxAgeOf(true))
	var (
		body []byte
		doc  *sitemap.Document
	)
	resp, err := r.fetcher.Fetch(ctx, fetch.Request{
		FeedID:       f.ID,
		URL:          f.URL,
		ETag:         etag,
		LastModified: lastModified,
		Headers:      f.Headers,
		Timeout:      f.Timeout,
		Page:         res.Kind == KindListing,
		Consume: func(in io.Reader) error {
			// The fetcher hands the body decompressed, a .gz file too.
			br, release := buffered(in)
			defer release()
			var err error
			head, _ := br.Peek(4 << 10)
			if res.Kind == KindFeed && sitemap.Sniff(head) {
				res.Kind = KindSitemap
				doc, err = sitemap.Decode(br, sitemap.Options{Since: since})
				if err != nil {
					return fmt.Errorf("%w: %w", parse.ErrMalformed, err)
				}
				return nil
			}
			body, err = io.ReadAll(br)
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	res.Response, res.Bytes, res.URL = resp, resp.BodyBytes, f.URL
	if resp.FinalURL != "" {
		res.URL = resp.FinalURL
	}
	if resp.NotModified {
		return res, nil
	}
	switch res.Kind {
	case KindSitemap:
		return r.sitemap(ctx, f, res, doc, since)
	case KindListing:
		return r.listing(f, res, body, resp.ContentType, now)
	}
	res.Feed, err = parse.Parse(body, resp.ContentType, res.URL)
	if errors.Is(err, parse.ErrNotAFeed) {
		return nil, &PageError{Err: err, Page: body, ContentType: resp.ContentType, URL: res.URL}
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// PageError is Read's error when the document it fetched is neither a
// feed nor a sitemap (it wraps parse.ErrNotAFeed): it keeps the document,
// for whoever looks there for the feeds a page names.
type PageError struct {
	Err  error
	Page []byte
	// ContentType and URL are the page's, after redirects.
	ContentType, URL string
}

func (e *PageError) Error() string { return e.Err.Error() }
func (e *PageError) Unwrap() error { return e.Err }

// readers are the buffers documents are read through, kept from one fetch
// to the next: a cycle reads thousands of small documents, and a new
// buffer of 64 KiB for each (and one of 32 KiB to look for gzip's magic
// bytes) made most of what reading them allocated.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// buffered returns a pooled buffered reader over r, and the function that
// gives it back once nothing reads from it.
func buffered(r io.Reader) (*bufio.Reader, func()) {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return br, func() {
		br.Reset(nil)
		readers.Put(br)
	}
}

// sitemap turns a sitemap into the result, after reading the sitemaps of
// an index.
func (r *Reader) sitemap(ctx context.Context, f config.Feed, res *Result, doc *sitemap.Document, since time.Time) (*Result, error) {
	log := r.log.With("feed", f.ID)
	if doc.Cut != "" {
		log.Warn("sitemap cut", "reason", doc.Cut, "entries", len(doc.Entries))
	}
	if doc.Index {
		var err error
		doc, err = sitemap.Follow(ctx, res.URL, doc, func(ctx context.Context, u string, consume func(io.Reader) error) error {
			resp, err := r.fetcher.Fetch(ctx, fetch.Request{
				FeedID:  f.ID,
				URL:     u,
				Headers: sameHostHeaders(f, u),
				Timeout: f.Timeout,
				Consume: consume,
			})
			if resp != nil {
				res.Bytes += resp.BodyBytes
			}
			return err
		}, sitemap.Options{Since: since}, log)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, sitemap.ErrNotSitemap) {
				return nil, fmt.Errorf("%w: %w", parse.ErrNotAFeed, err)
			}
			return nil, err
		}
	}
	res.Feed = doc.Feed()
	res.TooOld = doc.TooOld
	res.Cut = doc.Cut
	if doc.Undated > 0 || doc.Invalid > 0 {
		log.Info("sitemap entries left out", "undated", doc.Undated, "invalid_url", doc.Invalid)
	}
	log.Debug("sitemap read", "entries", doc.Seen, "kept", len(doc.Entries), "too_old", doc.TooOld)
	return res, nil
}

// listing reads a listing page with the feed's selectors. A selector that
// matches nothing is a warning, every time: the page changed, and the
// feed's items will be missing or poorer until the selectors follow.
func (r *Reader) listing(f config.Feed, res *Result, body []byte, contentType string, now time.Time) (*Result, error) {
	page, rep, err := listing.Parse(body, contentType, res.URL, *f.HTML, now)
	if err != nil {
		return nil, err
	}
	res.Feed, res.Missed = page, rep.Missed
	for _, key := range rep.Missed {
		sel := ""
		for _, kv := range f.HTML.Selectors() {
			if kv[0] == key {
				sel = kv[1]
			}
		}
		r.log.Warn("listing page: a selector matched nothing", "feed", f.ID, "selector", key, "css", sel, "items", rep.Items)
	}
	if rep.NoLink > 0 {
		r.log.Info("listing page: stories without a link left out", "feed", f.ID, "count", rep.NoLink)
	}
	r.log.Debug("listing page read", "feed", f.ID, "matched", rep.Items, "items", len(page.Items), "charset", rep.Charset)
	return res, nil
}

// sameHostHeaders are the feed's headers (credentials, often) for a URL on
// the feed's own host, and none for another.
func sameHostHeaders(f config.Feed, u string) map[string]string {
	if hostOf(u) != "" && strings.EqualFold(hostOf(u), hostOf(f.URL)) {
		return f.Headers
	}
	return nil
}

// hostOf is the host name of a URL, "" if it has none.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// Package discover finds the feed of a site from an address a user gives:
// the address itself when it is a feed or a sitemap, else the feeds its
// page links to, the news sitemaps its robots.txt names, and the usual
// paths of feeds.
package discover

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/parse"
	"github.com/vigie-news/vigie/internal/source"
)

// UsualPaths are tried, on the site's origin, when the page names no feed
// and robots.txt no news sitemap.
var UsualPaths = []string{"/feed", "/rss.xml", "/atom.xml", "/feed.json"}

// ErrNotFound is a site on which no feed was found.
var ErrNotFound = errors.New("no feed found")

// Found is the feed found for an address.
type Found struct {
	// URL is the feed's address, to put in feeds.yaml.
	URL string
	// Kind is a feed or a sitemap.
	Kind source.Kind
	// How says where it was found.
	How string
	// Title is the feed's own title ("" if none).
	Title string
	// Items counts the items read (fresh ones, for a sitemap).
	Items int
	// Languages counts the items per language (declared, else detected).
	Languages map[string]int
	// Language is the language most items are in, when at least four in
	// five agree; "" otherwise.
	Language string
	// Tried lists the addresses tried before, and why each was not it.
	Tried []string
}

// Finder finds feeds with a fetcher; Detect, when set, names the language
// of an item that declares none ("und" when it cannot tell).
type Finder struct {
	Fetcher *fetch.Fetcher
	Sources *source.Reader
	Detect  func(title, text, declared string) string
	Now     func() time.Time
}

// Find looks for the feed of raw: raw itself when it is a feed or a
// sitemap (read once, which proves it parses); else, when it is a page,
// the feeds its <link rel="alternate"> name (RSS, Atom, JSON Feed), then
// the news sitemaps the site's robots.txt names (Sitemap: lines), then
// UsualPaths. The first that parses is the one. A fetch of raw that fails
// is the error; ErrNotFound when nothing parses.
func (f *Finder) Find(ctx context.Context, raw string) (*Found, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) address", raw)
	}
	if f.Now == nil {
		f.Now = time.Now
	}
	var tried []string
	// The address itself.
	found, err := f.try(ctx, u.String(), "the address is a feed")
	if err == nil {
		return &found.Found, nil
	}
	if !errors.Is(err, parse.ErrNotAFeed) && !errors.Is(err, parse.ErrMalformed) {
		return nil, err // the site did not answer: nothing more to try
	}
	tried = append(tried, u.String()+": "+short(err))
	// The feeds the page links to.
	page, final, err := f.page(ctx, u.String(), err)
	if err == nil {
		for _, alt := range Alternates(page, final) {
			found, err := f.try(ctx, alt, `the page's <link rel="alternate">`)
			if err == nil {
				found.Tried = tried
				return &found.Found, nil
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			tried = append(tried, alt+": "+short(err))
		}
	}
	origin := &url.URL{Scheme: u.Scheme, Host: u.Host}
	// The news sitemaps of robots.txt.
	for _, sm := range f.robotsSitemaps(ctx, origin) {
		found, err := f.try(ctx, sm, "a Sitemap: line of robots.txt")
		switch {
		case err == nil && found.Kind == source.KindSitemap && found.news:
			found.Tried = tried
			return &found.Found, nil
		case err == nil:
			err = errors.New("a sitemap, but not a news sitemap (no news:title, nothing published lately)")
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tried = append(tried, sm+": "+short(err))
	}
	// The usual places.
	for _, p := range UsualPaths {
		c := origin.ResolveReference(&url.URL{Path: p}).String()
		found, err := f.try(ctx, c, "the usual path "+p)
		if err == nil {
			found.Tried = tried
			return &found.Found, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tried = append(tried, c+": "+short(err))
	}
	return &Found{Tried: tried}, fmt.Errorf("%w at %s", ErrNotFound, u)
}

// try reads a candidate as a source and describes it.
func (f *Finder) try(ctx context.Context, candidate, how string) (*foundNews, error) {
	now := f.Now()
	feed := config.Feed{ID: "new", URL: candidate}
	res, err := f.Sources.Read(ctx, feed, "", "", now)
	if err != nil {
		return nil, err
	}
	if res.Feed == nil {
		return nil, errors.New("no document")
	}
	out := &foundNews{Found: Found{URL: candidate, Kind: res.Kind, How: how, Title: strings.TrimSpace(res.Feed.Title), Languages: map[string]int{}}}
	items := normalize.Items(feed.ID, res.Feed, res.URL, now)
	out.Items = len(items)
	for _, it := range items {
		l := it.Lang
		if l == "" && f.Detect != nil {
			l = f.Detect(it.Title, it.Text, res.Feed.Language)
		}
		if l != "" {
			out.Languages[l]++
		}
		if it.Title != "" {
			out.news = true
		}
	}
	if res.Kind == source.KindSitemap && out.Items == 0 {
		out.news = false
	}
	out.Language = agreed(out.Languages, out.Items)
	return out, nil
}

// foundNews is a Found, and whether a sitemap is a news sitemap: its
// entries have titles (news:title), and some are fresh.
type foundNews struct {
	Found
	news bool
}

// agreed is the language at least four items in five are in, or "".
func agreed(langs map[string]int, items int) string {
	if items == 0 {
		return ""
	}
	for l, n := range langs {
		if l != "und" && n*5 >= items*4 {
			return l
		}
	}
	return ""
}

// page returns the web page at u, as UTF-8, and its address after
// redirects: the one its read as a source kept in readErr (a
// source.PageError), else fetched.
func (f *Finder) page(ctx context.Context, u string, readErr error) ([]byte, string, error) {
	if pe, ok := errors.AsType[*source.PageError](readErr); ok {
		text, _ := parse.HTMLToUTF8(pe.Page, pe.ContentType)
		return text, pe.URL, nil
	}
	resp, err := f.Fetcher.Fetch(ctx, fetch.Request{FeedID: "new", URL: u, Page: true, MaxBodyBytes: 4 << 20})
	if err != nil {
		return nil, "", err
	}
	final := u
	if resp.FinalURL != "" {
		final = resp.FinalURL
	}
	text, _ := parse.HTMLToUTF8(resp.Body, resp.ContentType)
	return text, final, nil
}

// robotsSitemaps are the sitemaps robots.txt names, those whose address
// says news first.
func (f *Finder) robotsSitemaps(ctx context.Context, origin *url.URL) []string {
	robots := origin.ResolveReference(&url.URL{Path: "/robots.txt"}).String()
	resp, err := f.Fetcher.Fetch(ctx, fetch.Request{FeedID: "new", URL: robots, Page: true, MaxBodyBytes: 512 << 10})
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(resp.Body))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "sitemap") {
			continue
		}
		v = strings.TrimSpace(v)
		if s, err := url.Parse(v); err == nil && (s.Scheme == "http" || s.Scheme == "https") && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Contains(strings.ToLower(out[i]), "news") && !strings.Contains(strings.ToLower(out[j]), "news")
	})
	return out
}

// Alternates are the feeds a page names with <link rel="alternate"> of an
// RSS, Atom or JSON Feed type, resolved against the page (or its <base>),
// in the page's order.
func Alternates(page []byte, pageURL string) []string {
	base, _ := url.Parse(pageURL)
	var out []string
	parse.EachTag(page[:min(len(page), 1<<20)], func(tag string, attrs map[string]string) bool {
		if tag == "base" {
			if b, err := base.Parse(strings.TrimSpace(attrs["href"])); err == nil && base != nil {
				base = b
			}
			return true
		}
		rel := strings.Fields(strings.ToLower(attrs["rel"]))
		typ := strings.ToLower(strings.TrimSpace(attrs["type"]))
		if !slices.Contains(rel, "alternate") || attrs["href"] == "" {
			return true
		}
		if !(strings.Contains(typ, "rss") || strings.Contains(typ, "atom") || strings.Contains(typ, "feed+json") || typ == "application/json" && strings.Contains(strings.ToLower(attrs["title"]), "feed")) {
			return true
		}
		ref, err := url.Parse(strings.TrimSpace(attrs["href"]))
		if err != nil {
			return true
		}
		if base != nil {
			ref = base.ResolveReference(ref)
		}
		if ref.Scheme == "http" || ref.Scheme == "https" {
			out = append(out, ref.String())
		}
		return true
	}, "link", "base")
	return out
}

// short is the first line of an error, for the list of what was tried.
func short(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

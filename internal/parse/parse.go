// Package parse turns a fetched feed body into a Feed (gofeed's universal
// feed and what Vigie reads beyond it): it repairs the character encoding
// first, then parses RSS, Atom or JSON Feed.
package parse

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/json"
	"github.com/mmcdole/gofeed/rss"
)

// Errors that Parse wraps; test them with errors.Is.
var (
	// ErrNotAFeed is a body that is not RSS, Atom or JSON Feed: HTML, an
	// empty body, random bytes.
	ErrNotAFeed = errors.New("not a feed")
	// ErrMalformed is a feed that starts like one but cannot be read:
	// ill-formed JSON, or XML truncated or ill-formed before its first
	// whole item.
	ErrMalformed = errors.New("malformed feed")
)

// MaxInterval caps Feed.Interval, so that a feed that asks for a silly
// interval is slowed down but never forgotten.
const MaxInterval = 24 * time.Hour

// Feed is what Parse reads of a document: gofeed's universal feed, and what
// Vigie reads that gofeed's type does not carry.
type Feed struct {
	*gofeed.Feed
	// Interval is what the feed asks readers to wait between fetches: RSS
	// <ttl> (minutes) or the syndication module's
	// sy:updatePeriod/sy:updateFrequency, the larger if both, at most
	// MaxInterval; 0 if the feed says nothing usable.
	Interval time.Duration
	// SkipHours and SkipDays are RSS 2.0's <skipHours> <hour> and <skipDays>
	// <day> values, as the feed wrote them.
	SkipHours []string
	SkipDays  []string
	// Salvaged says why only part of the document could be read ("" when
	// the whole of it was): the body was cut short or broken, and Parse
	// kept the whole items before the break. The items after it are
	// missing, so a caller should neither keep the response's validators
	// nor honour the feed's own interval: the next fetch must read it all
	// again.
	Salvaged string
	// langs holds the language an item declares of itself beyond what
	// gofeed carries.
	langs map[*gofeed.Item]string
}

// ItemLanguage returns the language an item of f declares of itself beyond
// what gofeed carries (a JSON Feed 1.1 item's "language", a news sitemap's
// news:language), or "".
func (f *Feed) ItemLanguage(it *gofeed.Item) string {
	if f == nil || it == nil {
		return ""
	}
	return f.langs[it]
}

// SetItemLanguage records the language an item of f declares of itself,
// for ItemLanguage: the readers of other kinds of source (a news sitemap's
// news:language) use it as the JSON Feed reader does.
func (f *Feed) SetItemLanguage(it *gofeed.Item, lang string) {
	if it == nil || strings.TrimSpace(lang) == "" {
		return
	}
	if f.langs == nil {
		f.langs = make(map[*gofeed.Item]string)
	}
	f.langs[it] = strings.TrimSpace(lang)
}

// rssTranslator is gofeed's RSS translator that also keeps what gofeed's
// universal feed does not carry: <ttl>, <skipHours> and <skipDays>.
type rssTranslator struct {
	gofeed.DefaultRSSTranslator
	ttl                 string
	skipHours, skipDays []string
}

func (t *rssTranslator) Translate(feed interface{}) (*gofeed.Feed, error) {
	out, err := t.DefaultRSSTranslator.Translate(feed)
	if err != nil {
		return nil, err
	}
	r, _ := feed.(*rss.Feed)
	if r != nil {
		t.ttl, t.skipHours, t.skipDays = strings.TrimSpace(r.TTL), r.SkipHours, r.SkipDays
	}
	permalinkGUIDs(r, out)
	return out, nil
}

// jsonTranslator is gofeed's JSON Feed translator that also keeps each
// item's language.
type jsonTranslator struct {
	gofeed.DefaultJSONTranslator
	out *Feed
}

func (t *jsonTranslator) Translate(feed interface{}) (*gofeed.Feed, error) {
	out, err := t.DefaultJSONTranslator.Translate(feed)
	if err != nil {
		return nil, err
	}
	jf, ok := feed.(*json.Feed)
	if !ok || len(jf.Items) != len(out.Items) {
		return out, nil
	}
	for i, it := range jf.Items {
		if it == nil || out.Items[i] == nil {
			continue
		}
		escapePlainJSON(out.Items[i], it.ContentText, it.ContentHTML)
		t.out.SetItemLanguage(out.Items[i], it.Language)
	}
	return out, nil
}

// Parse repairs the encoding of body (see ToUTF8), parses it with gofeed and
// makes the feed's and items' links absolute, against the feed's own link and
// then feedURL. An XML feed cut short or broken keeps the whole items before
// the break (see Salvaged). It returns an error wrapping ErrNotAFeed for
// anything that is not a feed and ErrMalformed for a feed that cannot be
// read; it never panics.
func Parse(body []byte, contentType, feedURL string) (feed *Feed, err error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrNotAFeed)
	}
	text, _ := ToUTF8(body, contentType)
	if tooDeep(text, MaxDepth) {
		return nil, fmt.Errorf("%w: elements nested deeper than %d", ErrMalformed, MaxDepth)
	}
	defer func() {
		if r := recover(); r != nil {
			feed, err = nil, fmt.Errorf("%w: parser panic: %v", ErrMalformed, r)
		}
	}()
	out := &Feed{}
	p := gofeed.NewParser()
	// Vigie does not use item images; scanning every description for one
	// would parse it into an HTML tree (a tenth of a cold cycle's CPU).
	rt := &rssTranslator{DefaultRSSTranslator: gofeed.DefaultRSSTranslator{DisableContentImageScan: true}}
	p.RSSTranslator = rt
	p.JSONTranslator = &jsonTranslator{out: out}
	f, err := p.Parse(bytes.NewReader(text))
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		// gofeed looks for the root in the first 4 KiB only; long comments or
		// stylesheet instructions can push it further.
		if i := lateRoot(text); i > 0 {
			text = text[i:]
			f, err = p.Parse(bytes.NewReader(text))
		}
	}
	if err != nil && !errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		if s, why := salvageXML(p, text, err); s != nil {
			f, err, out.Salvaged = s, nil, why
		}
	}
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			msg := describe(text)
			if alt := alternate(text, feedURL); alt != "" {
				msg += "; it links to the feed " + alt
			}
			return nil, fmt.Errorf("%w: %s", ErrNotAFeed, msg)
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if f.FeedType == "atom" {
		if len(f.Items) == 0 {
			if doc := renamespaceAtom(text); doc != nil {
				if g, err := p.Parse(bytes.NewReader(doc)); err == nil && len(g.Items) > 0 {
					f, text = g, doc
				}
			}
		}
		fixAtomText(text, f)
	}
	resolveLinks(f, feedURL)
	out.Feed = f
	out.SkipHours, out.SkipDays = rt.skipHours, rt.skipDays
	out.Interval = minInterval(f, rt.ttl)
	return out, nil
}

// rootRe finds the start of a feed's root element.
var rootRe = regexp.MustCompile(`<(?:rss|feed|rdf:RDF|RDF)[\s>]`)

// lateRoot returns the offset of a feed root that only comments, processing
// instructions and a doctype precede, or -1.
func lateRoot(text []byte) int {
	loc := rootRe.FindIndex(head(text, 1<<20))
	if loc == nil {
		return -1
	}
	before := bytes.ToLower(text[:loc[0]])
	if bytes.Contains(before, []byte("<html")) || bytes.Contains(before, []byte("<body")) {
		return -1
	}
	// Drop comments, processing instructions and declarations; anything
	// left but white space means the root is not the document's.
	rest := prologItemRe.ReplaceAll(before, nil)
	if len(bytes.TrimSpace(rest)) > 0 {
		return -1
	}
	return loc[0]
}

// prologItemRe matches what may come before the root element.
var prologItemRe = regexp.MustCompile(`(?s)<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>`)

// describe names what a body that is not a feed looks like, for the error.
func describe(b []byte) string {
	s := strings.ToLower(string(head(bytes.TrimSpace(b), 512)))
	switch {
	case strings.Contains(s, "<html") || strings.Contains(s, "<!doctype html"):
		return "an HTML page"
	case strings.HasPrefix(s, "<"):
		return "XML without an rss, RDF or feed root"
	case strings.HasPrefix(s, "{") || strings.HasPrefix(s, "["):
		return "JSON that is not a JSON Feed"
	}
	return "neither XML nor JSON"
}

// alternate returns the first feed an HTML page links to with
// <link rel="alternate" type="application/rss+xml|atom+xml|feed+json">,
// resolved against pageURL; "" if none. It reads the first 256 KiB only.
func alternate(page []byte, pageURL string) string {
	return firstTag(head(page, 256<<10), "link", func(attr map[string]string) string {
		rel, typ, href := strings.ToLower(attr["rel"]), strings.ToLower(attr["type"]), attr["href"]
		if href == "" || !strings.Contains(rel, "alternate") ||
			!(strings.Contains(typ, "rss") || strings.Contains(typ, "atom") || strings.Contains(typ, "feed+json")) {
			return ""
		}
		base, _ := url.Parse(pageURL)
		return resolve(base, href)
	})
}

// resolveLinks makes the links of f absolute.
func resolveLinks(f *gofeed.Feed, feedURL string) {
	base, _ := url.Parse(feedURL)
	if base != nil && !base.IsAbs() {
		base = nil
	}
	f.Link = resolve(base, f.Link)
	f.FeedLink = resolve(base, f.FeedLink)
	for i := range f.Links {
		f.Links[i] = resolve(base, f.Links[i])
	}
	if f.Image != nil {
		f.Image.URL = resolve(base, f.Image.URL)
	}
	itemBase := base
	if l, err := url.Parse(f.Link); err == nil && l.IsAbs() && (l.Scheme == "http" || l.Scheme == "https") {
		itemBase = l
	}
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		it.Link = resolve(itemBase, strings.TrimSpace(it.Link))
		for i := range it.Links {
			it.Links[i] = resolve(itemBase, strings.TrimSpace(it.Links[i]))
		}
		for _, e := range it.Enclosures {
			if e != nil {
				e.URL = resolve(itemBase, e.URL)
			}
		}
		if it.Image != nil {
			it.Image.URL = resolve(itemBase, it.Image.URL)
		}
	}
}

// resolve returns ref resolved against base, or ref unchanged when it cannot.
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || base == nil {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil || u.IsAbs() {
		return ref
	}
	return base.ResolveReference(u).String()
}

// minInterval is the interval a feed asks readers to wait between
// fetches (see Feed.Interval), from its RSS ttl and its syndication module.
func minInterval(f *gofeed.Feed, ttl string) time.Duration {
	var d time.Duration
	if n, err := strconv.Atoi(ttl); err == nil && n > 0 {
		d = time.Duration(min(n, int(MaxInterval/time.Minute))) * time.Minute
	}
	if sy := syndication(f); sy > d {
		d = sy
	}
	return min(d, MaxInterval)
}

// syndication reads sy:updatePeriod and sy:updateFrequency (RSS 1.0
// syndication module): the period divided by the frequency.
func syndication(f *gofeed.Feed) time.Duration {
	sy := f.Extensions["sy"]
	if sy == nil {
		return 0
	}
	first := func(name string) string {
		if v := sy[name]; len(v) > 0 {
			return strings.TrimSpace(v[0].Value)
		}
		return ""
	}
	var period time.Duration
	switch strings.ToLower(first("updatePeriod")) {
	case "hourly":
		period = time.Hour
	case "daily", "":
		period = 24 * time.Hour
	case "weekly":
		period = 7 * 24 * time.Hour
	case "monthly":
		period = 30 * 24 * time.Hour
	case "yearly":
		period = 365 * 24 * time.Hour
	default:
		return 0
	}
	if first("updatePeriod") == "" && first("updateFrequency") == "" {
		return 0
	}
	freq := 1
	if v := first("updateFrequency"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return 0
		}
		freq = n
	}
	return period / time.Duration(freq)
}

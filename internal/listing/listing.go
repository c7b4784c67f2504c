// Package listing reads a web page that lists stories (a ministry's press
// releases, an agency's news page) as a source of items, with the CSS
// selectors of the feed's html: block.
package listing

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"github.com/mmcdole/gofeed"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/parse"
)

// MaxItems bounds the stories read from one page.
const MaxItems = 1000

// Report says how a page's selectors fared.
type Report struct {
	// Items is the number of elements the item selector matched.
	Items int
	// Missed lists the selectors (item, title, link, date, summary) that
	// matched nothing on the page: in no item, or, for item, at all.
	Missed []string
	// NoLink counts the items left out because they had no http(s) link,
	// Repeated those whose link an earlier item had.
	NoLink, Repeated int
	// Charset is the encoding the page was read in.
	Charset string
}

// selectors are a feed's html: block, compiled.
type selectors struct {
	item, title, link, date, summary goquery.Matcher
}

func compile(h config.HTML) (*selectors, error) {
	var s selectors
	// In the order of HTML.Selectors.
	out := []*goquery.Matcher{&s.item, &s.title, &s.link, &s.date, &s.summary}
	for i, kv := range h.Selectors() {
		key, sel := kv[0], kv[1]
		if sel == "" {
			continue
		}
		g, err := cascadia.Compile(sel)
		if err != nil {
			return nil, fmt.Errorf("html.%s: %q is not a valid CSS selector: %w", key, sel, err)
		}
		*out[i] = g
	}
	if s.item == nil || s.title == nil || s.link == nil {
		return nil, fmt.Errorf("html: item, title and link are required")
	}
	return &s, nil
}

// Parse reads the stories of a listing page, fetched from pageURL with
// contentType, with the selectors h: one item per element item matches,
// with the text of its title, the link of its link element resolved
// against the page (or its <base>), the date of its date element (its
// datetime attribute, else its text, in the page's language) and the text
// of its summary. An item without an http(s) link, or with the link of an
// earlier one, is left out. The page's charset is repaired as a feed's.
func Parse(body []byte, contentType, pageURL string, h config.HTML, now time.Time) (*parse.Feed, Report, error) {
	var rep Report
	sel, err := compile(h)
	if err != nil {
		return nil, rep, err
	}
	text, charset := parse.HTMLToUTF8(body, contentType)
	rep.Charset = charset
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(text))
	if err != nil {
		return nil, rep, fmt.Errorf("%w: %w", parse.ErrMalformed, err)
	}
	base, _ := url.Parse(pageURL)
	if href, ok := doc.Find("base[href]").First().Attr("href"); ok && base != nil {
		if b, err := base.Parse(strings.TrimSpace(href)); err == nil {
			base = b
		}
	}
	lang := pageLang(doc)
	f := &gofeed.Feed{
		FeedType: "listing",
		Title:    collapse(doc.Find("title").First().Text()),
		Link:     pageURL,
		Language: lang,
	}
	found := map[string]int{}
	seen := map[string]bool{}
	items := doc.FindMatcher(sel.item)
	rep.Items = items.Length()
	items.EachWithBreak(func(_ int, s *goquery.Selection) bool {
		if len(f.Items) >= MaxItems {
			return false
		}
		it := &gofeed.Item{}
		if t := s.FindMatcher(sel.title).First(); t.Length() > 0 {
			found["title"]++
			it.Title = html.EscapeString(collapse(t.Text()))
		}
		l := s.FindMatcher(sel.link).First()
		if l.Length() > 0 {
			found["link"]++
		}
		link := resolve(base, href(l, s))
		if link == "" {
			rep.NoLink++
			return true
		}
		if seen[link] {
			rep.Repeated++
			return true
		}
		seen[link] = true
		it.Link = link
		if it.Title == "" {
			it.Title = html.EscapeString(collapse(l.Text()))
		}
		if sel.date != nil {
			if d := s.FindMatcher(sel.date).First(); d.Length() > 0 {
				found["date"]++
				if t, ok := ParseDate(dateText(d), lang, now); ok {
					it.PublishedParsed = &t
					it.Published = t.Format(time.RFC3339)
				}
			}
		}
		if sel.summary != nil {
			if d := s.FindMatcher(sel.summary).First(); d.Length() > 0 {
				found["summary"]++
				it.Description = html.EscapeString(collapse(d.Text()))
			}
		}
		f.Items = append(f.Items, it)
		return true
	})
	if rep.Items == 0 {
		rep.Missed = append(rep.Missed, "item")
	} else {
		for _, kv := range h.Selectors()[1:] {
			if kv[1] != "" && found[kv[0]] == 0 {
				rep.Missed = append(rep.Missed, kv[0])
			}
		}
	}
	return &parse.Feed{Feed: f}, rep, nil
}

// href is the address an element links to: its href, else that of the
// first <a href> inside it, else that of the <a> it is in, within item.
func href(s, item *goquery.Selection) string {
	if s.Length() == 0 {
		return ""
	}
	if h, ok := s.Attr("href"); ok {
		return h
	}
	if h, ok := s.Find("a[href]").First().Attr("href"); ok {
		return h
	}
	for p := s.Parent(); p.Length() > 0; p = p.Parent() {
		if h, ok := p.Attr("href"); ok && goquery.NodeName(p) == "a" {
			return h
		}
		if p.IsSelection(item) {
			break
		}
	}
	return ""
}

// resolve makes ref absolute against base; "" unless it is http(s).
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// dateText is what a date element says: its datetime (a <time>), content
// (a <meta>) or title attribute, else its text.
func dateText(s *goquery.Selection) string {
	for _, a := range []string{"datetime", "content", "title"} {
		if v, ok := s.Attr(a); ok && strings.TrimSpace(v) != "" {
			if a != "title" || strings.ContainsAny(v, "0123456789") {
				return v
			}
		}
	}
	return s.Text()
}

// pageLang is the primary language of the page: <html lang>, else its
// Content-Language meta; "" when it says none.
func pageLang(doc *goquery.Document) string {
	l, _ := doc.Find("html").First().Attr("lang")
	if strings.TrimSpace(l) == "" {
		l, _ = doc.Find(`meta[http-equiv="content-language" i]`).First().Attr("content")
	}
	l = strings.ToLower(strings.TrimSpace(l))
	if i := strings.IndexAny(l, "-_,; "); i >= 0 {
		l = l[:i]
	}
	return l
}

// collapse trims s and turns runs of white space into one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

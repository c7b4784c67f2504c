// Package normalize turns a parsed feed into Vigie's items: plain text, a
// bounded summary, a canonical absolute link, a sane date and a stable id.
package normalize

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/vigie-news/vigie/internal/parse"
)

// Item is one normalized feed item.
type Item struct {
	// ID is stable across fetches: see Items.
	ID string
	// BaseID is, for an item whose key another item of the feed shares
	// (a repeated GUID), the ID it has when it is alone; "" otherwise.
	// Fingerprint (of its link and title) tells such items apart: an
	// item published alone under BaseID, then repeated, is the one whose
	// fingerprint was recorded with BaseID.
	BaseID, Fingerprint string
	// GUID is the item's own guid or Atom id, "" if none.
	GUID string
	// Title and Summary are plain text, bounded to about TitleRunes and
	// SummaryRunes runes; Summary is the start of Text.
	Title   string
	Summary string
	// Text is the full plain text of the content, or of the description.
	Text string
	// URL is the canonical absolute link, without tracking parameters; ""
	// when there is none or it is longer than MaxURLBytes.
	URL string
	// Published is in UTC, never zero, never after the fetch time.
	Published time.Time
	// Lang is the primary language subtag the item or feed declares,
	// lower case ("fr" for "fr-FR"), "" if none.
	Lang string
}

// FutureSlack is how far past the fetch time a date may be before it is
// clamped to the fetch time; clocks and time zones are often a little off.
const FutureSlack = time.Hour

// Items normalizes the items of f, in feed order. Links are made absolute
// against the item's own base (already applied by the parser for xml:base),
// then the feed's link, then feedURL. A missing date becomes fetched; a date
// more than FutureSlack after fetched becomes fetched.
//
// ID is the hex of the first 8 bytes of sha256(feedID + "\x00" + key), where
// key is the GUID, else the canonical link, else title and summary. Dates
// are not part of the key, so an item whose only change is its date keeps
// its id. When several items of one feed share a key, each of them adds its
// link and title to the key, then its rank among those still equal, so that
// ids stay distinct and do not depend on how many other items the feed has.
func Items(feedID string, f *parse.Feed, feedURL string, fetched time.Time) []Item {
	if f == nil || f.Feed == nil {
		return nil
	}
	fetched = fetched.UTC()
	base := baseURL(f.Link, feedURL)
	feedLang := primaryLang(f.Language)
	if feedLang == "" && f.DublinCoreExt != nil && len(f.DublinCoreExt.Language) > 0 {
		feedLang = primaryLang(f.DublinCoreExt.Language[0])
	}

	items := make([]Item, 0, len(f.Items))
	keys := make([]string, 0, len(f.Items))
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		content := it.Content
		if strings.TrimSpace(Text(content)) == "" {
			content = it.Description
		}
		text := Text(content)
		link := it.Link
		if strings.TrimSpace(link) == "" && len(it.Links) > 0 {
			link = it.Links[0]
		}
		n := Item{
			GUID:      strings.TrimSpace(it.GUID),
			Title:     bound(Text(it.Title), TitleRunes),
			Text:      text,
			Summary:   summarize(text),
			URL:       Canonical(resolve(base, link)),
			Published: date(it, fetched),
			Lang:      feedLang,
		}
		if it.DublinCoreExt != nil && len(it.DublinCoreExt.Language) > 0 {
			if l := primaryLang(it.DublinCoreExt.Language[0]); l != "" {
				n.Lang = l
			}
		}
		if l := primaryLang(f.ItemLanguage(it)); l != "" {
			n.Lang = l
		}
		if len(n.URL) > MaxURLBytes {
			n.URL = ""
		}
		key := n.GUID
		if key == "" {
			key = n.URL
		}
		if key == "" {
			key = n.Title + "\x00" + n.Summary
		}
		items = append(items, n)
		keys = append(keys, key)
	}
	plain := slices.Clone(keys)
	disambiguate(keys, items)
	for i := range items {
		items[i].ID = id(feedID, keys[i])
		items[i].Fingerprint = fingerprint(items[i].URL, items[i].Title)
		if keys[i] != plain[i] {
			items[i].BaseID = id(feedID, plain[i])
		}
	}
	return items
}

// fingerprint tells apart items that share a key, from what disambiguate
// adds to such keys first (link and title), hashed.
func fingerprint(url, title string) string {
	sum := sha256.Sum256([]byte(url + "\x00" + title))
	return hex.EncodeToString(sum[:8])
}

// disambiguate extends keys that occur more than once.
func disambiguate(keys []string, items []Item) {
	count := make(map[string]int, len(keys))
	for _, k := range keys {
		count[k]++
	}
	seen := make(map[string]int)
	for i, k := range keys {
		if count[k] < 2 {
			continue
		}
		keys[i] = k + "\x00" + items[i].URL + "\x00" + items[i].Title
	}
	count = make(map[string]int, len(keys))
	for _, k := range keys {
		count[k]++
	}
	for i, k := range keys {
		if count[k] < 2 {
			continue
		}
		seen[k]++
		keys[i] = k + "\x00" + strconv.Itoa(seen[k])
	}
}

func id(feedID, key string) string {
	sum := sha256.Sum256([]byte(feedID + "\x00" + key))
	return hex.EncodeToString(sum[:8])
}

// date returns the item's publication date (else its update date) in UTC,
// or fetched when it has none, one before 1990, or one in the future.
func date(it *gofeed.Item, fetched time.Time) time.Time {
	var t time.Time
	switch {
	case it.PublishedParsed != nil:
		t = *it.PublishedParsed
	case it.UpdatedParsed != nil:
		t = *it.UpdatedParsed
	}
	if t.IsZero() || t.Year() < 1990 || t.After(fetched.Add(FutureSlack)) {
		return fetched
	}
	return t.UTC()
}

// primaryLang returns the lower-case primary subtag of a language tag.
func primaryLang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if len(tag) < 2 || len(tag) > 3 {
		return ""
	}
	for _, r := range tag {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	return tag
}

// baseURL returns the base against which item links resolve: the feed's
// link when it is absolute (itself resolved against feedURL), else feedURL.
func baseURL(feedLink, feedURL string) *url.URL {
	fu, err := url.Parse(strings.TrimSpace(feedURL))
	if err != nil || !fu.IsAbs() {
		fu = nil
	}
	if l, err := url.Parse(strings.TrimSpace(feedLink)); err == nil && feedLink != "" {
		if fu != nil {
			l = fu.ResolveReference(l)
		}
		if l.IsAbs() && (l.Scheme == "http" || l.Scheme == "https") && l.Host != "" {
			return l
		}
	}
	return fu
}

func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	if base != nil && !u.IsAbs() {
		u = base.ResolveReference(u)
	}
	return u.String()
}

// trackingParams are query parameters that identify a campaign or a click,
// never the resource.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "gbraid": true, "wbraid": true,
	"msclkid": true, "yclid": true, "twclid": true, "igshid": true, "mc_cid": true,
	"mc_eid": true, "_hsenc": true, "_hsmi": true, "mkt_tok": true, "_ga": true,
	"_gl": true, "oly_anon_id": true, "oly_enc_id": true, "rb_clickid": true,
	"vero_id": true, "wickedid": true, "__s": true, "ref_src": true, "ref_url": true,
}

// Canonical returns raw with the scheme and host in lower case, default
// ports and tracking parameters (utm_*, fbclid, gclid, ...) dropped, and an
// empty fragment removed. A string that is not an absolute http(s) URL is
// returned trimmed and otherwise unchanged.
func Canonical(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if (u.Scheme == "http" && strings.HasSuffix(u.Host, ":80")) || (u.Scheme == "https" && strings.HasSuffix(u.Host, ":443")) {
		u.Host = u.Host[:strings.LastIndexByte(u.Host, ':')]
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		kept := parts[:0]
		for _, p := range parts {
			if p == "" {
				continue
			}
			name := p
			if i := strings.IndexByte(p, '='); i >= 0 {
				name = p[:i]
			}
			if n, err := url.QueryUnescape(name); err == nil {
				name = n
			}
			name = strings.ToLower(name)
			if strings.HasPrefix(name, "utm_") || trackingParams[name] {
				continue
			}
			kept = append(kept, p)
		}
		u.RawQuery = strings.Join(kept, "&")
	}
	u.ForceQuery = false
	if u.Fragment == "" {
		u.RawFragment = ""
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// Recent returns the items published at most maxAge before now, and how
// many older ones it left out. Items keeps their order; undated items carry
// their fetch time and are always recent.
func Recent(items []Item, maxAge time.Duration, now time.Time) (recent []Item, old int) {
	if maxAge <= 0 {
		return items, 0
	}
	cutoff := now.Add(-maxAge)
	recent = items[:0:0]
	for _, it := range items {
		if it.Published.Before(cutoff) {
			old++
			continue
		}
		recent = append(recent, it)
	}
	return recent, old
}

package sitemap

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// newsURL is one <url> of a news sitemap, published age before now.
func newsURL(loc, title, lang string, age time.Duration, keywords string) string {
	return fmt.Sprintf(`<url><loc>%s</loc><news:news><news:publication><news:name>Dépêches</news:name><news:language>%s</news:language></news:publication><news:publication_date>%s</news:publication_date><news:title>%s</news:title><news:keywords>%s</news:keywords></news:news><image:image><image:loc>https://img.example.org/%s.jpg</image:loc></image:image></url>`,
		loc, lang, now.Add(-age).Format(time.RFC3339), title, keywords, title)
}

func urlset(urls ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
` + strings.Join(urls, "\n") + "\n</urlset>\n"
}

func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	io.WriteString(w, s)
	w.Close()
	return b.String()
}

func TestDecode(t *testing.T) {
	fresh := newsURL("https://news.example.org/monde/onu-cyber-1", "L'ONU et la cybersécurité", "fr", 2*time.Hour, "ONU, cybersécurité, diplomatie")
	fresh2 := newsURL("https://news.example.org/monde/2", "Deuxième", "fr", 30*time.Hour, "")
	monthOld := newsURL("https://news.example.org/monde/old", "Ancien", "fr", 30*24*time.Hour, "")
	since := now.Add(-72 * time.Hour)
	tests := []struct {
		name     string
		doc      string
		o        Options
		wantURLs []string
		tooOld   int
		undated  int
		invalid  int
		cut      string // a prefix of Cut
		err      error
	}{
		{name: "news sitemap", doc: urlset(fresh, fresh2, monthOld), o: Options{Since: since},
			wantURLs: []string{"https://news.example.org/monde/onu-cyber-1", "https://news.example.org/monde/2"}, tooOld: 1},
		{name: "gzipped, known by its bytes", doc: gzipped(urlset(fresh, monthOld)), o: Options{Since: since},
			wantURLs: []string{"https://news.example.org/monde/onu-cyber-1"}, tooOld: 1},
		{name: "plain sitemap with lastmod", o: Options{Since: since},
			doc:      urlset(`<url><loc>https://e.org/a</loc><lastmod>`+now.Add(-time.Hour).Format("2006-01-02T15:04Z07:00")+`</lastmod></url>`, `<url><loc>https://e.org/b</loc><lastmod>2020-01-01</lastmod></url>`, `<url><loc>https://e.org/c</loc></url>`),
			wantURLs: []string{"https://e.org/a"}, tooOld: 1, undated: 1},
		{name: "no namespace, CDATA, entities", o: Options{Since: since},
			doc:      `<urlset><url><loc><![CDATA[https://e.org/a?x=1&y=2]]></loc><lastmod>` + now.Format("2006-01-02") + `</lastmod></url><url><loc>https://e.org/b?x=1&amp;y=2</loc><lastmod>` + now.Format("2006-01-02") + `</lastmod></url></urlset>`,
			wantURLs: []string{"https://e.org/a?x=1&y=2", "https://e.org/b?x=1&y=2"}},
		{name: "invalid urls", o: Options{Since: since},
			doc:      urlset(newsURL("javascript:alert(1)", "x", "fr", time.Hour, ""), newsURL("/relative", "y", "fr", time.Hour, ""), fresh),
			wantURLs: []string{"https://news.example.org/monde/onu-cyber-1"}, invalid: 2},
		{name: "cut short", doc: urlset(fresh, fresh2)[:len(urlset(fresh, fresh2))-40], o: Options{Since: since},
			wantURLs: []string{"https://news.example.org/monde/onu-cyber-1"}, cut: "cut short"},
		{name: "damaged", doc: strings.Replace(urlset(fresh, fresh2, fresh), "<url><loc>https://news.example.org/monde/2", "<url><<<loc>https://news.example.org/monde/2", 1), o: Options{Since: since},
			wantURLs: []string{"https://news.example.org/monde/onu-cyber-1"}, cut: "damaged at line"},
		{name: "larger than the limit", doc: urlset(fresh, fresh2, fresh2, fresh2), o: Options{Since: since, MaxBytes: int64(len(urlset(fresh))) + 200},
			wantURLs: []string{"https://news.example.org/monde/onu-cyber-1"}, cut: "larger than"},
		{name: "more entries than the limit", doc: urlset(fresh, fresh2, monthOld), o: Options{Since: since, MaxEntries: 2},
			wantURLs: []string{"https://news.example.org/monde/onu-cyber-1", "https://news.example.org/monde/2"}, cut: "more than 2 entries"},
		{name: "entity declarations are not expanded", o: Options{Since: since},
			doc:      `<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><urlset><url><loc>https://e.org/&b;</loc><lastmod>` + now.Format("2006-01-02") + `</lastmod></url></urlset>`,
			wantURLs: []string{"https://e.org/&b;"}},
		{name: "rss is not a sitemap", doc: `<rss version="2.0"><channel></channel></rss>`, err: ErrNotSitemap},
		{name: "html is not a sitemap", doc: `<!DOCTYPE html><html><body>x</body></html>`, err: ErrNotSitemap},
		{name: "empty", doc: ``, err: ErrNotSitemap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Decode(strings.NewReader(tt.doc), tt.o)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var urls []string
			for _, e := range doc.Entries {
				urls = append(urls, e.URL)
			}
			if strings.Join(urls, " ") != strings.Join(tt.wantURLs, " ") {
				t.Errorf("entries %q, want %q", urls, tt.wantURLs)
			}
			if doc.TooOld != tt.tooOld || doc.Undated != tt.undated || doc.Invalid != tt.invalid {
				t.Errorf("too old %d, undated %d, invalid %d; want %d, %d, %d", doc.TooOld, doc.Undated, doc.Invalid, tt.tooOld, tt.undated, tt.invalid)
			}
			if !strings.HasPrefix(doc.Cut, tt.cut) || (tt.cut == "") != (doc.Cut == "") {
				t.Errorf("cut %q, want %q", doc.Cut, tt.cut)
			}
		})
	}
}

// TestEntryFields: a news entry gives its title, date, language, keywords
// and publication, never its image's URL; Feed makes items of them.
func TestEntryFields(t *testing.T) {
	doc, err := Decode(strings.NewReader(urlset(newsURL("https://news.example.org/a", "Titre &amp; sous-titre", "fr", time.Hour, " ONU ,cyber, , normes "))), Options{})
	if err != nil || len(doc.Entries) != 1 {
		t.Fatalf("%v, %+v", err, doc)
	}
	e := doc.Entries[0]
	if e.URL != "https://news.example.org/a" || e.Title != "Titre & sous-titre" || e.Lang != "fr" || e.Publication != "Dépêches" ||
		!e.Published.Equal(now.Add(-time.Hour)) || strings.Join(e.Keywords, "|") != "ONU|cyber|normes" {
		t.Errorf("entry %+v", e)
	}
	f := doc.Feed()
	if f.Title != "Dépêches" || len(f.Items) != 1 {
		t.Fatalf("feed %+v", f)
	}
	it := f.Items[0]
	if it.Link != e.URL || it.Title != e.Title || !it.PublishedParsed.Equal(e.Published) || it.Description != "ONU, cyber, normes" || len(it.Categories) != 3 {
		t.Errorf("item %+v", it)
	}
}

func TestSniff(t *testing.T) {
	for doc, want := range map[string]bool{
		urlset(): true,
		"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- a comment --><sitemapindex xmlns='x'>": true,
		`<?xml version="1.0"?><?xml-stylesheet href="s.xsl"?><sm:urlset xmlns:sm="x">`:  true,
		`<rss version="2.0">`:                             false,
		`<feed xmlns="http://www.w3.org/2005/Atom">`:      false,
		`<!DOCTYPE html><html>`:                           false,
		`{"version": "https://jsonfeed.org/version/1.1"}`: false,
		``: false,
	} {
		if got := Sniff([]byte(doc)); got != want {
			t.Errorf("Sniff(%.50q) = %v, want %v", doc, got, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"2026-03-10":                "2026-03-10T00:00:00Z",
		"2026-03-10T12:30Z":         "2026-03-10T12:30:00Z",
		"2026-03-10T12:30+01:00":    "2026-03-10T11:30:00Z",
		"2026-03-10T12:30:05+01:00": "2026-03-10T11:30:05Z",
		"2026-03-10T12:30:05.123Z":  "2026-03-10T12:30:05.123Z",
		"2026-03-10T12:30:05+0100":  "2026-03-10T11:30:05Z",
		"2026-03-10T12:30:05":       "2026-03-10T12:30:05Z",
		" 2026-03-10 12:30:05 ":     "2026-03-10T12:30:05Z",
	} {
		got, ok := ParseDate(in)
		if !ok || got.Format(time.RFC3339Nano) != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %s", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "10/03/2026"} {
		if _, ok := ParseDate(bad); ok {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}

// index is a sitemap index listing the locs, each modified age ago.
func index(refs ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + strings.Join(refs, "") + `</sitemapindex>`
}

func ref(loc string, age time.Duration) string {
	return fmt.Sprintf("<sitemap><loc>%s</loc><lastmod>%s</lastmod></sitemap>", loc, now.Add(-age).Format(time.RFC3339))
}

// TestFollow reads an index one level down: itself, another host, a
// sitemap listed twice, an index inside it, a sitemap too old and one that
// fails are left out, the others' entries merged.
func TestFollow(t *testing.T) {
	const base = "https://news.example.org/sitemaps/"
	docs := map[string]string{
		base + "news.xml":    urlset(newsURL("https://news.example.org/a", "A", "fr", time.Hour, "")),
		base + "news-2.xml":  gzipped(urlset(newsURL("https://news.example.org/b", "B", "fr", 2*time.Hour, ""), newsURL("https://news.example.org/old", "Old", "fr", 40*24*time.Hour, ""))),
		base + "nested.xml":  index(ref(base+"news.xml", time.Hour)),
		base + "broken.xml":  "not xml at all",
		base + "archive.xml": urlset(newsURL("https://news.example.org/z", "Z", "fr", 400*24*time.Hour, "")),
	}
	var fetched []string
	fetch := func(ctx context.Context, u string, consume func(io.Reader) error) error {
		fetched = append(fetched, strings.TrimPrefix(u, base))
		d, ok := docs[u]
		if !ok {
			return errors.New("404")
		}
		return consume(strings.NewReader(d))
	}
	idxURL := base + "index.xml"
	idx, err := Decode(strings.NewReader(index(
		ref(idxURL, time.Minute),
		ref(base+"news.xml", time.Hour),
		ref(base+"news.xml#again", time.Hour),
		ref("https://elsewhere.example.net/news.xml", time.Hour),
		ref(base+"news-2.xml", 2*time.Hour),
		ref(base+"nested.xml", 3*time.Hour),
		ref(base+"broken.xml", 4*time.Hour),
		ref(base+"missing.xml", 5*time.Hour),
		ref(base+"archive.xml", 400*24*time.Hour),
	)), Options{Since: now.Add(-72 * time.Hour)})
	if err != nil || !idx.Index || len(idx.Sitemaps) != 8 || idx.TooOld != 1 {
		t.Fatalf("index: %v, %+v", err, idx)
	}
	var logs strings.Builder
	doc, err := Follow(context.Background(), idxURL, idx, fetch, Options{Since: now.Add(-72 * time.Hour)}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, e := range doc.Entries {
		urls = append(urls, e.URL)
	}
	if strings.Join(urls, " ") != "https://news.example.org/a https://news.example.org/b" {
		t.Errorf("entries %q, want a and b", urls)
	}
	if strings.Join(fetched, " ") != "news.xml news-2.xml nested.xml broken.xml missing.xml" {
		t.Errorf("fetched %q", fetched)
	}
	if doc.TooOld != 2 {
		t.Errorf("too old = %d, want 2 (a sitemap of the index, an entry of news-2)", doc.TooOld)
	}
	for _, want := range []string{"sitemap index lists itself", "another host", "inside a sitemap index", "sitemap of an index not read"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no log line says %q:\n%s", want, logs.String())
		}
	}

	// An index that lists only itself, or sitemaps that all fail: an error.
	for name, refs := range map[string]string{
		"only itself": ref(idxURL, time.Minute),
		"all failing": ref(base+"missing.xml", time.Minute) + ref(base+"broken.xml", time.Minute),
	} {
		idx, _ := Decode(strings.NewReader(index(refs)), Options{})
		doc, err := Follow(context.Background(), idxURL, idx, fetch, Options{}, nil)
		if name == "only itself" {
			if err != nil || len(doc.Entries) != 0 {
				t.Errorf("%s: %v, %d entries; want none and no error", name, err, len(doc.Entries))
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestFollowKeepsToMaxSitemaps: the most recent sitemaps are read.
func TestFollowKeepsToMaxSitemaps(t *testing.T) {
	var refs []string
	for i := range MaxSitemaps + 5 {
		refs = append(refs, ref(fmt.Sprintf("https://e.org/s-%02d.xml", i), time.Duration(MaxSitemaps+5-i)*time.Minute))
	}
	idx, _ := Decode(strings.NewReader(index(refs...)), Options{})
	n := 0
	_, err := Follow(context.Background(), "https://e.org/index.xml", idx, func(ctx context.Context, u string, consume func(io.Reader) error) error {
		n++
		if u < "https://e.org/s-05.xml" {
			t.Errorf("read %s, one of the oldest", u)
		}
		return consume(strings.NewReader(urlset()))
	}, Options{}, nil)
	if err != nil || n != MaxSitemaps {
		t.Errorf("%v; read %d sitemaps, want %d", err, n, MaxSitemaps)
	}
}

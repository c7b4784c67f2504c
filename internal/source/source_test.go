package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/parse"
)

// article is one story of a test news site.
type article struct {
	slug, title string
	age         time.Duration
}

// articles are real-looking stories of a French news agency, published
// over the last hours, and one a month old.
var articles = []article{
	{"monde/2026/03/10/cybersecurite-l-onu-adopte-le-rapport-du-groupe-de-travail", "Cybersécurité : l'ONU adopte le rapport du groupe de travail à composition non limitée", 2 * time.Hour},
	{"monde/2026/03/10/le-vietnam-et-le-japon-signent-un-memorandum-sur-la-cybersecurite", "Le Vietnam et le Japon signent un mémorandum sur la cybersécurité", 5 * time.Hour},
	{"economie/2026/03/09/la-bourse-de-paris-termine-en-hausse", "La Bourse de Paris termine en hausse", 26 * time.Hour},
	{"monde/2026/02/08/archives-la-convention-de-budapest", "Archives : la Convention de Budapest a vingt ans", 30 * 24 * time.Hour},
}

func newsSitemap(base string, arts []article) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
`)
	for _, a := range arts {
		fmt.Fprintf(&b, `  <url>
    <loc>%s/%s</loc>
    <news:news>
      <news:publication><news:name>Agence d'essai</news:name><news:language>fr</news:language></news:publication>
      <news:publication_date>%s</news:publication_date>
      <news:title>%s</news:title>
      <news:keywords>Monde, Cybersécurité</news:keywords>
    </news:news>
  </url>
`, base, a.slug, time.Now().Add(-a.age).Format(time.RFC3339), strings.ReplaceAll(a.title, "&", "&amp;"))
	}
	b.WriteString("</urlset>\n")
	return b.String()
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	io.WriteString(w, s)
	w.Close()
	return b.Bytes()
}

// site serves documents by path and counts requests.
type site struct {
	*httptest.Server
	mu   sync.Mutex
	docs map[string]http.HandlerFunc
	hits map[string]int
}

func newSite(t *testing.T) *site {
	s := &site{docs: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		h := s.docs[r.URL.Path]
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) serve(path, contentType string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[path] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}
}

func (s *site) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[path] = h
}

func newReader(logs io.Writer) *Reader {
	log := slog.New(slog.NewTextHandler(logs, nil))
	return New(fetch.New(fetch.Options{HostGap: -1, Logger: log}), log)
}

func feedAt(url string) config.Feed { return config.Feed{ID: "agence", URL: url} }

// links reads a result as the pipeline does and returns its items' links
// (relative to base), after max_age.
func links(t *testing.T, f config.Feed, res *Result, base string) []string {
	t.Helper()
	now := time.Now()
	items, _ := normalize.Recent(normalize.Items(f.ID, res.Feed, res.URL, now), f.MaxAgeOf(res.Kind == KindSitemap), now)
	var out []string
	for _, it := range items {
		out = append(out, strings.TrimPrefix(it.URL, base+"/"))
	}
	return out
}

// TestNewsSitemap: a news sitemap, plain, gzipped (served as a file, known
// by its bytes) and behind a sitemap index, gives one item per fresh entry
// (72 hours by default) and none for the entry a month old.
func TestNewsSitemap(t *testing.T) {
	s := newSite(t)
	doc := newsSitemap(s.URL, articles)
	s.serve("/news-sitemap.xml", "application/xml", []byte(doc))
	s.serve("/news-sitemap.xml.gz", "application/x-gzip", gz(doc))
	s.serve("/sitemap-index.xml", "text/xml", []byte(fmt.Sprintf(`<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>%[1]s/sitemap-index.xml</loc></sitemap>
<sitemap><loc>%[1]s/news-sitemap.xml.gz</loc><lastmod>%[2]s</lastmod></sitemap>
</sitemapindex>`, s.URL, time.Now().Format(time.RFC3339))))
	want := []string{articles[0].slug, articles[1].slug, articles[2].slug}

	for _, path := range []string{"/news-sitemap.xml", "/news-sitemap.xml.gz", "/sitemap-index.xml"} {
		t.Run(path, func(t *testing.T) {
			var logs strings.Builder
			f := feedAt(s.URL + path)
			res, err := newReader(&logs).Read(context.Background(), f, "", "", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if res.Kind != KindSitemap {
				t.Errorf("kind %s, want sitemap", res.Kind)
			}
			got := links(t, f, res, s.URL)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("items %q, want the three fresh stories", got)
			}
			if res.TooOld != 1 {
				t.Errorf("too old = %d, want 1 (the story a month old)", res.TooOld)
			}
			it := res.Feed.Items[0]
			if it.Title != articles[0].title || res.Feed.ItemLanguage(it) != "fr" || res.Feed.Title != "Agence d'essai" {
				t.Errorf("first item: title %q, language %q, feed %q", it.Title, res.Feed.ItemLanguage(it), res.Feed.Title)
			}
			if path == "/sitemap-index.xml" && !strings.Contains(logs.String(), "sitemap index lists itself") {
				t.Errorf("the index's reference to itself was not logged:\n%s", logs.String())
			}
		})
	}

	// max_age set on the feed applies to its sitemap too.
	f := feedAt(s.URL + "/news-sitemap.xml")
	f.MaxAge = 40 * 24 * time.Hour
	res, err := newReader(io.Discard).Read(context.Background(), f, "", "", time.Now())
	if err != nil || len(res.Feed.Items) != 4 || res.TooOld != 0 {
		t.Errorf("max_age 40 days: %v, %d items, %d too old; want all 4", err, len(res.Feed.Items), res.TooOld)
	}
}

// TestSitemapBadInput: a sitemap index pointing at itself, a 50 MB
// sitemap (announced, or streamed without a length) and a damaged one are
// cut or refused with a clear log line; what came before is kept.
func TestSitemapBadInput(t *testing.T) {
	s := newSite(t)
	s.serve("/self.xml", "application/xml", []byte(`<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>`+s.URL+`/self.xml</loc></sitemap></sitemapindex>`))
	fresh := newsSitemap(s.URL, articles[:1])
	head := strings.TrimSuffix(fresh, "</urlset>\n")
	// Entries of 500 bytes: the 16 MiB cap comes before the 50,000 entries.
	filler := strings.Repeat(`<url><loc>`+s.URL+`/old/`+strings.Repeat("story-", 70)+`</loc><lastmod>2001-01-01</lastmod></url>`+"\n", 100)
	const size = 50 << 20
	big := func(w http.ResponseWriter, announce bool) {
		w.Header().Set("Content-Type", "application/xml")
		if announce {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		n, _ := io.WriteString(w, head)
		for n < size-len(filler) {
			k, err := io.WriteString(w, filler)
			if err != nil {
				return
			}
			n += k
		}
	}
	s.handle("/big-announced.xml", func(w http.ResponseWriter, r *http.Request) { big(w, true) })
	s.handle("/big-streamed.xml", func(w http.ResponseWriter, r *http.Request) { big(w, false) })
	s.serve("/damaged.xml", "application/xml", []byte(strings.Replace(newsSitemap(s.URL, articles[:2]), "<url>", "<url><<", 2)))

	t.Run("index pointing at itself", func(t *testing.T) {
		var logs strings.Builder
		res, err := newReader(&logs).Read(context.Background(), feedAt(s.URL+"/self.xml"), "", "", time.Now())
		if err != nil || len(res.Feed.Items) != 0 {
			t.Fatalf("%v, %+v; want no items and no error", err, res)
		}
		if !strings.Contains(logs.String(), "sitemap index lists itself: not followed") || s.hits["/self.xml"] != 1 {
			t.Errorf("read %d times; logs:\n%s", s.hits["/self.xml"], logs.String())
		}
	})
	t.Run("50 MB announced", func(t *testing.T) {
		_, err := newReader(io.Discard).Read(context.Background(), feedAt(s.URL+"/big-announced.xml"), "", "", time.Now())
		if !errors.Is(err, fetch.ErrTooLarge) {
			t.Errorf("err = %v, want a refusal as too large", err)
		}
	})
	t.Run("50 MB streamed", func(t *testing.T) {
		var logs strings.Builder
		res, err := newReader(&logs).Read(context.Background(), feedAt(s.URL+"/big-streamed.xml"), "", "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Feed.Items) != 1 || !strings.Contains(res.Cut, "more than 16777216 bytes") || res.Bytes != fetch.DefaultMaxBodyBytes {
			t.Errorf("%d items, cut %q, %d bytes read; want the fresh story, cut at 16 MiB", len(res.Feed.Items), res.Cut, res.Bytes)
		}
		if !strings.Contains(logs.String(), `msg="sitemap cut"`) {
			t.Errorf("no log line says the sitemap was cut:\n%s", logs.String())
		}
	})
	t.Run("damaged", func(t *testing.T) {
		res, err := newReader(io.Discard).Read(context.Background(), feedAt(s.URL+"/damaged.xml"), "", "", time.Now())
		if err != nil || len(res.Feed.Items) != 0 || !strings.HasPrefix(res.Cut, "damaged at line") {
			t.Errorf("%v; cut %q", err, res.Cut)
		}
	})
}

// TestFeedsStillFeeds: RSS and HTML go to the feed parser as before; a 304
// gives no document.
func TestFeedsStillFeeds(t *testing.T) {
	s := newSite(t)
	s.serve("/rss", "application/rss+xml", []byte(`<rss version="2.0"><channel><title>t</title><item><title>A</title><link>/a</link></item></channel></rss>`))
	s.serve("/page", "text/html", []byte(`<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head><body>x</body></html>`))
	s.handle("/cached", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		io.WriteString(w, newsSitemap(s.URL, articles[:1]))
	})
	r := newReader(io.Discard)
	res, err := r.Read(context.Background(), feedAt(s.URL+"/rss"), "", "", time.Now())
	if err != nil || res.Kind != KindFeed || len(res.Feed.Items) != 1 || res.Feed.Items[0].Link != s.URL+"/a" {
		t.Errorf("rss: %v %+v", err, res)
	}
	if _, err := r.Read(context.Background(), feedAt(s.URL+"/page"), "", "", time.Now()); !errors.Is(err, parse.ErrNotAFeed) || !strings.Contains(err.Error(), "links to the feed "+s.URL+"/rss") {
		t.Errorf("html page: %v", err)
	}
	res, err = r.Read(context.Background(), feedAt(s.URL+"/cached"), "", "", time.Now())
	if err != nil || res.Kind != KindSitemap || res.Response.ETag != `"v1"` {
		t.Fatalf("first read: %v %+v", err, res)
	}
	res, err = r.Read(context.Background(), feedAt(s.URL+"/cached"), `"v1"`, "", time.Now())
	if err != nil || !res.Response.NotModified || res.Feed != nil {
		t.Errorf("conditional read: %v %+v", err, res)
	}
}

// TestListingPage: a feed with an html: block is read as a listing page,
// with its stories only; a selector that matches nothing is logged as a
// warning and reported, never silent.
func TestListingPage(t *testing.T) {
	s := newSite(t)
	s.serve("/en/announcements", "text/html; charset=utf-8", []byte(`<!DOCTYPE html><html lang="en"><head><title>Announcements</title></head><body>
<nav><a href="/en">Home</a><a href="/en/news">News</a></nav>
<div class="story"><h3><a href="/en/announcements/details/icann-and-igf-2026">ICANN at the Internet Governance Forum</a></h3><time datetime="2026-03-09">9 March 2026</time><p class="standfirst">ICANN's delegation to the IGF.</p></div>
<div class="story"><h3><a href="/en/announcements/details/ga-2026">Governmental Advisory Committee meeting</a></h3><time>8 March 2026</time></div>
<aside class="most-read"><div class="story-like"><h3><a href="/en/blogs/popular">Most read</a></h3></div></aside>
<footer><a href="/privacy">Privacy</a></footer></body></html>`))
	f := feedAt(s.URL + "/en/announcements")
	f.HTML = &config.HTML{Item: "div.story", Title: "h3 a", Link: "h3 a", Date: "time", Summary: "p.standfirst"}
	var logs strings.Builder
	r := newReader(&logs)
	res, err := r.Read(context.Background(), f, "", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != KindListing || len(res.Feed.Items) != 2 || len(res.Missed) != 0 {
		t.Fatalf("kind %s, %d items, missed %v", res.Kind, len(res.Feed.Items), res.Missed)
	}
	if it := res.Feed.Items[0]; it.Link != s.URL+"/en/announcements/details/icann-and-igf-2026" || it.PublishedParsed == nil || it.PublishedParsed.Format("2006-01-02") != "2026-03-09" {
		t.Errorf("first item %+v", it)
	}
	if strings.Contains(logs.String(), "matched nothing") {
		t.Errorf("a warning with every selector matching:\n%s", logs.String())
	}

	f.HTML.Item = "li.announcement" // the site was redesigned
	res, err = r.Read(context.Background(), f, "", "", time.Now())
	if err != nil || len(res.Feed.Items) != 0 || strings.Join(res.Missed, ",") != "item" {
		t.Fatalf("%v: %d items, missed %v", err, len(res.Feed.Items), res.Missed)
	}
	if !strings.Contains(logs.String(), `msg="listing page: a selector matched nothing" feed=agence selector=item css=li.announcement`) {
		t.Errorf("no warning for the item selector:\n%s", logs.String())
	}
}

// TestReadsShareBuffers reads gzipped sitemaps and plain feeds at once,
// many times, through one Reader: the buffers kept from one read to the
// next never mix two documents.
func TestReadsShareBuffers(t *testing.T) {
	s := newSite(t)
	s.serve("/sitemap.xml.gz", "application/octet-stream", gz(newsSitemap("https://agence.example", articles)))
	for i := range 4 {
		s.serve(fmt.Sprintf("/rss%d", i), "application/rss+xml",
			[]byte(fmt.Sprintf(`<rss version="2.0"><channel><title>t%d</title><item><title>Titre %d</title><link>/a%d</link></item></channel></rss>`, i, i, i)))
	}
	r := newReader(io.Discard)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for n := range 25 {
				if (w+n)%2 == 0 {
					res, err := r.Read(context.Background(), feedAt(s.URL+"/sitemap.xml.gz"), "", "", time.Now())
					if err != nil || res.Kind != KindSitemap {
						t.Errorf("sitemap: %v %+v", err, res)
						return
					}
					if got := links(t, feedAt(s.URL+"/sitemap.xml.gz"), res, "https://agence.example"); len(got) != 3 {
						t.Errorf("sitemap: %d fresh entries, want 3: %v", len(got), got)
						return
					}
					continue
				}
				i := (w + n) % 4
				res, err := r.Read(context.Background(), feedAt(fmt.Sprintf("%s/rss%d", s.URL, i)), "", "", time.Now())
				if err != nil || res.Kind != KindFeed || len(res.Feed.Items) != 1 || res.Feed.Items[0].Title != fmt.Sprintf("Titre %d", i) {
					t.Errorf("rss%d: %v %+v", i, err, res)
					return
				}
			}
		})
	}
	wg.Wait()
}

package discover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/source"
)

// testSite is a site of fixed documents, which counts the requests for
// each path.
type testSite struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func (s *testSite) requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// site serves fixed documents by path; anything else is a 404.
func site(t *testing.T, docs map[string]string) *testSite {
	t.Helper()
	site := &testSite{hits: map[string]int{}}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site.mu.Lock()
		site.hits[r.URL.Path]++
		site.mu.Unlock()
		doc, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		doc = strings.ReplaceAll(doc, "{{base}}", srv.URL)
		switch {
		case strings.HasPrefix(doc, "<!DOCTYPE html"):
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		case strings.HasPrefix(doc, "<?xml"), strings.HasPrefix(doc, "<rss"):
			w.Header().Set("Content-Type", "application/xml")
		default:
			w.Header().Set("Content-Type", "text/plain")
		}
		io.WriteString(w, doc)
	}))
	t.Cleanup(srv.Close)
	site.Server = srv
	return site
}

func finder() *Finder {
	f := fetch.New(fetch.Options{HostGap: -1})
	return &Finder{Fetcher: f, Sources: source.New(f, nil)}
}

func rss(lang string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><rss version="2.0"><channel><title>Ministère — actualités</title><link>{{base}}/</link><language>%s</language>`, lang)
	for i := range n {
		fmt.Fprintf(&b, `<item><title>Communiqué %d</title><link>{{base}}/c/%d</link><pubDate>%s</pubDate></item>`, i, i, time.Now().Add(-time.Hour).Format(time.RFC1123Z))
	}
	return b.String() + `</channel></rss>`
}

func newsSitemap(n int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">`)
	for i := range n {
		fmt.Fprintf(&b, `<url><loc>{{base}}/world/story-%d</loc><news:news><news:publication><news:name>Wire</news:name><news:language>en</news:language></news:publication><news:publication_date>%s</news:publication_date><news:title>Story %d</news:title></news:news></url>`, i, time.Now().Add(-time.Hour).Format(time.RFC3339), i)
	}
	return b.String() + `</urlset>`
}

func TestFindAlternate(t *testing.T) {
	srv := site(t, map[string]string{
		"/":                   `<!DOCTYPE html><html lang="fr"><head><link rel="stylesheet" href="/s.css"><link rel="alternate" type="application/rss+xml" title="Actualités" href="/actualites/rss.xml"><link rel="alternate" hreflang="en" href="/en/"></head><body><h1>Ministère</h1></body></html>`,
		"/actualites/rss.xml": rss("fr-FR", 5),
	})
	found, err := finder().Find(context.Background(), srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if found.URL != srv.URL+"/actualites/rss.xml" || found.Kind != source.KindFeed || found.Items != 5 || found.Language != "fr" || found.Title != "Ministère — actualités" || !strings.Contains(found.How, "alternate") {
		t.Errorf("found %+v", found)
	}
	if n := srv.requests("/"); n != 1 {
		t.Errorf("the page was fetched %d times, want once", n)
	}
}

func TestFindRobotsNewsSitemap(t *testing.T) {
	srv := site(t, map[string]string{
		"/":                                `<!DOCTYPE html><html><head><title>Wire</title></head><body>News</body></html>`,
		"/robots.txt":                      "User-agent: *\nDisallow: /search\nSitemap: {{base}}/sitemap-pages.xml\nsitemap: {{base}}/arc/outboundfeeds/news-sitemap/?outputType=xml\n",
		"/sitemap-pages.xml":               `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{{base}}/about</loc><lastmod>2019-01-01</lastmod></url></urlset>`,
		"/arc/outboundfeeds/news-sitemap/": newsSitemap(3),
	})
	found, err := finder().Find(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if found.URL != srv.URL+"/arc/outboundfeeds/news-sitemap/?outputType=xml" || found.Kind != source.KindSitemap || found.Items != 3 || found.Language != "en" || found.Title != "Wire" {
		t.Errorf("found %+v", found)
	}
}

func TestFindUsualPath(t *testing.T) {
	srv := site(t, map[string]string{
		"/":         `<!DOCTYPE html><html><body>Blog</body></html>`,
		"/atom.xml": `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><entry><id>1</id><title>Post</title><link href="/p/1"/></entry></feed>`,
	})
	found, err := finder().Find(context.Background(), srv.URL+"/")
	if err != nil || found.URL != srv.URL+"/atom.xml" || found.How != "the usual path /atom.xml" || len(found.Tried) != 3 {
		t.Errorf("%v: %+v", err, found)
	}
}

func TestFindNothing(t *testing.T) {
	srv := site(t, map[string]string{
		"/": `<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/gone.xml"></head><body>Nothing here</body></html>`,
	})
	found, err := finder().Find(context.Background(), srv.URL+"/")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	// The page, its alternate, then the four usual paths.
	if len(found.Tried) != 6 {
		t.Errorf("tried %d addresses, want 6:\n%s", len(found.Tried), strings.Join(found.Tried, "\n"))
	}
	if _, err := finder().Find(context.Background(), srv.URL+"/missing"); err == nil || errors.Is(err, ErrNotFound) || !errors.Is(err, fetch.ErrHTTPStatus) {
		t.Errorf("a page that answers 404: %v, want the fetch's error", err)
	}
	if _, err := finder().Find(context.Background(), "ftp://example.org/"); err == nil {
		t.Error("an ftp address was taken")
	}
}

func TestAlternates(t *testing.T) {
	page := `<html><head><base href="https://cdn.example.org/fr/"><link rel="alternate" type="application/atom+xml" href="atom.xml"><link rel="Alternate Feed" type="application/feed+json" href="/feed.json"><link rel="alternate" type="text/html" href="/en/"><link rel="alternate" type="application/rss+xml" href="javascript:x"></head></html>`
	got := Alternates([]byte(page), "https://www.example.org/")
	if strings.Join(got, " ") != "https://cdn.example.org/fr/atom.xml https://cdn.example.org/feed.json" {
		t.Errorf("alternates %q", got)
	}
}

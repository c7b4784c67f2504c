package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/once"
)

// TestSitemapSeedsOnce serves the four seed articles as news pages behind a
// news sitemap (URL, title, date and language, no text), with an article a
// month old: vigie once reads each fresh page and the seeds alert on their
// text; the old article is not read at all.
func TestSitemapSeedsOnce(t *testing.T) {
	seeds := seedItems(t)
	if len(seeds) != 4 {
		t.Fatalf("found %d seed articles, want 4", len(seeds))
	}
	site := newPageSite(t, "User-agent: *\nAllow: /\n")
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">`)
	entry := func(path, title string, age time.Duration) {
		fmt.Fprintf(&b, `<url><loc>%s%s</loc><news:news><news:publication><news:name>Seeds</news:name><news:language>fr</news:language></news:publication><news:publication_date>%s</news:publication_date><news:title>%s</news:title></news:news></url>`,
			site.URL, path, time.Now().Add(-age).Format(time.RFC3339), html.EscapeString(title))
	}
	for i, s := range seeds {
		path := "/articles/" + s.guid
		site.serve(path, newsPage(s.title, s.body))
		entry(path, s.title, time.Duration(i+1)*time.Hour)
	}
	site.serve("/articles/old", newsPage("Un vieil article sur la cybersécurité à l'ONU", strings.Repeat("Les États membres des Nations unies ont débattu des normes de comportement responsable des États dans le cyberespace. ", 10)))
	entry("/articles/old", "Un vieil article sur la cybersécurité à l'ONU", 30*24*time.Hour)
	b.WriteString("</urlset>")
	sitemap := b.String()
	site.handle("/news-sitemap.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, sitemap)
	})

	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf("  - id: seeds-sitemap\n    url: %s/news-sitemap.xml\n", site.URL))
	var out strings.Builder
	if err := once.Run(context.Background(), cfg, once.Options{Logger: slog.New(slog.DiscardHandler)}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(seeds) {
		t.Fatalf("%d lines, want %d (the fresh entries):\n%s", len(lines), len(seeds), out.String())
	}
	titles := map[string]bool{}
	for _, s := range seeds {
		titles[s.title] = true
	}
	for _, l := range lines {
		var it once.Item
		if err := json.Unmarshal([]byte(l), &it); err != nil {
			t.Fatal(err)
		}
		if !titles[it.Title] {
			t.Errorf("item %q is not a seed", it.Title)
		}
		if it.TextSource != vigie.TextFromArticle || it.Lang != "fr" || !strings.HasPrefix(it.URL, site.URL+"/articles/") {
			t.Errorf("item %q: text from %q, lang %q, url %q; want its page's text in French", it.Title, it.TextSource, it.Lang, it.URL)
		}
		if len(it.Alerts) == 0 {
			t.Errorf("seed %q read through the sitemap raised no alert", it.Title)
		}
	}
	if n := site.counts()["/articles/old"]; n != 0 {
		t.Errorf("the page of the month-old entry was read %d times, want 0", n)
	}
}

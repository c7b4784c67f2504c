package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
)

// teaserItem is an item of a teaser feed: a few words and a link.
type teaserItem struct{ guid, title, teaser, link string }

// teaserFeed serves RSS documents of teaser items, one per path.
func teaserFeed(t testing.TB, feeds map[string][]teaserItem) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		items, ok := feeds[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Dépêches</title><link>http://news.test/</link><language>fr</language>`)
		for _, it := range items {
			fmt.Fprintf(&b, "<item><guid>%s</guid><title>%s</title><link>%s</link><description>%s</description><pubDate>%s</pubDate></item>",
				html.EscapeString(it.guid), html.EscapeString(it.title), html.EscapeString(it.link), html.EscapeString(it.teaser), time.Now().Add(-time.Hour).Format(time.RFC1123Z))
		}
		b.WriteString(`</channel></rss>`)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, b.String())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// clutter is what a news site puts around its articles; none of it may
// reach an item's text.
var clutter = []string{
	"Nous utilisons des cookies", "Tout accepter", "Rubriques", "Les plus lus",
	"Canicule : vigilance rouge", "Mentions légales", "Tous droits réservés",
	"dataLayer", "Chargement du lecteur",
}

// newsPage is an article page as a news site serves it: the article's
// paragraphs inside a header, menus, a cookie banner, a most-read sidebar,
// a footer and scripts.
func newsPage(title, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>%s - Dépêches</title>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({page: "article"});</script></head><body>
<div class="cookie-banner" role="dialog"><p>Nous utilisons des cookies pour mesurer l'audience et personnaliser les publicités que vous voyez.</p><button>Tout accepter</button></div>
<header><a href="/">Dépêches</a><nav><span>Rubriques</span><ul><li><a href="/monde">Monde</a></li><li><a href="/politique">Politique</a></li><li><a href="/economie">Économie</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<main><article><h1>%s</h1>`, html.EscapeString(title), html.EscapeString(title))
	for _, p := range strings.Split(body, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(p))
		}
	}
	b.WriteString(`</article><aside class="most-read"><h2>Les plus lus</h2><ol><li><a href="/a1">Canicule : vigilance rouge dans seize départements</a></li><li><a href="/a2">Le prix du carburant au plus haut</a></li><li><a href="/a3">Tour de France : victoire d'un échappé</a></li></ol></aside></main>
<footer><a href="/mentions">Mentions légales</a> <a href="/contact">Contact</a><p>© 2025 Dépêches. Tous droits réservés.</p></footer>
<script>console.log("Chargement du lecteur vidéo");</script></body></html>`)
	return b.String()
}

// pageSite serves article pages and a robots.txt, and counts requests.
type pageSite struct {
	*httptest.Server
	mu    sync.Mutex
	hits  map[string]int
	pages map[string]http.HandlerFunc
}

func newPageSite(t testing.TB, robots string) *pageSite {
	t.Helper()
	s := &pageSite{hits: map[string]int{}, pages: map[string]http.HandlerFunc{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		h := s.pages[r.URL.Path]
		s.mu.Unlock()
		switch {
		case r.URL.Path == "/robots.txt":
			io.WriteString(w, robots)
		case h != nil:
			h(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *pageSite) serve(path, page string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}
}

func (s *pageSite) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = h
}

func (s *pageSite) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.hits {
		out[k] = v
	}
	return out
}

// writeConfig writes a configuration with the feeds and no gap between
// requests to one host (the pages and feeds are all on 127.0.0.1), and
// loads it.
func writeConfig(t *testing.T, dir, feeds string) *config.Config {
	t.Helper()
	yaml := fmt.Sprintf("nats:\n  listen: 127.0.0.1:-1\ndata_dir: %s\nhttp:\n  listen: \"\"\nfetch:\n  host_gap: -1s\nfeeds:\n%s", dir, feeds)
	path := filepath.Join(dir, "feeds.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// firstWords is the start of a text, as a teaser feed gives it.
func firstWords(text string, n int) string {
	words := strings.Fields(text)
	return strings.Join(words[:min(n, len(words))], " ") + "…"
}

// itemsOf decodes the item payloads of the items stream, by feed and guid
// order of publication.
func itemsOf(t *testing.T, r *running) []vigie.Item {
	t.Helper()
	var out []vigie.Item
	for _, m := range r.storedMsgs(t, broker.ItemsStream) {
		var it vigie.Item
		if err := json.Unmarshal(m.Data, &it); err != nil {
			t.Fatal(err)
		}
		out = append(out, it)
	}
	return out
}

// articleCount reads vigie_article_fetches_total{result=...}.
func articleCount(t *testing.T, d *Daemon, result string) float64 {
	t.Helper()
	families, err := d.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "vigie_article_fetches_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if m.GetLabel()[0].GetValue() == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

// TestFullTextSeeds serves the four seed articles as news pages and as a
// teaser feed (their first words, a link to the page), once with the
// default fulltext mode and once with fulltext: never; and an item whose
// page robots.txt disallows. The seeds alert on their pages' text; never
// keeps the teasers; the disallowed item is published with its teaser;
// every page is read once, across a reload and a restart.
func TestFullTextSeeds(t *testing.T) {
	t.Parallel()
	seeds := seedItems(t)
	if len(seeds) != 4 {
		t.Fatalf("found %d seed articles, want 4", len(seeds))
	}
	site := newPageSite(t, "User-agent: *\nDisallow: /private/\n")
	var auto, never []teaserItem
	lastWords := map[string]string{} // guid -> a sentence near the end of the article
	for _, s := range seeds {
		path := "/articles/" + s.guid
		site.serve(path, newsPage(s.title, s.body))
		it := teaserItem{guid: s.guid, title: s.title, teaser: firstWords(s.body, 12), link: site.URL + path}
		auto, never = append(auto, it), append(never, it)
		var paras []string
		for _, p := range strings.Split(s.body, "\n") {
			if len(strings.Fields(p)) >= 12 {
				paras = append(paras, strings.Join(strings.Fields(p), " "))
			}
		}
		lastWords[s.guid] = firstWords(paras[len(paras)-1], 10)
		lastWords[s.guid] = strings.TrimSuffix(lastWords[s.guid], "…")
	}
	site.serve("/private/memo", newsPage("Note interne", strings.Repeat("Une note qui ne doit pas être lue par les robots. ", 20)))
	auto = append(auto, teaserItem{guid: "private-1", title: "Note interne sur la cybersécurité", teaser: "Une note…", link: site.URL + "/private/memo"})
	feeds := teaserFeed(t, map[string][]teaserItem{"/auto": auto, "/never": never})

	dir := t.TempDir()
	feedsYAML := fmt.Sprintf("  - id: teasers\n    url: %s/auto\n    language: fr\n  - id: teasers-never\n    url: %s/never\n    language: fr\n    fulltext: never\n", feeds.URL, feeds.URL)
	cfg := writeConfig(t, dir, feedsYAML)
	begin := time.Now()
	r := start(t, cfg)
	r.waitFetched(t, "teasers", begin)
	r.waitFetched(t, "teasers-never", begin)

	items := itemsOf(t, r)
	if len(items) != len(auto)+len(never) {
		t.Fatalf("%d items published, want %d: an item was lost", len(items), len(auto)+len(never))
	}
	alerts := alertsOf(t, r.storedMsgs(t, broker.AlertsStream))
	for _, it := range items {
		guid := strings.TrimPrefix(it.URL, site.URL+"/articles/")
		switch {
		case it.Feed.ID == "teasers-never":
			if it.TextSource != vigie.TextFromFeed || it.Text != firstWords(seedBody(seeds, guid), 12) {
				t.Errorf("fulltext never: item %q has text %.60q from %q, want its teaser", it.Title, it.Text, it.TextSource)
			}
		case strings.HasSuffix(it.URL, "/private/memo"):
			if it.TextSource != vigie.TextFromFeed || it.Text != "Une note…" {
				t.Errorf("disallowed page: text %.60q from %q, want the teaser", it.Text, it.TextSource)
			}
		default:
			if it.TextSource != vigie.TextFromArticle {
				t.Errorf("seed %q: text from %q, want article", it.Title, it.TextSource)
			}
			if !strings.Contains(it.Text, lastWords[guid]) {
				t.Errorf("seed %q: text lacks the article's end %q", it.Title, lastWords[guid])
			}
			for _, c := range clutter {
				if strings.Contains(it.Text, c) {
					t.Errorf("seed %q: clutter %q in the text", it.Title, c)
				}
			}
			a, ok := alerts[it.ID]
			if !ok {
				t.Errorf("seed %q read in full raised no alert", it.Title)
				continue
			}
			if a.Text != it.Text || a.TextSource != vigie.TextFromArticle {
				t.Errorf("seed %q: the alert carries other text than the item", it.Title)
			}
		}
	}
	if got := articleCount(t, r.d, "ok"); got != 4 {
		t.Errorf("article_fetches_total{result=ok} = %v, want 4", got)
	}
	if got := articleCount(t, r.d, "robots"); got != 1 {
		t.Errorf("article_fetches_total{result=robots} = %v, want 1", got)
	}
	checkReadOnce := func(when string) {
		t.Helper()
		hits := site.counts()
		for _, s := range seeds {
			if n := hits["/articles/"+s.guid]; n != 1 {
				t.Errorf("%s: page of %s read %d times, want once", when, s.guid, n)
			}
		}
		if n := hits["/private/memo"]; n != 0 {
			t.Errorf("%s: the disallowed page was read %d times", when, n)
		}
	}
	checkReadOnce("first fetch")

	// A reload that changes the feeds fetches them again: their items
	// are seen, their pages not read again.
	cfg = writeConfig(t, dir, strings.ReplaceAll(feedsYAML, "language: fr\n", "language: fr\n    title: Dépêches\n"))
	reloaded := time.Now()
	if err := r.d.Reload(); err != nil {
		t.Fatal(err)
	}
	r.waitFetched(t, "teasers", reloaded)
	r.waitFetched(t, "teasers-never", reloaded)
	checkReadOnce("after a reload")
	r.shutdown(t)

	restarted := time.Now()
	r = start(t, cfg)
	r.waitFetched(t, "teasers", restarted)
	r.waitFetched(t, "teasers-never", restarted)
	checkReadOnce("after a restart")
	if n := len(r.storedMsgs(t, broker.ItemsStream)); n != len(items) {
		t.Errorf("after a restart the item stream holds %d items, want %d", n, len(items))
	}
}

func seedBody(seeds []rssItem, guid string) string {
	for _, s := range seeds {
		if s.guid == guid {
			return s.body
		}
	}
	return ""
}

// TestFullTextBadInputNothingLost links a teaser feed's items to pages
// that must be refused or cut: each item is published with its teaser, and
// each refusal is counted.
func TestFullTextBadInputNothingLost(t *testing.T) {
	t.Parallel()
	site := newPageSite(t, "")
	site.handle("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := bytes.Repeat([]byte("<p>Une dépêche sans fin. </p>"), 4096)
		for sent := 0; sent < 50<<20; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	site.handle("/endless", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, "<p>encore</p>"); err != nil {
				return
			}
		}
	})
	site.handle("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	items := []teaserItem{
		{"huge", "Cybersécurité : une page de 50 Mo", "Une page énorme…", site.URL + "/huge"},
		{"endless", "Cybersécurité : une page sans fin", "Une page sans fin…", site.URL + "/endless"},
		{"loop", "Cybersécurité : une boucle de redirections", "Une boucle…", site.URL + "/loop"},
		{"file", "Cybersécurité : un lien vers un fichier", "Un fichier…", "file:///etc/passwd"},
	}
	feeds := teaserFeed(t, map[string][]teaserItem{"/rss": items})
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf("  - id: bad-pages\n    url: %s/rss\n", feeds.URL))
	begin := time.Now()
	r := start(t, cfg)
	r.waitFetched(t, "bad-pages", begin)

	published := map[string]vigie.Item{}
	for _, it := range itemsOf(t, r) {
		published[it.Title] = it
	}
	for _, want := range items {
		it, ok := published[want.title]
		if !ok {
			t.Errorf("item %q lost", want.title)
			continue
		}
		if it.Text != want.teaser || it.TextSource != vigie.TextFromFeed {
			t.Errorf("item %q: text %.60q from %q, want its teaser", want.title, it.Text, it.TextSource)
		}
	}
	for result, want := range map[string]float64{"too_large": 2, "too_many_redirects": 1, "invalid_url": 1, "ok": 0} {
		if got := articleCount(t, r.d, result); got != want {
			t.Errorf("article_fetches_total{result=%q} = %v, want %v", result, got, want)
		}
	}
}

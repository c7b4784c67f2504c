package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
)

// deskOPML is a reader's export: nested folders, a duplicate, titles in
// Arabic and Chinese, a javascript: and a file: URL.
const deskOPML = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Miniflux</title></head>
  <body>
    <outline text="Monde">
      <outline text="Asie">
        <outline text="新华社" title="新华社" type="rss" xmlUrl="https://www.news.cn/world/rss.xml"/>
        <outline text="VietnamPlus" type="rss" xmlUrl="https://fr.vietnamplus.vn/rss/home.rss"/>
      </outline>
      <outline text="سكاي نيوز عربية" type="rss" xmlUrl="https://www.skynewsarabia.com/rss/world.xml" language="ar"/>
      <outline text="Xinhua again" type="rss" xmlUrl="http://news.cn/world/rss.xml"/>
    </outline>
    <outline text="Pièges">
      <outline text="js" type="rss" xmlUrl="javascript:alert(1)"/>
      <outline text="local" type="rss" xmlUrl="file:///var/lib/feeds.xml"/>
    </outline>
  </body>
</opml>
`

const deskConfig = `# Desk Asie — kept by hand
feeds:
  - id: vna-fr   # VietnamPlus, French edition
    url: https://fr.vietnamplus.vn/rss/home.rss
    language: fr

# The rules
classifiers: [cyber-diplomacy]
`

func TestFeedsImport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feeds.yaml")
	os.WriteFile(cfgPath, []byte(deskConfig), 0o644)
	opml := writeFile(t, "desk.opml", deskOPML)

	// --dry-run says what would be added and writes nothing.
	code, out, errOut := vigie(t, "", "feeds", "import", opml, "--config", cfgPath, "--dry-run")
	if code != 0 || !strings.Contains(out, "would add (dry run: nothing written) 2 feeds") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	if data, _ := os.ReadFile(cfgPath); string(data) != deskConfig {
		t.Fatalf("the dry run wrote the file:\n%s", data)
	}

	code, out, errOut = vigie(t, "", "feeds", "import", "--config", cfgPath, opml)
	if code != 0 || !strings.Contains(out, "added 2 feeds") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"desk.opml:8: left out: already in " + cfgPath + " as vna-fr",
		"desk.opml:11: left out: the same feed as line 7",
		"desk.opml:14: left out: a javascript: URL",
		"desk.opml:15: left out: a file: URL",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	data, _ := os.ReadFile(cfgPath)
	if !strings.HasPrefix(string(data), "# Desk Asie — kept by hand\nfeeds:\n  - id: vna-fr   # VietnamPlus, French edition\n") || !strings.HasSuffix(string(data), "\n# The rules\nclassifiers: [cyber-diplomacy]\n") {
		t.Errorf("the file's comments did not survive:\n%s", data)
	}
	if code, out, errOut := vigie(t, "", "check", "--config", cfgPath); code != 0 {
		t.Fatalf("vigie check after import: exit %d\n%s%s\n%s", code, out, errOut, data)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range cfg.Feeds {
		got = append(got, f.ID+" "+f.Language+" "+f.Title)
	}
	if strings.Join(got, " | ") != "vna-fr fr  | news-cn-world  新华社 | skynewsarabia-com-rss ar سكاي نيوز عربية" {
		t.Errorf("feeds %q", got)
	}
}

// TestFeedsImportRefused: an OPML with a DOCTYPE, or that is not OPML,
// leaves the file byte for byte as it was, and exits 1.
func TestFeedsImportRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feeds.yaml")
	os.WriteFile(cfgPath, []byte(deskConfig), 0o644)
	for name, doc := range map[string]string{
		"bomb.opml":   `<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><opml version="2.0"><body><outline text="&b;" xmlUrl="https://e.org/rss"/></body></opml>`,
		"notopml.xml": `<rss version="2.0"><channel><title>x</title></channel></rss>`,
	} {
		code, _, errOut := vigie(t, "", "feeds", "import", "--config", cfgPath, writeFile(t, name, doc))
		if code != 1 || !strings.Contains(errOut, "OPML refused") {
			t.Errorf("%s: exit %d, %s", name, code, errOut)
		}
		if data, _ := os.ReadFile(cfgPath); string(data) != deskConfig {
			t.Errorf("%s: the file changed:\n%s", name, data)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want feeds.yaml alone", len(entries))
	}
}

// TestFeedsExportImport: vigie feeds export, then vigie feeds import into
// a file that does not exist yet, gives the same feeds.
func TestFeedsExportImport(t *testing.T) {
	t.Parallel()
	src := writeFile(t, "feeds.yaml", `feeds:
  - id: icann-news
    url: https://www.icann.org/en/announcements/rss
    title: ICANN — announcements
    language: en
  - id: xinhua-zh
    url: https://www.news.cn/world/rss.xml?a=1&b=2
    title: 新华社 国际
  - id: icann-page
    url: https://www.icann.org/en/announcements
    html: {item: div.story, title: h3, link: h3 a}
`)
	code, opml, errOut := vigie(t, "", "feeds", "export", "--config", src)
	if code != 0 || !strings.Contains(opml, `<opml version="2.0"`) || !strings.Contains(errOut, "icann-page is a listing page") {
		t.Fatalf("export: exit %d\n%s%s", code, opml, errOut)
	}
	dst := filepath.Join(t.TempDir(), "new.yaml")
	code, out, errOut := vigie(t, "", "feeds", "import", "--config", dst, writeFile(t, "export.opml", opml))
	if code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	a, _ := config.Load(src)
	b, err := config.Load(dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Feeds) != 2 {
		t.Fatalf("%d feeds back, want 2", len(b.Feeds))
	}
	for i, f := range b.Feeds {
		if w := a.Feeds[i]; f.ID != w.ID || f.URL != w.URL || f.Title != w.Title || f.Language != w.Language {
			t.Errorf("feed %d came back as %+v, want %+v", i, f, w)
		}
	}
}

// addSite serves the three cases of vigie feeds add: a page with a
// <link rel="alternate">, a site whose only clue is robots.txt, and a page
// with nothing.
func addSite(t *testing.T) *httptest.Server {
	t.Helper()
	item := func(i int) string {
		return fmt.Sprintf(`<item><title>Communiqué de presse n°%d sur la coopération internationale</title><link>/c/%d</link><description>Le ministère des affaires étrangères annonce une nouvelle étape de la coopération avec ses partenaires.</description><pubDate>%s</pubDate></item>`, i, i, time.Now().Add(-time.Hour).Format(time.RFC1123Z))
	}
	var rss strings.Builder
	rss.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Diplomatie — communiqués</title><link>/</link>`)
	for i := range 5 {
		rss.WriteString(item(i))
	}
	rss.WriteString(`</channel></rss>`)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Host + r.URL.Path {
		case srv.Listener.Addr().String() + "/ministere/":
			io.WriteString(w, `<!DOCTYPE html><html lang="fr"><head><link rel="alternate" type="application/rss+xml" href="/ministere/rss.xml"></head><body>Accueil</body></html>`)
		case srv.Listener.Addr().String() + "/ministere/rss.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, rss.String())
		case srv.Listener.Addr().String() + "/robots.txt":
			fmt.Fprintf(w, "User-agent: *\nAllow: /\nSitemap: %s/news-sitemap.xml\n", srv.URL)
		case srv.Listener.Addr().String() + "/news-sitemap.xml":
			fmt.Fprintf(w, `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>%s/world/a</loc><news:news><news:publication><news:name>Wire</news:name><news:language>en</news:language></news:publication><news:publication_date>%s</news:publication_date><news:title>UN talks on cyber norms</news:title></news:news></url></urlset>`,
				srv.URL, time.Now().Add(-time.Hour).Format(time.RFC3339))
		case srv.Listener.Addr().String() + "/":
			io.WriteString(w, `<!DOCTYPE html><html><body>Wire</body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFeedsAdd(t *testing.T) {
	t.Parallel()
	srv := addSite(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feeds.yaml")
	start := "# my feeds\nfetch:\n  host_gap: -1s   # a local test site\nfeeds:\n  - id: first\n    url: " + srv.URL + "/first.xml\n"
	os.WriteFile(cfgPath, []byte(start), 0o644)
	unchanged := func(what string) {
		t.Helper()
		if data, _ := os.ReadFile(cfgPath); string(data) != start {
			t.Errorf("%s: the file changed:\n%s", what, data)
		}
	}

	t.Run("a page with a link rel=alternate", func(t *testing.T) {
		code, out, errOut := vigie(t, "", "feeds", "add", srv.URL+"/ministere/", "--config", cfgPath, "--dry-run")
		if code != 0 || !strings.Contains(out, "found "+srv.URL+"/ministere/rss.xml (the page's <link rel=\"alternate\">)") || !strings.Contains(out, "items: 5") || !strings.Contains(out, "languages seen: fr 5") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		unchanged("dry run")
		code, out, errOut = vigie(t, "", "feeds", "add", "--config", cfgPath, srv.URL+"/ministere/")
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		cfg, err := config.Load(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		if f := cfg.Feeds[1]; f.ID != "diplomatie-communiques" || f.URL != srv.URL+"/ministere/rss.xml" || f.Language != "fr" || f.Title != "Diplomatie — communiqués" {
			t.Errorf("added %+v", f)
		}
		// The same site again: already there.
		code, _, errOut = vigie(t, "", "feeds", "add", "--config", cfgPath, srv.URL+"/ministere/")
		if code != 1 || !strings.Contains(errOut, "already in") {
			t.Errorf("added twice: exit %d %s", code, errOut)
		}
	})
	t.Run("a site whose only clue is robots.txt", func(t *testing.T) {
		code, out, errOut := vigie(t, "", "feeds", "add", "--config", cfgPath, "--id", "wire", srv.URL+"/")
		if code != 0 || !strings.Contains(out, "kind: sitemap") || !strings.Contains(out, "a Sitemap: line of robots.txt") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		cfg, _ := config.Load(cfgPath)
		if f := cfg.Feeds[2]; f.ID != "wire" || f.URL != srv.URL+"/news-sitemap.xml" || f.Language != "en" {
			t.Errorf("added %+v", f)
		}
		if code, out, errOut := vigie(t, "", "check", "--config", cfgPath); code != 0 {
			t.Errorf("vigie check: exit %d\n%s%s", code, out, errOut)
		}
	})
	t.Run("a page with nothing", func(t *testing.T) {
		before, _ := os.ReadFile(cfgPath)
		// Another site: no alternate, no robots.txt, nothing at the usual paths.
		bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/nothing/" {
				http.NotFound(w, r)
				return
			}
			io.WriteString(w, `<!DOCTYPE html><html><body>Nothing to read here</body></html>`)
		}))
		defer bare.Close()
		code, out, errOut := vigie(t, "", "feeds", "add", "--config", cfgPath, bare.URL+"/nothing/")
		if code != 1 || !strings.Contains(errOut, "no feed found") || !strings.Contains(errOut, "tried "+bare.URL+"/feed.json") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
		code, _, errOut = vigie(t, "", "feeds", "add", "--config", cfgPath, srv.URL+"/gone/")
		if code != 1 || !strings.Contains(errOut, "http status 404") {
			t.Errorf("a fetch that fails: exit %d %s", code, errOut)
		}
		if after, _ := os.ReadFile(cfgPath); string(after) != string(before) {
			t.Errorf("the file changed:\n%s", after)
		}
	})
}

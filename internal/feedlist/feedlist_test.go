package feedlist

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
)

// messyOPML is an export as readers write them: nested folders, the same
// feed twice (once over http with www.), titles in Arabic and Chinese, a
// javascript: and a file: URL, an entity, a folder left empty and an
// outline with no feed, and a feed already in the configuration.
const messyOPML = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Feedly export</title></head>
  <body>
    <outline text="Diplomatie" title="Diplomatie">
      <outline type="rss" text="France Diplomatie &amp; Actualités" title="France Diplomatie &amp; Actualités" xmlUrl="https://www.diplomatie.gouv.fr/spip.php?page=backend-fd" htmlUrl="https://www.diplomatie.gouv.fr/" language="fr-FR"/>
      <outline text="Asie">
        <outline text="新华网 国际" title="新华网 国际" type="rss" xmlUrl="http://www.xinhuanet.com/world/news_world.xml" language="zh-CN"/>
        <outline text="Japon">
          <outline type="rss" text="JICA&nbsp;News" xmlUrl="https://www.jica.go.jp/english/news/field/rss.xml"/>
        </outline>
      </outline>
      <outline text="الجزيرة - أخبار" type="rss" xmlUrl="https://www.aljazeera.net/aljazeerarss/a7c186be-1baa-4bd4-9d80-a84db769f779/73d0e1b4-532f-45ef-b135-bfdff8b8cab9" language="ar"/>
    </outline>
    <outline text="Sécurité">
      <outline type="rss" text="France Diplomatie (doublon)" xmlUrl="http://diplomatie.gouv.fr/spip.php?page=backend-fd"/>
      <outline type="rss" text="Bookmarklet" xmlUrl="javascript:alert(document.cookie)"/>
      <outline type="rss" text="Local file" xmlUrl="file:///etc/passwd"/>
      <outline type="rss" text="ICANN News (déjà là)" xmlUrl="https://www.icann.org/en/announcements/rss/"/>
      <outline type="rss" text="Reuters World" xmlUrl="https://www.reutersagency.com/feed/?best-topics=world-news&amp;post_type=best" language="en-US"/>
    </outline>
    <outline text="Vide"/>
    <outline text="Un lien" htmlUrl="https://example.org/"/>
  </body>
</opml>
`

// existingConfig is a configuration a desk keeps by hand, with comments
// and blank lines that must survive.
const existingConfig = `# Vigie, desk Asie-Pacifique
# (do not remove the comments)

languages: [en, fr, vi, ja, zh, ar]

defaults:
  schedule: "*/15 * * * *"   # every quarter of an hour
  max_age: 72h

feeds:
  # ICANN: announcements
  - id: icann-news
    url: https://www.icann.org/en/announcements/rss
    language: en

  - id: vna-fr          # VietnamPlus in French
    url: https://fr.vietnamplus.vn/rss/home.rss
    language: fr

# Routes come later.
classifiers: [cyber-diplomacy]
`

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o640); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportMessyOPML(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "feeds.yaml", existingConfig)
	outlines, skipped, err := ReadOPML(strings.NewReader(messyOPML))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	plan := PlanImport(l, outlines, skipped)
	var got []string
	for _, e := range plan.Add {
		got = append(got, e.ID+" "+e.Language+" "+e.Title)
	}
	want := []string{
		"france-diplomatie-actualites fr France Diplomatie & Actualités",
		"xinhuanet-com-world zh 新华网 国际",
		"jica-news  JICA News",
		"aljazeera-net-aljazeerarss ar الجزيرة - أخبار",
		"reuters-world en Reuters World",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("added:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	reasons := map[int]string{}
	for _, s := range plan.Skipped {
		reasons[s.Line] = s.Reason
	}
	for line, want := range map[int]string{
		16: "the same feed as line 6",
		17: "a javascript: URL",
		18: "a file: URL",
		19: "already in " + path + " as icann-news",
		22: "no xmlUrl",
		23: "no xmlUrl",
	} {
		if !strings.HasPrefix(reasons[line], want) {
			t.Errorf("line %d left out for %q, want %q", line, reasons[line], want)
		}
	}
	if len(plan.Skipped) != 6 {
		t.Errorf("%d outlines left out, want 6: %+v", len(plan.Skipped), plan.Skipped)
	}

	data, err := l.Add(plan.Add, "imported from messy.opml")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Check(data); err != nil {
		t.Fatalf("the result does not pass vigie check: %v\n%s", err, data)
	}
	// Every line that was there is still there, in order, untouched.
	if !keepsLines(existingConfig, string(data)) {
		t.Errorf("lines of the file were lost or changed:\n%s", data)
	}
	cfg, err := config.Parse(path, data, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Feeds) != 7 || cfg.Feeds[2].ID != "france-diplomatie-actualites" || cfg.Feeds[3].Title != "新华网 国际" || cfg.Feeds[5].Title != "الجزيرة - أخبار" {
		t.Errorf("feeds after import: %+v", cfg.Feeds)
	}
	if cfg.Classifiers[0] != "cyber-diplomacy" || cfg.Defaults.MaxAge != 72*time.Hour {
		t.Errorf("the rest of the file changed meaning: %+v", cfg)
	}

	// Saved atomically, with the file's mode, and nothing left beside it.
	if err := l.Save(data); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	entries, _ := os.ReadDir(dir)
	if st.Mode().Perm() != 0o640 || len(entries) != 1 {
		t.Errorf("mode %v, %d files in the directory", st.Mode().Perm(), len(entries))
	}
	// A second import of the same file adds nothing.
	l, _ = Load(path)
	if again := PlanImport(l, outlines, skipped); len(again.Add) != 0 {
		t.Errorf("a second import adds %d feeds", len(again.Add))
	}
}

// keepsLines reports whether every line of before is in after, in order.
func keepsLines(before, after string) bool {
	lines := strings.Split(after, "\n")
	i := 0
	for _, want := range strings.Split(before, "\n") {
		for i < len(lines) && lines[i] != want {
			i++
		}
		if i == len(lines) {
			return false
		}
		i++
	}
	return true
}

// TestExportImportRoundTrip: the feeds of a configuration, exported, then
// imported into an empty file, are the same feeds with the same ids,
// titles and languages.
func TestExportImportRoundTrip(t *testing.T) {
	src := []ExportFeed{
		{ID: "icann-news", Title: "ICANN news", URL: "https://www.icann.org/en/announcements/rss", Language: "en"},
		{ID: "vna-fr", Title: "VietnamPlus <fr> & co", URL: "https://fr.vietnamplus.vn/rss/home.rss?x=1&y=2", Language: "fr"},
		{ID: "xinhua", Title: "新华网", URL: "http://www.xinhuanet.com/world/news_world.xml"},
	}
	var opml bytes.Buffer
	if err := WriteOPML(&opml, "Vigie feeds", src, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"", "# a new file\n", "feeds: []\n", "feeds:\n"} {
		dir := t.TempDir()
		path := filepath.Join(dir, "feeds.yaml")
		if target != "" {
			writeFile(t, dir, "feeds.yaml", target)
		}
		outlines, skipped, err := ReadOPML(bytes.NewReader(opml.Bytes()))
		if err != nil || len(skipped) != 0 {
			t.Fatal(err, skipped)
		}
		l, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		plan := PlanImport(l, outlines, skipped)
		data, err := l.Add(plan.Add, "")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Parse(path, data, func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatalf("%q: %v\n%s", target, err, data)
		}
		var got []ExportFeed
		for _, f := range cfg.Feeds {
			got = append(got, ExportFeed{ID: f.ID, Title: f.Title, URL: f.URL, Language: f.Language})
		}
		if len(got) != len(src) {
			t.Fatalf("%q: %d feeds back, want %d:\n%s", target, len(got), len(src), data)
		}
		for i := range src {
			if got[i] != src[i] {
				t.Errorf("%q: feed %d came back as %+v, want %+v", target, i, got[i], src[i])
			}
		}
		if !strings.HasPrefix(string(data), target) && target != "feeds: []\n" && target != "feeds:\n" {
			t.Errorf("%q: the file's start changed:\n%s", target, data)
		}
	}
}

// TestFlowList: a feeds list in flow style is rewritten as a block list,
// its feeds kept; the rest of the file is untouched.
func TestFlowList(t *testing.T) {
	dir := t.TempDir()
	before := "# header\nnats: {listen: 127.0.0.1:4222}\nfeeds: [{id: a, url: \"https://a.example/rss\"}, {id: b, url: \"https://b.example/rss\"}]   # two\nclassifiers: [cyber-diplomacy]  # end\n"
	path := writeFile(t, dir, "feeds.yaml", before)
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := l.Add([]Entry{{ID: "c", URL: "https://c.example/rss"}}, "added")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(path, data, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if len(cfg.Feeds) != 3 || cfg.Feeds[2].ID != "c" || !strings.Contains(string(data), "# header\nnats: {listen: 127.0.0.1:4222}\nfeeds: # two\n") || !strings.HasSuffix(string(data), "classifiers: [cyber-diplomacy]  # end\n") {
		t.Errorf("%+v\n%s", cfg.Feeds, data)
	}
}

// TestRefusedOPML: DOCTYPE and entity declarations, bombs, depth and
// size are refused before anything is read.
func TestRefusedOPML(t *testing.T) {
	laughs := `<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><opml version="2.0"><body><outline text="&lol3;" xmlUrl="https://e.org/rss"/></body></opml>`
	external := `<?xml version="1.0"?><!DOCTYPE opml SYSTEM "file:///etc/passwd"><opml version="2.0"><body/></opml>`
	deep := `<opml version="2.0"><body>` + strings.Repeat(`<outline text="f">`, MaxDepth+1) + strings.Repeat(`</outline>`, MaxDepth+1) + `</body></opml>`
	many := `<opml version="2.0"><body>` + strings.Repeat(`<outline text="f" xmlUrl="https://e.org/"/>`, MaxOutlines+1) + `</body></opml>`
	large := `<opml version="2.0"><body><!--` + strings.Repeat("x", MaxOPMLBytes) + `--></body></opml>`
	for name, doc := range map[string]string{
		"billion laughs":    laughs,
		"external doctype":  external,
		"deep":              deep,
		"many outlines":     many,
		"larger than 16MiB": large,
		"not opml":          `<rss version="2.0"><channel/></rss>`,
		"not xml":           `{"feeds": []}`,
		"undefined entity":  `<opml version="2.0"><body><outline text="&bogus;" xmlUrl="https://e.org/"/></body></opml>`,
	} {
		if _, _, err := ReadOPML(strings.NewReader(doc)); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: err = %v, want ErrRefused", name, err)
		}
	}
}

func TestIDs(t *testing.T) {
	for in, want := range map[string]string{
		"Ministère des Affaires étrangères et du Développement": "ministere-des-affaires-etrangeres-et-du",
		"Straße & Œuvre":        "strasse-oeuvre",
		"Thông tấn xã Việt Nam": "thong-tan-xa-viet-nam",
		"新华网":                   "",
		"2026":                  "",
		"  --  ":                "",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
	taken := map[string]bool{"news": true, "news-2": true}
	if a, b := Unique("news", taken), Unique("news", taken); a != "news-3" || b != "news-4" {
		t.Errorf("Unique: %s, %s", a, b)
	}
	if got := HostSlug("https://www.aljazeera.net/aljazeerarss/a7c/73d"); got != "aljazeera-net-aljazeerarss" {
		t.Errorf("HostSlug = %q", got)
	}
}

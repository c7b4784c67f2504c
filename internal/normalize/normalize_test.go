package normalize

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"

	"github.com/vigie-news/vigie/internal/parse"
)

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "  Hello,\n\t world  ", "Hello, world"},
		{"tags dropped", "<p>Hello <b>bold</b> <a href='x'>link</a></p>", "Hello bold link"},
		{"blocks separate words", "<p>one</p><p>two</p><br>three<li>four</li>", "one two three four"},
		{"inline does not split words", "Vi<b>gie</b> and <span>look</span>out", "Vigie and lookout"},
		{"script and style dropped", "a<script>var x = '<p>no</p>';</script>b<style>p{color:red}</style>c", "a b c"},
		{"noscript and template dropped", "a<noscript>enable js</noscript> b<template><p>t</p></template>", "a b"},
		{"comments dropped", "a<!-- hidden -->b", "ab"},
		{"entities decoded", "caf&eacute; &amp; &lt;tag&gt; &#8220;q&#8221; &#x2014; &nbsp;x", "café & <tag> “q” — x"},
		{"escaped html stays text", "&lt;p&gt;hello&lt;/p&gt;", "<p>hello</p>"},
		{"lone ampersand", "AT&T rocks", "AT&T rocks"},
		{"less-than in text", "1 < 2 and 3 > 2", "1 < 2 and 3 > 2"},
		{"unclosed tag", "text <b", "text"},
		{"cjk keeps no spaces", "<p>日本の<strong>外交</strong>政策</p>", "日本の外交政策"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"control characters", "a\x00b\x1bc", "a b c"},
		{"zero width space", "a\u200bb", "a b"},
		{"empty", "", ""},
		{"windows-1252 code points", "don\u0092t \u0093q\u0094 \u0085", "don’t “q” …"},
		{"utf-8 read as windows-1252", "caf\u00c3\u00a9 \u00e2\u0080\u00a6 \u00e2\u20ac\u00a6 \u00e6\u2014\u00a5\u00e6\u0153\u00ac", "café … … 日本"},
		{"real accents left alone", "déjà vu, À bientôt, Ça va ½ ©", "déjà vu, À bientôt, Ça va ½ ©"},
		{"only markup", "<div><img src='x'></div>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	words := strings.Repeat("word ", 200) // 1000 runes
	cjk := strings.Repeat("外交", 400)      // 800 runes, no spaces
	long := strings.Repeat("a", 700)
	tests := []struct {
		name    string
		in      string
		wantMax int
		check   func(t *testing.T, s string)
	}{
		{"short kept", "A short text.", 20, func(t *testing.T, s string) {
			if s != "A short text." {
				t.Errorf("%q", s)
			}
		}},
		{"cut at a word", words, SummaryRunes + 1, func(t *testing.T, s string) {
			if !strings.HasSuffix(s, "word…") {
				t.Errorf("not cut at a word boundary: %q", s[len(s)-20:])
			}
		}},
		{"cjk cut at the limit", cjk, SummaryRunes + 1, func(t *testing.T, s string) {
			if utf8.RuneCountInString(s) != SummaryRunes+1 {
				t.Errorf("%d runes", utf8.RuneCountInString(s))
			}
		}},
		{"one huge word", long, SummaryRunes + 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summarize(tt.in)
			if n := utf8.RuneCountInString(s); n > tt.wantMax || n == 0 {
				t.Errorf("%d runes, want 1..%d", n, tt.wantMax)
			}
			if !utf8.ValidString(s) {
				t.Error("invalid UTF-8")
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unchanged", "https://example.org/a/b?id=3", "https://example.org/a/b?id=3"},
		{"utm dropped", "https://example.org/a?utm_source=rss&id=3&utm_medium=feed", "https://example.org/a?id=3"},
		{"click ids dropped", "https://example.org/a?fbclid=x&gclid=y&msclkid=z", "https://example.org/a"},
		{"case of param names", "https://example.org/a?UTM_Campaign=x&q=1", "https://example.org/a?q=1"},
		{"encoded name", "https://example.org/a?utm%5Fsource=x&q=1", "https://example.org/a?q=1"},
		{"order kept", "https://example.org/a?z=1&a=2", "https://example.org/a?z=1&a=2"},
		{"host lower case", "HTTPS://Example.ORG/Path", "https://example.org/Path"},
		{"default port", "http://example.org:80/a", "http://example.org/a"},
		{"other port kept", "http://example.org:8080/a", "http://example.org:8080/a"},
		{"empty path", "https://example.org", "https://example.org/"},
		{"empty fragment", "https://example.org/a#", "https://example.org/a"},
		{"fragment kept", "https://example.org/a#part-2", "https://example.org/a#part-2"},
		{"not http", "mailto:x@example.org", "mailto:x@example.org"},
		{"relative", "/a?utm_source=x", "/a?utm_source=x"},
		{"spaces trimmed", "  https://example.org/a  ", "https://example.org/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Canonical(tt.in); got != tt.want {
				t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func tp(t time.Time) *time.Time { return &t }

var fetched = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestItemFields(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		name  string
		feed  *gofeed.Feed
		check func(t *testing.T, it Item)
	}{
		{"content preferred to description", &gofeed.Feed{Items: []*gofeed.Item{{
			Title: "T &amp; U", Description: "<p>short</p>", Content: "<p>full <b>text</b></p>"}}},
			func(t *testing.T, it Item) {
				if it.Title != "T & U" || it.Text != "full text" || it.Summary != "full text" {
					t.Errorf("%+v", it)
				}
			}},
		{"description when content is empty markup", &gofeed.Feed{Items: []*gofeed.Item{{
			Description: "desc", Content: "<div> </div>"}}},
			func(t *testing.T, it Item) {
				if it.Text != "desc" {
					t.Errorf("text %q", it.Text)
				}
			}},
		{"relative link against the feed link", &gofeed.Feed{Link: "https://site.example/news/", Items: []*gofeed.Item{{Link: "item?id=1&utm_source=rss"}}},
			func(t *testing.T, it Item) {
				if it.URL != "https://site.example/news/item?id=1" {
					t.Errorf("url %q", it.URL)
				}
			}},
		{"relative feed link against the feed url", &gofeed.Feed{Link: "/news/", Items: []*gofeed.Item{{Link: "a"}}},
			func(t *testing.T, it Item) {
				if it.URL != "https://feeds.example/news/a" {
					t.Errorf("url %q", it.URL)
				}
			}},
		{"link from links", &gofeed.Feed{Items: []*gofeed.Item{{Links: []string{"https://x.example/1"}}}},
			func(t *testing.T, it Item) {
				if it.URL != "https://x.example/1" {
					t.Errorf("url %q", it.URL)
				}
			}},
		{"published in utc", &gofeed.Feed{Items: []*gofeed.Item{{PublishedParsed: tp(time.Date(2026, 2, 1, 10, 0, 0, 0, paris))}}},
			func(t *testing.T, it Item) {
				if !it.Published.Equal(time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)) || it.Published.Location() != time.UTC {
					t.Errorf("published %v", it.Published)
				}
			}},
		{"updated when no published", &gofeed.Feed{Items: []*gofeed.Item{{UpdatedParsed: tp(time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC))}}},
			func(t *testing.T, it Item) {
				if !it.Published.Equal(time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("published %v", it.Published)
				}
			}},
		{"missing date is the fetch time", &gofeed.Feed{Items: []*gofeed.Item{{Title: "x"}}},
			func(t *testing.T, it Item) {
				if !it.Published.Equal(fetched) {
					t.Errorf("published %v", it.Published)
				}
			}},
		{"far future clamped", &gofeed.Feed{Items: []*gofeed.Item{{PublishedParsed: tp(fetched.AddDate(1, 0, 0))}}},
			func(t *testing.T, it Item) {
				if !it.Published.Equal(fetched) {
					t.Errorf("published %v", it.Published)
				}
			}},
		{"slightly future kept", &gofeed.Feed{Items: []*gofeed.Item{{PublishedParsed: tp(fetched.Add(10 * time.Minute))}}},
			func(t *testing.T, it Item) {
				if !it.Published.Equal(fetched.Add(10 * time.Minute)) {
					t.Errorf("published %v", it.Published)
				}
			}},
		{"epoch is missing", &gofeed.Feed{Items: []*gofeed.Item{{PublishedParsed: tp(time.Unix(0, 0))}}},
			func(t *testing.T, it Item) {
				if !it.Published.Equal(fetched) {
					t.Errorf("published %v", it.Published)
				}
			}},
		{"feed language", &gofeed.Feed{Language: "fr-FR", Items: []*gofeed.Item{{}}},
			func(t *testing.T, it Item) {
				if it.Lang != "fr" {
					t.Errorf("lang %q", it.Lang)
				}
			}},
		{"item language wins", &gofeed.Feed{Language: "en", Items: []*gofeed.Item{{DublinCoreExt: &ext.DublinCoreExtension{Language: []string{"ja_JP"}}}}},
			func(t *testing.T, it Item) {
				if it.Lang != "ja" {
					t.Errorf("lang %q", it.Lang)
				}
			}},
		{"feed dc:language", &gofeed.Feed{DublinCoreExt: &ext.DublinCoreExtension{Language: []string{"VI"}}, Items: []*gofeed.Item{{}}},
			func(t *testing.T, it Item) {
				if it.Lang != "vi" {
					t.Errorf("lang %q", it.Lang)
				}
			}},
		{"garbage language", &gofeed.Feed{Language: "${lang}", Items: []*gofeed.Item{{}}},
			func(t *testing.T, it Item) {
				if it.Lang != "" {
					t.Errorf("lang %q", it.Lang)
				}
			}},
		{"guid trimmed", &gofeed.Feed{Items: []*gofeed.Item{{GUID: "  urn:1 \n"}}},
			func(t *testing.T, it Item) {
				if it.GUID != "urn:1" || it.ID != id("f", "urn:1") {
					t.Errorf("guid %q id %s", it.GUID, it.ID)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := Items("f", &parse.Feed{Feed: tt.feed}, "https://feeds.example/rss.xml", fetched)
			if len(items) != 1 {
				t.Fatalf("%d items", len(items))
			}
			if len(items[0].ID) != 16 {
				t.Errorf("id %q", items[0].ID)
			}
			tt.check(t, items[0])
		})
	}
}

func TestIDs(t *testing.T) {
	item := func(guid, link, title, desc string) *gofeed.Item {
		return &gofeed.Item{GUID: guid, Link: link, Title: title, Description: desc}
	}
	ids := func(feedID string, its ...*gofeed.Item) []string {
		var out []string
		for _, it := range Items(feedID, &parse.Feed{Feed: &gofeed.Feed{Items: its}}, "https://feeds.example/rss.xml", fetched) {
			out = append(out, it.ID)
		}
		return out
	}
	t.Run("key is the guid", func(t *testing.T) {
		got := ids("f", item("urn:a", "https://x.example/1", "t", "d"))
		if got[0] != id("f", "urn:a") {
			t.Errorf("got %s", got[0])
		}
	})
	t.Run("key is the canonical link without guid", func(t *testing.T) {
		a := ids("f", item("", "https://x.example/1?utm_source=a", "t", "d"))
		b := ids("f", item("", "https://x.example/1?utm_source=b", "other", "x"))
		if a[0] != id("f", "https://x.example/1") || a[0] != b[0] {
			t.Errorf("got %s and %s", a[0], b[0])
		}
	})
	t.Run("key is title and summary without guid and link", func(t *testing.T) {
		a := ids("f", item("", "", "<b>t</b>", "d"))
		b := ids("f", item("", "", "t", "d"))
		c := ids("f", item("", "", "t", "e"))
		if a[0] != b[0] || a[0] == c[0] {
			t.Errorf("got %v %v %v", a, b, c)
		}
	})
	t.Run("feed id is part of the id", func(t *testing.T) {
		if ids("f", item("urn:a", "", "", ""))[0] == ids("g", item("urn:a", "", "", ""))[0] {
			t.Error("same id in two feeds")
		}
	})
	t.Run("a changed date keeps the id", func(t *testing.T) {
		a := item("", "https://x.example/1", "t", "d")
		a.UpdatedParsed = tp(fetched.Add(-time.Hour))
		b := item("", "https://x.example/1", "t", "d")
		b.UpdatedParsed = tp(fetched.Add(-time.Minute))
		b.Updated = "changed"
		if ids("f", a)[0] != ids("f", b)[0] {
			t.Error("id changed with the date")
		}
	})
	t.Run("repeated guids get distinct, stable ids", func(t *testing.T) {
		one := ids("f", item("dup", "https://x.example/1", "one", ""), item("dup", "https://x.example/2", "two", ""), item("solo", "", "", ""))
		if one[0] == one[1] || one[0] == id("f", "dup") {
			t.Fatalf("got %v", one)
		}
		if one[2] != id("f", "solo") {
			t.Errorf("an unrepeated key changed: %v", one)
		}
		// The same duplicates in another order keep their ids.
		swapped := ids("f", item("dup", "https://x.example/2", "two", ""), item("dup", "https://x.example/1", "one", ""))
		if swapped[0] != one[1] || swapped[1] != one[0] {
			t.Errorf("ids depend on order: %v vs %v", one, swapped)
		}
	})
	t.Run("repeated guids keep their plain id and a fingerprint", func(t *testing.T) {
		alone := Items("f", &parse.Feed{Feed: &gofeed.Feed{Items: []*gofeed.Item{item("dup", "https://x.example/1", "one", "")}}}, "https://feeds.example/rss.xml", fetched)
		both := Items("f", &parse.Feed{Feed: &gofeed.Feed{Items: []*gofeed.Item{item("dup", "https://x.example/2", "two", ""), item("dup", "https://x.example/1", "one", "")}}}, "https://feeds.example/rss.xml", fetched)
		if alone[0].BaseID != "" || alone[0].ID != id("f", "dup") {
			t.Errorf("alone: id %s, base id %q", alone[0].ID, alone[0].BaseID)
		}
		for _, it := range both {
			if it.BaseID != alone[0].ID || it.ID == alone[0].ID {
				t.Errorf("repeated: id %s, base id %q; want a new id and the plain one as base", it.ID, it.BaseID)
			}
		}
		if both[1].Fingerprint != alone[0].Fingerprint || both[0].Fingerprint == alone[0].Fingerprint {
			t.Errorf("fingerprints %s %s, alone %s: want the same item to keep its own", both[0].Fingerprint, both[1].Fingerprint, alone[0].Fingerprint)
		}
	})
	t.Run("identical items are told apart by rank", func(t *testing.T) {
		got := ids("f", item("", "", "same", "same"), item("", "", "same", "same"), item("", "", "same", "same"))
		if got[0] == got[1] || got[1] == got[2] || got[0] == got[2] {
			t.Errorf("got %v", got)
		}
		again := ids("f", item("", "", "same", "same"), item("", "", "same", "same"), item("", "", "same", "same"))
		for i := range got {
			if got[i] != again[i] {
				t.Errorf("not deterministic: %v vs %v", got, again)
			}
		}
	})
	t.Run("nil feed and nil items", func(t *testing.T) {
		if Items("f", nil, "", fetched) != nil {
			t.Error("items from a nil feed")
		}
		if got := Items("f", &parse.Feed{Feed: &gofeed.Feed{Items: []*gofeed.Item{nil, {Title: "x"}}}}, "", fetched); len(got) != 1 {
			t.Errorf("%d items", len(got))
		}
	})
}

// TestDeclaredLanguageFromDocuments parses real documents: the language a
// feed declares (RSS <language>, Atom xml:lang, JSON Feed "language") reaches
// every item, and an item's own (dc:language, a JSON Feed item's
// "language") wins over it.
func TestDeclaredLanguageFromDocuments(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"rss", `<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title><language>fr-FR</language>` +
			`<item><title>a</title></item><item><title>b</title><dc:language>vi</dc:language></item></channel></rss>`,
			[]string{"fr", "vi"}},
		{"atom", `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="es"><title>t</title><entry><title>a</title><id>urn:a</id></entry></feed>`,
			[]string{"es"}},
		{"json feed", `{"version":"https://jsonfeed.org/version/1.1","title":"t","language":"pt-BR","items":[` +
			`{"id":"a","content_text":"a"},{"id":"b","content_text":"b","language":"en-GB"}]}`,
			[]string{"pt", "en"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parse.Parse([]byte(tt.body), "", "https://feeds.example/feed")
			if err != nil {
				t.Fatal(err)
			}
			items := Items("f", f, "https://feeds.example/feed", time.Now())
			var got []string
			for _, it := range items {
				got = append(got, it.Lang)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("languages %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBoundedItem checks that an absurd title or link cannot make an item
// too large to publish.
func TestBoundedItem(t *testing.T) {
	f := &gofeed.Feed{Items: []*gofeed.Item{{
		GUID:  "g",
		Title: strings.Repeat("cyber ", 200000),
		Link:  "https://example.org/?q=" + strings.Repeat("x", 1<<20),
	}}}
	items := Items("f", &parse.Feed{Feed: f}, "https://example.org/feed", time.Now())
	if len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}
	it := items[0]
	if n := utf8.RuneCountInString(it.Title); n > TitleRunes+1 || !strings.HasSuffix(it.Title, "…") {
		t.Errorf("title of %d runes: %.40q…", n, it.Title)
	}
	if it.URL != "" {
		t.Errorf("a %d-byte link was kept", len(it.URL))
	}
	if it.ID != id("f", "g") {
		t.Errorf("id %s does not follow the guid", it.ID)
	}
}

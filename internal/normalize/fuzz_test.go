package normalize_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/parse"
)

// FuzzText checks that Text always returns trimmed, collapsed, valid UTF-8.
func FuzzText(f *testing.F) {
	for _, s := range []string{
		"<p>Hello <b>world</b></p>", "a<script>x</script>b", "&amp;&lt;&#x110000;&#0;", "<", "a\xffb", "日本<br/>語",
		"<style>", "<!-- unterminated", "<a href='&'>x</a>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := normalize.Text(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		if strings.TrimSpace(out) != out || strings.Contains(out, "  ") || strings.ContainsAny(out, "\n\t\r") {
			t.Fatalf("whitespace not collapsed: %q", out)
		}
		if normalize.Text(out) != out && !strings.ContainsAny(out, "<&") {
			t.Fatalf("not idempotent on plain text: %q", out)
		}
	})
}

// FuzzNormalize parses arbitrary bodies and checks the invariants of every
// normalized item.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		`<rss version="2.0"><channel><link>/x/</link><item><guid>1</guid><title>a &amp; b</title><link>p?utm_source=x</link><pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate></item><item><guid>1</guid></item></channel></rss>`,
		`<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://b.example/"><entry><id>x</id><updated>2999-01-01T00:00:00Z</updated><content type="html">&lt;p&gt;hi&lt;/p&gt;</content><link href="e"/></entry></feed>`,
		`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","content_html":"<b>x</b>","date_published":"2020-01-01T00:00:00Z"}]}`,
	} {
		f.Add([]byte(s))
	}
	fetched := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		feed, err := parse.Parse(body, "", "https://feeds.example/f.xml")
		if err != nil {
			return
		}
		items := normalize.Items("fuzz", feed, "https://feeds.example/f.xml", fetched)
		ids := make(map[string]bool)
		for _, it := range items {
			if len(it.ID) != 16 || ids[it.ID] {
				t.Fatalf("bad or repeated id %q", it.ID)
			}
			ids[it.ID] = true
			for _, s := range []string{it.Title, it.Summary, it.Text, it.URL, it.GUID, it.Lang} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 %q", s)
				}
			}
			if utf8.RuneCountInString(it.Summary) > normalize.SummaryRunes+1 {
				t.Fatalf("summary of %d runes", utf8.RuneCountInString(it.Summary))
			}
			if it.Published.IsZero() || it.Published.After(fetched.Add(normalize.FutureSlack)) {
				t.Fatalf("published %v", it.Published)
			}
		}
		again := normalize.Items("fuzz", feed, "https://feeds.example/f.xml", fetched)
		for i := range items {
			if again[i].ID != items[i].ID {
				t.Fatal("ids not deterministic")
			}
		}
	})
}

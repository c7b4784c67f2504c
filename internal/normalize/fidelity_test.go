package normalize

import (
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/parse"
)

// Parse fidelity: documents of our own, each read as long-established
// parsers (feedparser) read them. Each case is checked on what a user sees:
// the normalized item's URL, title and text.

const docURL = "https://feeds.example.org/news/rss.xml"

type fidelityCase struct {
	name string
	doc  string
	// want is, per item, "url | title | text" ("-" leaves a field
	// unchecked).
	want []string
}

func runFidelity(t *testing.T, cases []fidelityCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parse.Parse([]byte(tc.doc), "", docURL)
			if err != nil {
				t.Fatal(err)
			}
			items := Items("f", f, docURL, time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
			if len(items) != len(tc.want) {
				t.Fatalf("%d items, want %d", len(items), len(tc.want))
			}
			for i, w := range tc.want {
				parts := strings.SplitN(w, " | ", 3)
				got := []string{items[i].URL, items[i].Title, items[i].Text}
				for j, name := range []string{"url", "title", "text"} {
					if parts[j] != "-" && got[j] != parts[j] {
						t.Errorf("item %d %s = %q, want %q", i, name, got[j], parts[j])
					}
				}
			}
		})
	}
}

func rss2(items string) string {
	return `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://news.example.org/</link>` + items + `</channel></rss>`
}

func atom1(entries string) string {
	return `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><link href="https://news.example.org/"/>` + entries + `</feed>`
}

// An item without a link takes its guid when that is a permalink.
func TestFidelityPermalinkGUID(t *testing.T) {
	runFidelity(t, []fidelityCase{
		{"guid, no attribute", rss2(`<item><title>A</title><guid>https://news.example.org/a/1</guid></item>`), []string{"https://news.example.org/a/1 | A | -"}},
		{"isPermaLink true", rss2(`<item><title>A</title><guid isPermaLink="true">http://news.example.org/a/2</guid></item>`), []string{"http://news.example.org/a/2 | A | -"}},
		{"isPermaLink false", rss2(`<item><title>A</title><guid isPermaLink="false">https://news.example.org/a/3</guid></item>`), []string{" | A | -"}},
		{"not a URL", rss2(`<item><title>A</title><guid>tag:news.example.org,2026:4</guid></item>`), []string{" | A | -"}},
		{"not http", rss2(`<item><title>A</title><guid>javascript:alert(1)</guid></item>`), []string{" | A | -"}},
		{"relative", rss2(`<item><title>A</title><guid>/a/5</guid></item>`), []string{" | A | -"}},
		{"own link first", rss2(`<item><title>A</title><link>https://news.example.org/a/6</link><guid>https://news.example.org/guid/6</guid></item>`), []string{"https://news.example.org/a/6 | A | -"}},
	})
}

// Nested elements (an image's link, a source's title) never stand in for
// the item's own fields.
func TestFidelityNestedElements(t *testing.T) {
	runFidelity(t, []fidelityCase{
		{"image link, no own link", rss2(`<item><title>A</title><image><url>https://img.example.org/a.png</url><link>https://img.example.org/page</link><title>Photo</title></image><guid isPermaLink="false">1</guid></item>`),
			[]string{" | A | "}},
		{"image before own link and title", rss2(`<item><image><link>https://img.example.org/page</link><title>Photo</title></image><title>A</title><link>https://news.example.org/a/2</link></item>`),
			[]string{"https://news.example.org/a/2 | A | "}},
		{"source title, no own title", rss2(`<item><source url="https://other.example.net/rss">Other paper</source><link>https://news.example.org/a/3</link><description>Body</description></item>`),
			[]string{"https://news.example.org/a/3 |  | Body"}},
		{"atom source", atom1(`<entry><id>urn:x:4</id><source><title>Other feed</title><link href="https://other.example.net/"/><id>urn:other</id></source><link href="https://news.example.org/a/4"/><summary>Body</summary></entry>`),
			[]string{"https://news.example.org/a/4 |  | Body"}},
		{"media title", `<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title><item><media:content url="https://img.example.org/v.mp4"><media:title>Video title</media:title></media:content><link>https://news.example.org/a/5</link></item></channel></rss>`,
			[]string{"https://news.example.org/a/5 |  | "}},
	})
}

// Atom text constructs of every type and mode are decoded; plain text is
// never read as HTML.
func TestFidelityAtomText(t *testing.T) {
	entry := func(title, content string) string {
		return atom1(`<entry><id>urn:x</id><link href="https://news.example.org/a"/>` + title + content + `</entry>`)
	}
	runFidelity(t, []fidelityCase{
		{"text title that looks like markup", entry(`<title type="text">&lt;b&gt;Bold&lt;/b&gt; &amp; AT&amp;T</title>`, ``), []string{"- | <b>Bold</b> & AT&T | "}},
		{"text without a type", entry(`<title>a &lt;p&gt; b</title>`, `<summary>x &lt;br/&gt; y</summary>`), []string{"- | a <p> b | x <br/> y"}},
		{"html", entry(`<title type="html">A &amp;amp; &lt;b&gt;B&lt;/b&gt;</title>`, `<content type="html">&lt;p&gt;Para&lt;/p&gt;&lt;p&gt;Two&lt;/p&gt;</content>`), []string{"- | A & B | Para Two"}},
		{"html in CDATA", entry(`<title type="html"><![CDATA[C <i>D</i>]]></title>`, ``), []string{"- | C D | "}},
		{"xhtml", entry(`<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X <b>Y</b></div></title>`, `<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>P &amp; Q</p></div></content>`), []string{"- | X Y | P & Q"}},
		{"base64 html", entry(`<title>T</title>`, `<content type="text/html" mode="base64">PHA+SGVsbG8gPGI+d29ybGQ8L2I+PC9wPg==</content>`), []string{"- | T | Hello world"}},
		{"base64 plain", entry(`<title>T</title>`, `<content type="text/plain" mode="base64">PGI+IGlzIGEgdGFn</content>`), []string{"- | T | <b> is a tag"}},
		{"base64 image", entry(`<title>T</title>`, `<content type="image/png" mode="base64">iVBORw0KGgo=</content>`), []string{"- | T | "}},
		{"atom 0.3 escaped html", `<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>T</title><entry><id>x</id><title>T</title><link rel="alternate" href="https://news.example.org/a"/><content type="text/html" mode="escaped">&lt;p&gt;Esc&lt;/p&gt;</content></entry></feed>`,
			[]string{"https://news.example.org/a | T | Esc"}},
		{"atom 0.3 base64", `<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>T</title><entry><id>x</id><title>T</title><link rel="alternate" href="https://news.example.org/a"/><content type="text/html" mode="base64">PHA+SGVsbG88L3A+</content></entry></feed>`,
			[]string{"https://news.example.org/a | T | Hello"}},
	})
}

// Relative URLs resolve against xml:base, then (as Vigie always did) the
// channel's link, then the document's URL.
func TestFidelityRelativeURLs(t *testing.T) {
	runFidelity(t, []fidelityCase{
		{"atom xml:base", `<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://base.example.org/blog/"><title>T</title><entry><id>1</id><link href="post-1"/></entry></feed>`,
			[]string{"https://base.example.org/blog/post-1 | - | -"}},
		{"nested xml:base", `<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://base.example.org/a/"><title>T</title><entry xml:base="b/"><id>1</id><link xml:base="c/" href="post"/></entry></feed>`,
			[]string{"https://base.example.org/a/b/c/post | - | -"}},
		{"relative xml:base against the document", `<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/archive/"><title>T</title><entry><id>1</id><link href="2026/post"/></entry></feed>`,
			[]string{"https://feeds.example.org/archive/2026/post | - | -"}},
		{"rss xml:base on the channel", `<rss version="2.0"><channel xml:base="https://base.example.org/fr/"><title>T</title><item><link>article/9</link></item></channel></rss>`,
			[]string{"https://base.example.org/fr/article/9 | - | -"}},
		{"rss, no base, no channel link", `<rss version="2.0"><channel><title>T</title><item><link>/a/10</link></item></channel></rss>`,
			[]string{"https://feeds.example.org/a/10 | - | -"}},
		{"relative permalink guid is not a link", `<rss version="2.0"><channel><title>T</title><item><guid>a/11</guid></item></channel></rss>`,
			[]string{" | - | -"}},
		{"content links do not reach the text", atom1(`<entry><id>1</id><link href="/x"/><content type="html">&lt;a href="/y"&gt;read&lt;/a&gt; more</content></entry>`),
			[]string{"https://news.example.org/x | - | read more"}},
	})
}

// Atom 0.3 and RSS 0.9x/1.0 are read, Atom 0.3 in a namespace of its own
// included.
func TestFidelityOldFormats(t *testing.T) {
	runFidelity(t, []fidelityCase{
		{"atom 0.3", `<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>T</title><entry><title>A</title><link rel="alternate" type="text/html" href="https://news.example.org/a"/><id>x</id><issued>2026-03-10T10:00:00Z</issued><summary>S</summary></entry></feed>`,
			[]string{"https://news.example.org/a | A | S"}},
		{"atom 0.3 in an unusual namespace", `<feed version="0.3" xmlns="http://example.com/newformat#"><title>T</title><entry><title>A</title><link rel="alternate" href="https://news.example.org/a"/><id>x</id><summary>S</summary></entry></feed>`,
			[]string{"https://news.example.org/a | A | S"}},
		{"atom 0.3 without a namespace", `<feed version="0.3"><title>T</title><entry><title>A</title><link rel="alternate" href="https://news.example.org/a"/><id>x</id></entry></feed>`,
			[]string{"https://news.example.org/a | A | "}},
		{"rss 0.90", `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>T</title><link>https://news.example.org/</link><description>D</description></channel><item><title>A</title><link>https://news.example.org/a/9</link></item></rdf:RDF>`,
			[]string{"https://news.example.org/a/9 | A | "}},
		{"rss 0.91 with its doctype", `<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel><title>T</title><link>https://news.example.org/</link><description>D</description><language>fr</language><item><title>A</title><link>https://news.example.org/a/91</link><description>S</description></item></channel></rss>`,
			[]string{"https://news.example.org/a/91 | A | S"}},
		{"rss 0.92", `<rss version="0.92"><channel><title>T</title><link>https://news.example.org/</link><item><description>Only a description</description><link>https://news.example.org/a/92</link></item></channel></rss>`,
			[]string{"https://news.example.org/a/92 |  | Only a description"}},
		{"rss 1.0", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="https://news.example.org/"><title>T</title><link>https://news.example.org/</link></channel><item rdf:about="https://news.example.org/a/10"><title>A</title><link>https://news.example.org/a/10</link><dc:date>2026-03-10T10:00:00Z</dc:date><description>S</description></item></rdf:RDF>`,
			[]string{"https://news.example.org/a/10 | A | S"}},
	})
}

// Text that only looks like markup is kept as text.
func TestFidelityTextLikeMarkup(t *testing.T) {
	runFidelity(t, []fidelityCase{
		{"bogus comment opener", rss2(`<item><title>&lt;!' is not markup</title><link>https://news.example.org/a/1</link><description>a &lt;!' b &lt; c</description></item>`),
			[]string{"- | <!' is not markup | a <!' b < c"}},
		{"processing instruction look-alike", rss2(`<item><title>x &lt;?php echo 1 ?&gt; y</title><link>https://news.example.org/a/2</link></item>`),
			[]string{"- | x <?php echo 1 ?> y | "}},
		{"hearts and arrows", rss2(`<item><title>I &lt;3 Paris &lt;/3 &lt;&lt; news</title><link>https://news.example.org/a/3</link></item>`),
			[]string{"- | I <3 Paris </3 << news | "}},
		{"real markup is still markup", rss2(`<item><title>A</title><link>https://news.example.org/a/4</link><description>&lt;p&gt;One&lt;/p&gt;&lt;!-- hidden --&gt;&lt;p&gt;Two&lt;/p&gt;</description></item>`),
			[]string{"- | A | One Two"}},
		{"json feed plain text", `{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{"id":"1","url":"https://news.example.org/j/1","title":"<b> is a tag","content_text":"Use <p> for paragraphs"}]}`,
			[]string{"https://news.example.org/j/1 | <b> is a tag | Use <p> for paragraphs"}},
	})
}

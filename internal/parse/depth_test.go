package parse

import (
	"strings"
	"testing"
)

func TestTooDeep(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		limit int
		want  bool
	}{
		{"flat", "<rss><channel><item/><item></item></channel></rss>", 3, false},
		{"at the limit", "<a><b><c></c></b></a>", 3, false},
		{"over the limit", "<a><b><c><d></d></c></b></a>", 3, true},
		{"self-closing does not nest", "<a><b/><b/><b/><b/></a>", 1, false},
		{"end tags unwind", "<a></a><a></a><a></a><a></a>", 1, false},
		{"comments skipped", "<a><!-- <b><c><d> --></a>", 1, false},
		{"cdata skipped", "<a><![CDATA[<b><c><d>]]></a>", 1, false},
		{"processing instruction", `<?xml version="1.0"?><?xml-stylesheet href="<x>"?><a></a>`, 1, false},
		{"doctype with subset", `<!DOCTYPE rss [<!ENTITY e "<b>">]><a></a>`, 1, false},
		{"quoted >", `<a title="x>y"><b></b></a>`, 2, false},
		{"quoted /> is not self-closing", `<a t="/>"><b></b></a>`, 1, true},
		{"text with <", "<a>1 < 2</a>", 1, false},
		{"truncated tag", "<a><b", 1, false},
		{"hostile", strings.Repeat("<x>", 1000), 512, true},
		{"unclosed html void elements", "<a>" + strings.Repeat("<br><BR><img src='x'>", 300) + "</a>", 2, false},
		{"stray end tags do not buy depth", strings.Repeat("</x>", 1000) + strings.Repeat("<x>", 600), 512, true},
		{"unclosed html does not add up", "<rss><channel>" + strings.Repeat("<item><description><p>x<b>y</description></item>", 600) + "</channel></rss>", 512, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tooDeep([]byte(tt.doc), tt.limit); got != tt.want {
				t.Errorf("tooDeep(%q, %d) = %v, want %v", tt.doc, tt.limit, got, tt.want)
			}
		})
	}
}

// BenchmarkTooDeep runs the depth check, which every fetched document goes
// through, over 1 MiB of RSS with HTML in its descriptions.
func BenchmarkTooDeep(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<rss><channel><title>x</title>`)
	for sb.Len() < 1<<20 {
		sb.WriteString(`<item><title>A title here</title><link>https://example.org/a</link><description><p>Some <b>text</b> here<br> and more</p></description><pubDate>Mon, 01 Jan 2024</pubDate></item>`)
	}
	sb.WriteString(`</channel></rss>`)
	doc := []byte(sb.String())
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if tooDeep(doc, MaxDepth) {
			b.Fatal("a flat feed found too deep")
		}
	}
}

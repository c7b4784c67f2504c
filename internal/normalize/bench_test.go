package normalize_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/parse"
)

// benchFeed is an RSS feed of n items with HTML descriptions.
func benchFeed(n int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench</title><link>https://bench.example/</link>`)
	for i := range n {
		fmt.Fprintf(&b, `<item><guid>b-%d</guid><title>Story %d: talks on norms &amp; confidence-building</title><link>/s/%d?utm_source=rss</link>`+
			`<pubDate>Mon, 02 Mar 2026 10:%02d:00 +0100</pubDate><description>&lt;p&gt;Delegates &lt;b&gt;met&lt;/b&gt; again to discuss capacity building and the application of international law in cyberspace.&lt;/p&gt;&lt;script&gt;track()&lt;/script&gt;</description></item>`,
			i, i, i, i%60)
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// BenchmarkParseNormalize measures parse and normalize of a 20-item feed,
// the unit of work of a cold fetch cycle.
func BenchmarkParseNormalize(b *testing.B) {
	body := benchFeed(20)
	fetched := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	items := 0
	for b.Loop() {
		f, err := parse.Parse(body, "application/rss+xml; charset=utf-8", "https://bench.example/rss")
		if err != nil {
			b.Fatal(err)
		}
		items += len(normalize.Items("bench", f, "https://bench.example/rss", fetched))
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkText measures the HTML-to-text conversion of one description.
func BenchmarkText(b *testing.B) {
	html := strings.Repeat(`<p>Delegates <b>met</b> again &amp; discussed <a href="/x">norms</a>.</p><script>track()</script>`, 20)
	b.SetBytes(int64(len(html)))
	b.ReportAllocs()
	for b.Loop() {
		normalize.Text(html)
	}
}

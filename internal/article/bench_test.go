package article

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// heavy returns a page case as modern news sites weigh it: the same
// article inside some 150 KB of markup (a mega-menu, link lists, a
// serialized page state in a script).
func heavy(c pageCase) pageCase {
	var extra strings.Builder
	extra.WriteString(`<nav class="mega-menu"><ul>`)
	for i := range 400 {
		fmt.Fprintf(&extra, `<li class="menu-item"><a href="/section/%d">Section %d</a></li>`, i, i)
	}
	extra.WriteString(`</ul></nav><script id="__NEXT_DATA__" type="application/json">{"props":{"items":[`)
	for i := range 1500 {
		fmt.Fprintf(&extra, `{"id":%d,"title":"Headline number %d of the state","url":"/n/%d","section":"world"},`, i, i, i)
	}
	extra.WriteString(`{}]}}</script>`)
	h := c
	h.Body = bytes.Replace(c.Body, []byte("</body>"), []byte(extra.String()+"</body>"), 1)
	h.Name += "-heavy"
	return h
}

// BenchmarkExtract measures Extract alone (charset, parsing, Readability,
// text) on the test pages, as they are ("pages") and inside a realistic
// weight of markup ("heavy-pages"): pages per second and allocations per
// page.
func BenchmarkExtract(b *testing.B) {
	cases := pageCases(b)
	var heavyCases []pageCase
	for _, c := range cases {
		heavyCases = append(heavyCases, heavy(c))
	}
	u, _ := url.Parse("https://news.example/article.html")
	for _, set := range []struct {
		name  string
		cases []pageCase
	}{{"pages", cases}, {"heavy-pages", heavyCases}} {
		b.Run(set.name, func(b *testing.B) {
			size := 0
			for _, c := range set.cases {
				size += len(c.Body)
			}
			b.SetBytes(int64(size / len(set.cases)))
			b.ReportAllocs()
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				c := set.cases[i%len(set.cases)]
				if _, err := Extract(c.Body, c.ContentType, u); err != nil {
					b.Fatalf("%s: %v", c.Name, err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pages/s")
			b.ReportMetric(float64(size/len(set.cases))/1024, "KiB/page")
		})
	}
}

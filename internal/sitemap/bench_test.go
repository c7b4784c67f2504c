package sitemap

import (
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"
)

// generated writes a news sitemap of n entries as it is read, never whole,
// and samples the heap every 256 KiB: peak is the most seen in use.
type generated struct {
	n, next int
	fresh   func(i int) bool
	buf     []byte
	sent    int64
	sampled int64
	base    uint64
	peak    uint64
}

func newGenerated(n int, fresh func(int) bool) *generated {
	g := &generated{n: n, fresh: fresh, next: -1}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	g.base = m.HeapAlloc
	return g
}

func (g *generated) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case g.next == -1:
			g.buf = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">` + "\n")
		case g.next < g.n:
			age := time.Hour
			if !g.fresh(g.next) {
				age = 30 * 24 * time.Hour
			}
			g.buf = fmt.Appendf(nil, "<url><loc>https://news.example.org/world/2026/03/%06d-a-long-slug-for-the-story-as-sites-write-them</loc><news:news><news:publication><news:name>Example News</news:name><news:language>en</news:language></news:publication><news:publication_date>%s</news:publication_date><news:title>Story number %d about talks on cyber norms at the United Nations</news:title><news:keywords>cyber, diplomacy, UN</news:keywords></news:news></url>\n",
				g.next, now.Add(-age).Format(time.RFC3339), g.next)
		case g.next == g.n:
			g.buf = []byte("</urlset>\n")
		default:
			return 0, io.EOF
		}
		g.next++
	}
	k := copy(p, g.buf)
	g.buf = g.buf[k:]
	g.sent += int64(k)
	if g.sent-g.sampled >= 256<<10 {
		g.sampled = g.sent
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		g.peak = max(g.peak, m.HeapAlloc)
	}
	return k, nil
}

// BenchmarkDecode50k reads a news sitemap of 50,000 entries (about 20 MB)
// as it streams in: all kept (fresh), or one in a hundred kept. The heap
// in use beyond the start grows with the entries kept, not with the
// document: compare peak-heap-MiB of the two.
func BenchmarkDecode50k(b *testing.B) {
	for _, c := range []struct {
		name  string
		fresh func(int) bool
	}{
		{"all-fresh", func(int) bool { return true }},
		{"1pc-fresh", func(i int) bool { return i%100 == 0 }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			var size int64
			var kept int
			for b.Loop() {
				g := newGenerated(MaxEntries, c.fresh)
				doc, err := Decode(g, Options{Since: now.Add(-72 * time.Hour)})
				if err != nil || doc.Cut != "" {
					b.Fatal(err, doc.Cut)
				}
				kept = len(doc.Entries)
				size = g.sent
				if g.peak > g.base {
					peak = max(peak, g.peak-g.base)
				}
			}
			b.ReportMetric(float64(size)/(1<<20), "doc-MiB")
			b.ReportMetric(float64(kept), "entries-kept")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(MaxEntries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

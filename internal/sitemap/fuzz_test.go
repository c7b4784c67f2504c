package sitemap

import (
	"strings"
	"testing"
	"time"
)

// FuzzDecode: any document is read or refused, never a panic, and what is
// kept holds only absolute http(s) URLs of dated entries.
func FuzzDecode(f *testing.F) {
	f.Add(urlset(newsURL("https://e.org/a", "A", "fr", time.Hour, "x, y")))
	f.Add(index(ref("https://e.org/s.xml", time.Hour)))
	f.Add(gzipped(urlset(newsURL("https://e.org/a", "A", "fr", time.Hour, ""))))
	f.Add(`<urlset><url><loc>https://e.org/<![CDATA[x]]></loc><lastmod>2026-01-01</lastmod></url>`)
	f.Fuzz(func(t *testing.T, doc string) {
		d, err := Decode(strings.NewReader(doc), Options{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		for _, e := range d.Entries {
			if !isWebURL(e.URL) || e.Published.IsZero() {
				t.Errorf("entry kept: %+v", e)
			}
		}
		_ = d.Feed()
	})
}

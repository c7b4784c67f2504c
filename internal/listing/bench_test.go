package listing

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse reads a listing page of 50 stories amid navigation, a
// most-read box and a footer (about 60 KB, as ministries' pages are).
func BenchmarkParse(b *testing.B) {
	var page strings.Builder
	page.WriteString(`<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Actualités</title>`)
	page.WriteString(`<script>` + strings.Repeat("var x = 1; ", 400) + `</script></head><body><header><nav><ul>`)
	for i := range 40 {
		fmt.Fprintf(&page, `<li><a href="/rubrique/%d">Rubrique %d</a></li>`, i, i)
	}
	page.WriteString(`</ul></nav></header><main><section class="releases">`)
	for i := range 50 {
		fmt.Fprintf(&page, `<div class="story"><img src="/img/%d.jpg" alt=""><h3><a href="/communiques/2026/03/%02d/communique-%d">Communiqué numéro %d sur la coopération internationale en matière de cybersécurité</a></h3><time datetime="2026-03-%02dT09:30:00+01:00">%d mars 2026</time><p class="standfirst">Le ministère annonce une nouvelle étape de la coopération avec ses partenaires européens et asiatiques.</p></div>`, i, i%28+1, i, i, i%28+1, i%28+1)
	}
	page.WriteString(`</section><aside class="most-read">`)
	for i := range 10 {
		fmt.Fprintf(&page, `<div class="teaser"><h3><a href="/lus/%d">Article très lu %d</a></h3></div>`, i, i)
	}
	page.WriteString(`</aside></main><footer>` + strings.Repeat(`<a href="/pied">Lien de pied de page</a> `, 60) + `</footer></body></html>`)
	body := []byte(page.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		f, _, err := Parse(body, "text/html; charset=utf-8", "https://www.example.gouv/presse", pressSelectors, now)
		if err != nil || len(f.Items) != 50 {
			b.Fatal(err, len(f.Items))
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

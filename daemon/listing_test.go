package daemon

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// selectorMisses reads vigie_listing_selector_misses_total{feed, selector}.
func selectorMisses(t *testing.T, d *Daemon, feed, selector string) float64 {
	t.Helper()
	families, err := d.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "vigie_listing_selector_misses_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["feed"] == feed && labels["selector"] == selector {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestListingPageDaemon: the daemon reads a listing page, publishes its
// stories with their links, and counts a selector that matched nothing.
func TestListingPageDaemon(t *testing.T) {
	t.Parallel()
	page := `<!DOCTYPE html><html lang="fr"><head><title>Communiqués</title></head><body>
<nav><a href="/">Accueil</a></nav>
<ul class="releases">
<li><a class="title" href="/communiques/onu-cyber">L'ONU adopte le rapport du groupe de travail sur la cybersécurité</a><p>Les États membres ont adopté par consensus le rapport final du groupe de travail à composition non limitée.</p></li>
<li><a class="title" href="/communiques/meteo">Météo : de fortes pluies attendues en Bretagne</a><p>Trois départements en vigilance orange.</p></li>
</ul><footer><a href="/mentions">Mentions légales</a></footer></body></html>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	defer srv.Close()
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf("  - id: communiques\n    url: %s/communiques\n    fulltext: never\n    html:\n      item: ul.releases li\n      title: a.title\n      link: a.title\n      summary: p\n      date: time.published\n", srv.URL))
	begin := time.Now()
	r := start(t, cfg)
	r.waitFetched(t, "communiques", begin)
	var got []string
	for _, it := range itemsOf(t, r) {
		got = append(got, it.URL+" "+it.Lang)
	}
	want := srv.URL + "/communiques/onu-cyber fr, " + srv.URL + "/communiques/meteo fr"
	if strings.Join(got, ", ") != want {
		t.Errorf("published %q, want %q", got, want)
	}
	if n := selectorMisses(t, r.d, "communiques", "date"); n != 1 {
		t.Errorf("vigie_listing_selector_misses_total{selector=date} = %v, want 1", n)
	}
}

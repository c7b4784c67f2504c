package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/pipeline"
)

// benchParagraphs make up the articles of BenchmarkTeaserCycle: news
// prose, some of it about cyber diplomacy.
var benchParagraphs = []string{
	"Réunis à New York, les États membres des Nations unies ont adopté par consensus le rapport final du groupe de travail à composition non limitée sur la sécurité du numérique.",
	"Le texte prévoit un mécanisme permanent chargé de suivre l'application des normes de comportement responsable des États dans le cyberespace, et un répertoire de points de contact.",
	"Le conseil municipal a voté mardi soir le budget de l'année prochaine, marqué par une hausse des dépenses consacrées à la rénovation des écoles et des gymnases de la ville.",
	"Les prévisionnistes annoncent un week-end ensoleillé sur la moitié sud du pays, avec des températures supérieures de trois à cinq degrés aux normales de saison.",
	"Plusieurs délégations ont insisté sur le renforcement des capacités des pays en développement, et sur l'application du droit international, y compris la Charte, au cyberespace.",
	"Le club a annoncé l'arrivée d'un nouvel entraîneur, qui devra redresser une équipe classée à la dix-septième place après une série de six défaites consécutives.",
	"Les syndicats et la direction se retrouveront jeudi pour une nouvelle séance de négociations sur les salaires, après l'échec des discussions de la semaine dernière.",
	"La prochaine session se tiendra à Genève au printemps, sous la présidence d'un diplomate kényan, en présence d'observateurs de la société civile et du secteur privé.",
}

// BenchmarkTeaserCycle measures what fulltext: auto adds to a cycle of a
// feed of 1,000 new teaser items (a dozen words each, linking to 1,000
// news pages on a loopback server, each an article of about 1,000
// characters inside some 150 KB of markup, as modern news sites weigh): the feed read, then each
// item's page read (robots.txt once), extracted, and the item detected and
// classified on the page's text; against the same cycle with fulltext:
// never. Publishing to NATS, the same in both, is left out. The host gap is
// off: with the default 1 s gap, 1,000 pages of one host take at least
// 1,000 s whatever the machine, a bound set by politeness, not by cost.
// CPU is the process's, the page server's included.
func BenchmarkTeaserCycle(b *testing.B) {
	const n = 1000
	site := newPageSite(b, "User-agent: *\nDisallow: /private/\n")
	padding := pagePadding()
	var items []teaserItem
	for i := range n {
		var body strings.Builder
		for j := range 6 {
			body.WriteString(benchParagraphs[(i+j)%len(benchParagraphs)] + "\n")
		}
		path := fmt.Sprintf("/articles/%d", i)
		title := fmt.Sprintf("Dépêche numéro %d de la journée", i)
		site.serve(path, strings.Replace(newsPage(title, body.String()), "</body>", padding+"</body>", 1))
		items = append(items, teaserItem{guid: fmt.Sprint("item-", i), title: title, teaser: firstWords(body.String(), 12), link: site.URL + path})
	}
	feeds := teaserFeed(b, map[string][]teaserItem{"/rss": items})
	cfg := benchConfig(b, feeds.URL+"/rss")
	p, err := pipeline.New(cfg, pipeline.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cycle := func(f config.Feed) (articles int) {
		batch, err := p.Read(ctx, f, "", "")
		if err != nil {
			b.Fatal(err)
		}
		if len(batch.Items) != n {
			b.Fatalf("%d items, want %d", len(batch.Items), n)
		}
		for _, it := range batch.Items {
			text, err := p.Expand(ctx, f, it)
			if err != nil {
				b.Fatal(err)
			}
			if text.Outcome == "ok" {
				articles++
			}
			p.AnalyzeText(f, batch.FeedTitle, it, text, batch.Fetched)
		}
		return articles
	}
	var measured [2]struct{ wall, cpu, alloc float64 }
	for i := 0; b.Loop(); i++ {
		for m, mode := range []string{"never", "auto"} {
			f := cfg.Feeds[0]
			f.FullText = mode
			runtime.GC()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			cpu0, start := cpuSeconds(), time.Now()
			got := cycle(f)
			measured[m].wall += time.Since(start).Seconds()
			measured[m].cpu += cpuSeconds() - cpu0
			runtime.ReadMemStats(&ms1)
			measured[m].alloc += float64(ms1.TotalAlloc - ms0.TotalAlloc)
			if want := map[string]int{"never": 0, "auto": n}[mode]; got != want {
				b.Fatalf("fulltext %s: %d pages read, want %d", mode, got, want)
			}
		}
	}
	per := float64(b.N)
	never, auto := measured[0], measured[1]
	b.ReportMetric(never.wall/per, "never-s/cycle")
	b.ReportMetric(auto.wall/per, "auto-s/cycle")
	b.ReportMetric((auto.wall-never.wall)/per/n*1e3, "added-ms/item")
	b.ReportMetric((auto.cpu-never.cpu)/per/n*1e3, "added-cpu-ms/item")
	b.ReportMetric((auto.alloc-never.alloc)/per/n/1024, "added-KiB-alloc/item")
	b.ReportMetric(n*per/auto.wall, "auto-items/s")
}

// pagePadding is what a modern news page adds to its article: a mega-menu
// and the page's state serialized in a script, some 150 KB.
func pagePadding() string {
	var b strings.Builder
	b.WriteString(`<nav class="mega-menu"><ul>`)
	for i := range 400 {
		fmt.Fprintf(&b, `<li class="menu-item"><a href="/rubrique/%d">Rubrique %d</a></li>`, i, i)
	}
	b.WriteString(`</ul></nav><script id="__NEXT_DATA__" type="application/json">{"props":{"items":[`)
	for i := range 1500 {
		fmt.Fprintf(&b, `{"id":%d,"title":"Titre numéro %d de l'état de la page","url":"/n/%d"},`, i, i, i)
	}
	b.WriteString(`{}]}}</script>`)
	return b.String()
}

// benchConfig is a configuration of one feed, without host gap.
func benchConfig(b *testing.B, url string) *config.Config {
	b.Helper()
	yaml := fmt.Sprintf("data_dir: %s\nfetch:\n  host_gap: -1s\nfeeds:\n  - id: teasers\n    url: %s\n    language: fr\n", b.TempDir(), url)
	cfg, err := config.Parse("feeds.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// cpuSeconds is the user and system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

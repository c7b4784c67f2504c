package listing

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/vigie-news/vigie/internal/config"
)

var now = time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC)

// pressPage is a ministry's press-release page as sites write them: a
// header with navigation, the list of releases, a "most read" box built
// like the list, and a footer full of links.
const pressPage = `<!DOCTYPE html>
<html lang="fr-FR">
<head><meta charset="utf-8"><title>Communiqués de presse - Ministère</title></head>
<body>
<header>
  <a class="logo" href="/">Ministère</a>
  <nav><ul>
    <li><a href="/actualites">Actualités</a></li>
    <li><a href="/communiques">Communiqués</a></li>
    <li><a href="/contact">Contact</a></li>
  </ul></nav>
</header>
<main>
  <h1>Communiqués de presse</h1>
  <section class="releases">
    <div class="story">
      <h3><a href="/communiques/2026/03/10/cyber-onu">Cybersécurité : la France salue l'adoption du rapport de l'ONU</a></h3>
      <time datetime="2026-03-10T09:30:00+01:00">10 mars 2026</time>
      <p class="standfirst">Le ministre se félicite du consensus obtenu à New York sur le mécanisme permanent.</p>
    </div>
    <div class="story">
      <h3><a href="https://www.example.gouv/communiques/2026/03/09/appel-de-paris">L'Appel de Paris accueille trois nouveaux soutiens</a></h3>
      <span class="date"><time>9 mars 2026 à 16h15</time></span>
      <p class="standfirst">Trois États rejoignent l'Appel de Paris pour la confiance et la sécurité dans le cyberespace.</p>
    </div>
    <div class="story">
      <h3><a href="communiques/2026/02/27/dialogue-cyber?utm_source=home#top">Dialogue cyber franco-japonais à Tokyo</a></h3>
      <time>27 février 2026</time>
    </div>
    <div class="story">
      <h3>Un encadré sans lien</h3>
      <time>1 mars 2026</time>
    </div>
    <div class="story">
      <h3><a href="/communiques/2026/03/10/cyber-onu">Cybersécurité : la France salue l'adoption du rapport de l'ONU</a></h3>
      <time datetime="2026-03-10T09:30:00+01:00">10 mars 2026</time>
    </div>
  </section>
  <aside class="most-read">
    <h2>Les plus lus</h2>
    <div class="teaser"><h3><a href="/actualites/canicule">Canicule : les conseils du ministère</a></h3><time>2 juillet 2025</time></div>
    <div class="teaser"><h3><a href="/actualites/vacances">Partir en vacances à l'étranger</a></h3></div>
  </aside>
</main>
<footer>
  <a href="/mentions-legales">Mentions légales</a> <a href="/plan-du-site">Plan du site</a>
  <p>© 2026 Ministère</p>
</footer>
</body></html>`

var pressSelectors = config.HTML{Item: "div.story", Title: "h3", Link: "h3 a", Date: "time", Summary: "p.standfirst"}

func TestParsePressPage(t *testing.T) {
	f, rep, err := Parse([]byte(pressPage), "text/html; charset=utf-8", "https://www.example.gouv/presse/index.html", pressSelectors, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ title, link, date, summary string }{
		{"Cybersécurité : la France salue l&#39;adoption du rapport de l&#39;ONU", "https://www.example.gouv/communiques/2026/03/10/cyber-onu", "2026-03-10T08:30:00Z", "Le ministre se félicite du consensus obtenu à New York sur le mécanisme permanent."},
		{"L&#39;Appel de Paris accueille trois nouveaux soutiens", "https://www.example.gouv/communiques/2026/03/09/appel-de-paris", "2026-03-09T16:15:00Z", "Trois États rejoignent l&#39;Appel de Paris pour la confiance et la sécurité dans le cyberespace."},
		{"Dialogue cyber franco-japonais à Tokyo", "https://www.example.gouv/presse/communiques/2026/02/27/dialogue-cyber?utm_source=home", "2026-02-27T00:00:00Z", ""},
	}
	if len(f.Items) != len(want) {
		for _, it := range f.Items {
			t.Logf("item %q %s", it.Title, it.Link)
		}
		t.Fatalf("%d items, want %d: the stories, not the navigation, the most-read box or the footer", len(f.Items), len(want))
	}
	for i, w := range want {
		it := f.Items[i]
		date := ""
		if it.PublishedParsed != nil {
			date = it.PublishedParsed.Format(time.RFC3339)
		}
		if it.Title != w.title || it.Link != w.link || date != w.date || it.Description != w.summary {
			t.Errorf("item %d = %q %s %s %q\nwant       %q %s %s %q", i, it.Title, it.Link, date, it.Description, w.title, w.link, w.date, w.summary)
		}
	}
	if rep.Items != 5 || rep.NoLink != 1 || rep.Repeated != 1 || len(rep.Missed) != 0 {
		t.Errorf("report %+v, want 5 matched, 1 without link, 1 repeated, no selector missed", rep)
	}
	if f.Language != "fr" || f.Title != "Communiqués de presse - Ministère" {
		t.Errorf("page language %q, title %q", f.Language, f.Title)
	}
}

// TestSelectorsThatMatchNothing: each selector that matches nothing on the
// page is reported; a page whose items no longer match gives no item.
func TestSelectorsThatMatchNothing(t *testing.T) {
	h := pressSelectors
	h.Date, h.Summary = "span.published", "div.chapo"
	f, rep, err := Parse([]byte(pressPage), "", "https://www.example.gouv/", h, now)
	if err != nil || len(f.Items) != 3 || strings.Join(rep.Missed, ",") != "date,summary" {
		t.Errorf("%v: %d items, missed %v; want 3 items, date and summary missed", err, len(f.Items), rep.Missed)
	}
	h.Item = "article.release"
	f, rep, err = Parse([]byte(pressPage), "", "https://www.example.gouv/", h, now)
	if err != nil || len(f.Items) != 0 || strings.Join(rep.Missed, ",") != "item" {
		t.Errorf("%v: %d items, missed %v; want none, item missed", err, len(f.Items), rep.Missed)
	}
	if _, _, err := Parse([]byte(pressPage), "", "https://www.example.gouv/", config.HTML{Item: "div[", Title: "h3", Link: "a"}, now); err == nil {
		t.Error("an invalid selector was accepted")
	}
}

// TestLinks: a link's href, that of the first <a> inside the element, or
// of the <a> around it, resolved against <base>; javascript: and
// fragment-only links are no links.
func TestLinks(t *testing.T) {
	page := `<html><head><base href="https://cdn.example.org/fr/"></head><body>
<ul class="news">
<li><span class="t">A</span><div class="l"><a href="a.html">lire</a></div></li>
<li><a href="/b.html"><span class="t">B</span></a></li>
<li><a href="/f.html"><h3 class="l t">F</h3></a></li>
<li><span class="t">C</span><a class="l" href="javascript:void(0)">x</a></li>
<li><span class="t">D</span><a class="l" href="#d">x</a></li>
<li><span class="t">E</span><a class="l" href="mailto:press@example.org">x</a></li>
</ul></body></html>`
	f, rep, err := Parse([]byte(page), "", "https://www.example.org/news", config.HTML{Item: "ul.news li", Title: ".t", Link: ".l, a"}, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range f.Items {
		got = append(got, it.Title+" "+it.Link)
	}
	if strings.Join(got, " | ") != "A https://cdn.example.org/fr/a.html | B https://cdn.example.org/b.html | F https://cdn.example.org/f.html" || rep.NoLink != 3 {
		t.Errorf("items %q, %d without link", got, rep.NoLink)
	}
}

// TestLinkAroundTheTitle: the <a> an element is in gives its link, never
// an <a> around the item itself.
func TestLinkAroundTheTitle(t *testing.T) {
	page := `<html><body><a href="/everything"><ul class="news"><li><a href="/g.html"><h3>G</h3></a></li><li><h3>H</h3></li></ul></a></body></html>`
	f, rep, err := Parse([]byte(page), "", "https://www.example.org/", config.HTML{Item: "ul.news li", Title: "h3", Link: "h3"}, now)
	if err != nil || len(f.Items) != 1 || f.Items[0].Link != "https://www.example.org/g.html" || rep.NoLink != 1 {
		t.Errorf("%v: %+v, %d without link; want G only", err, f.Items, rep.NoLink)
	}
}

// TestWindows1251: a listing page in windows-1251, declared by its meta,
// by the HTTP header only, or not at all, gives its titles in Cyrillic.
func TestWindows1251(t *testing.T) {
	page := `<html lang="ru"><head>%s<title>Новости</title></head><body>
<div class="news-item"><a href="/news/1">Россия и Китай обсудили международную информационную безопасность</a><span>10 марта 2026</span></div>
<div class="news-item"><a href="/news/2">МИД России: заявление о кибератаках</a><span>9 марта 2026 г., 12:40</span></div>
</body></html>`
	enc := func(s string) []byte {
		b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	h := config.HTML{Item: "div.news-item", Title: "a", Link: "a", Date: "span"}
	for name, c := range map[string]struct{ meta, contentType string }{
		"meta":       {`<meta charset="windows-1251">`, "text/html"},
		"http":       {``, "text/html; charset=windows-1251"},
		"undeclared": {``, "text/html"},
	} {
		t.Run(name, func(t *testing.T) {
			body := enc(strings.Replace(page, "%s", c.meta, 1))
			f, rep, err := Parse(body, c.contentType, "https://mid.example.ru/", h, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) != 2 || f.Items[0].Title != "Россия и Китай обсудили международную информационную безопасность" || f.Items[1].Title != "МИД России: заявление о кибератаках" {
				t.Fatalf("items %+v (read as %s)", f.Items, rep.Charset)
			}
			if d := f.Items[1].PublishedParsed; d == nil || d.Format(time.RFC3339) != "2026-03-09T12:40:00Z" {
				t.Errorf("second date %v, want 2026-03-09 12:40", d)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct{ text, lang, want string }{
		{"2026-03-10T09:30:00+01:00", "", "2026-03-10T08:30:00Z"},
		{"Publié le 2026-03-10", "fr", "2026-03-10T00:00:00Z"},
		{"10 mars 2026", "fr", "2026-03-10T00:00:00Z"},
		{"mardi 10 mars 2026 à 14h30", "fr", "2026-03-10T14:30:00Z"},
		{"1er avril 2026", "fr", "2026-04-01T00:00:00Z"},
		{"10 March 2026", "en", "2026-03-10T00:00:00Z"},
		{"March 10, 2026 2:30 PM", "en", "2026-03-10T14:30:00Z"},
		{"03/10/2026", "en", "2026-03-10T00:00:00Z"},
		{"10/03/2026", "fr", "2026-03-10T00:00:00Z"},
		{"25/12/2025", "en", "2025-12-25T00:00:00Z"},
		{"10.03.2026", "de", "2026-03-10T00:00:00Z"},
		{"10. März 2026", "de", "2026-03-10T00:00:00Z"},
		{"10 de marzo de 2026", "es", "2026-03-10T00:00:00Z"},
		{"10 de março de 2026", "pt", "2026-03-10T00:00:00Z"},
		{"10 марта 2026 г.", "ru", "2026-03-10T00:00:00Z"},
		{"10 مارس 2026", "ar", "2026-03-10T00:00:00Z"},
		{"10 تشرين الأول 2025", "ar", "2025-10-10T00:00:00Z"},
		{"2026年3月10日", "ja", "2026-03-10T00:00:00Z"},
		{"2026年03月10日 14:30", "zh", "2026-03-10T14:30:00Z"},
		{"Thứ Ba, 10/03/2026 - 14:30", "vi", "2026-03-10T14:30:00Z"},
		{"ngày 10 tháng 3 năm 2026", "vi", "2026-03-10T00:00:00Z"},
		{"il y a 3 heures", "fr", "2026-03-10T15:00:00Z"},
		{"2 days ago", "en", "2026-03-08T18:00:00Z"},
		{"Tue, 10 Mar 2026 08:00:00 GMT", "en", "2026-03-10T08:00:00Z"},
	}
	for _, tt := range tests {
		got, ok := ParseDate(tt.text, tt.lang, now)
		if !ok || got.Format(time.RFC3339) != tt.want {
			t.Errorf("ParseDate(%q, %s) = %v, %v; want %s", tt.text, tt.lang, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "Lire la suite", "10 mars", "31/02/2026", "À la une"} {
		if got, ok := ParseDate(bad, "fr", now); ok {
			t.Errorf("ParseDate(%q) = %v, want no date", bad, got)
		}
	}
}

// Package feedtest serves RSS feeds on loopback for the tests of the
// commands that read feeds or the items stored from them, with a few
// items written for the tests: cyber-diplomacy items that raise an alert,
// and off-topic ones that raise none.
package feedtest

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
)

// Item is one item of a test feed.
type Item struct{ GUID, Title, Body string }

// Own are cyber-diplomacy items in French written for the tests: each
// raises an alert of the built-in classifier.
var Own = []Item{
	{"oewg-1", "Les États membres de l'ONU adoptent le rapport du groupe de travail à composition non limitée sur la sécurité des TIC",
		"Réunis à New York, les États membres des Nations unies ont adopté par consensus le rapport final du groupe de travail à composition non limitée (OEWG) sur la sécurité du numérique et de son utilisation, qui prévoit un mécanisme permanent sur la cybersécurité internationale."},
	{"budapest-1", "Cybercriminalité : trois nouveaux pays adhèrent à la Convention de Budapest",
		"Le Conseil de l'Europe a annoncé que trois États ont déposé leurs instruments d'adhésion à la Convention de Budapest sur la cybercriminalité, renforçant la coopération internationale contre la criminalité en ligne."},
}

// Unrelated are clearly off-topic French items: they raise no alert.
var Unrelated = []Item{
	{"sport-1", "Football : Lyon s'impose à Marseille", "L'Olympique lyonnais a battu l'Olympique de Marseille deux buts à un samedi soir au Vélodrome, grâce à un doublé de son avant-centre."},
	{"meteo-1", "Météo : de fortes pluies attendues en Bretagne", "Météo-France place trois départements en vigilance orange pour des pluies intenses et des vents violents à partir de mardi."},
	{"cuisine-1", "La recette de la tarte tatin", "Caramélisez les pommes avec le beurre et le sucre, couvrez de pâte brisée et enfournez quarante minutes à 180 degrés."},
}

// DeskEntities is an extra entity file: a body, VGXT, that only it
// defines.
const DeskEntities = `orgs:
  - key: VGXT
    name: Vigie Test Organisation
    any: [Vigie Test Organisation]
    fr: [Organisation Vigie de test]
`

// BodiesRules is a classifier that needs a body in the item: it can match
// the desk's body only when the pipeline hands it the mentions of the
// configured entity set (the built-in set does not know VGXT).
const BodiesRules = `name: bodies
threshold: 1
require: [body]
groups:
  body:
    entities: [orgs]
topics:
  - id: meeting
    threshold: 1
    terms:
      - weight: 2
        fr: [réunion]
`

// Server serves one RSS document and counts the requests.
type Server struct {
	*httptest.Server
	Requests atomic.Int64
}

// Serve serves an RSS document with the items until the test ends.
func Serve(t testing.TB, items ...[]Item) *Server {
	t.Helper()
	var all []Item
	for _, list := range items {
		all = append(all, list...)
	}
	doc := RSS(all)
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, doc)
	}))
	t.Cleanup(s.Close)
	return s
}

// RSS is an RSS 2.0 document in French with the items, published an hour
// ago. Their links name a host that never resolves (RFC 6761): their pages
// are asked for and not found, and no test reaches beyond loopback.
func RSS(items []Item) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test feed</title><link>http://example.invalid/</link><language>fr</language>`)
	for _, it := range items {
		fmt.Fprintf(&b, "<item><guid>%s</guid><title>%s</title><link>http://example.invalid/%s</link><description>%s</description><pubDate>%s</pubDate></item>",
			html.EscapeString(it.GUID), html.EscapeString(it.Title), it.GUID, html.EscapeString(it.Body), time.Now().Add(-time.Hour).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// Config is a configuration with its data under dataDir, the embedded
// NATS server on a port of its own, no HTTP listener, no gap between two
// requests to one host (the tests' feeds share 127.0.0.1), and the feeds
// of feedsYAML (list entries, indented by two spaces).
func Config(t testing.TB, dataDir, feedsYAML string) *config.Config {
	t.Helper()
	yaml := fmt.Sprintf("nats:\n  listen: 127.0.0.1:-1\ndata_dir: %s\nhttp:\n  listen: \"\"\nfetch:\n  host_gap: -1s\nfeeds:\n%s", dataDir, feedsYAML)
	cfg, err := config.Parse(filepath.Join(dataDir, "feeds.yaml"), []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

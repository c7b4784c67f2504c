package parse

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSalvage(t *testing.T) {
	const (
		head  = `<?xml version="1.0"?>` + "\n" + `<rss version="2.0"><channel><title>Wire</title><link>https://example.org/</link>` + "\n"
		item1 = `<item><title>one</title><guid>https://example.org/1</guid></item>` + "\n"
		item2 = `<item><title>two</title><guid>https://example.org/2</guid><description><![CDATA[<p>x & y</p>]]></description></item>` + "\n"
		item3 = `<item><title>three</title><guid>https://example.org/3</guid></item>` + "\n"
		tail  = `</channel></rss>` + "\n"
		atom  = `<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>` +
			`<entry><title>one</title><id>urn:1</id></entry>` +
			`<entry><title>two</title><id>urn:2</id></entry>`
		rdf = `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">` +
			`<channel rdf:about="https://example.org/"><title>R</title></channel>` +
			`<item rdf:about="https://example.org/r/1"><title>one</title><link>https://example.org/r/1</link></item>`
	)
	tests := []struct {
		name   string
		body   string
		titles []string // nil: the whole feed must fail with ErrMalformed
	}{
		{name: "cut inside the third item", body: head + item1 + item2 + `<item><title>thr`,
			titles: []string{"one", "two"}},
		{name: "cut inside a CDATA section", body: head + item1 + `<item><title>two</title><description><![CDATA[<p>half`,
			titles: []string{"one"}},
		{name: "cut inside an attribute", body: head + item1 + item2 + `<item><title>t</title><enclosure url="https://ex`,
			titles: []string{"one", "two"}},
		{name: "cut inside a comment", body: head + item1 + `<!-- generated`,
			titles: []string{"one"}},
		{name: "cut between items", body: head + item1 + item2,
			titles: []string{"one", "two"}},
		{name: "last > missing", body: head + item1 + item2 + item3 + `</channel></rss`,
			titles: []string{"one", "two", "three"}},
		{name: "unclosed html in a description", body: head + `<item><title>one</title><description><p>loose<br></description></item>` + "\n" + `<item><title>t`,
			titles: []string{"one"}},
		{name: "atom cut inside an entry", body: atom + `<entry><title>three</title><id>urn:`,
			titles: []string{"one", "two"}},
		{name: "rdf cut inside an item", body: rdf + `<item rdf:about="https://example.org/r/2"><title>tw`,
			titles: []string{"one"}},
		{name: "broken in the middle", body: head + item1 + item2 + `<item><title>three</title>< </item>` + "\n" + item3 + tail,
			titles: []string{"one", "two"}},
		{name: "an item in capitals cut", body: head + item1 + `<Item><title>partial</title><link>https://example.org/p`,
			titles: []string{"one"}},
		{name: "cut inside a quoted > of an attribute", body: head + item1 + `<enclosure url="https://example.org/a>b`,
			titles: []string{"one"}},
		{name: "a > in a doctype's subset", body: `<!DOCTYPE rss [<!ENTITY a "x>y">]>` + "\n" + strings.TrimPrefix(head, `<?xml version="1.0"?>`) + item1 + `<item><title>tw`,
			titles: []string{"one"}},
		{name: "one line broken in the middle", body: strings.ReplaceAll(head+item1+item2+`<item><title>three</title>< </item>`+item3+tail, "\n", ""),
			titles: []string{"one", "two"}},
		{name: "relative links and the channel link after the items",
			body: `<rss version="2.0"><channel><title>W</title><item><title>one</title><link>a/1</link></item>` +
				`<item><title>two</title><link>a/2`},
		{name: "no whole item before the cut", body: head + `<item><title>one</title><guid>https://exa`},
		{name: "cut in the channel's head", body: `<rss version="2.0"><channel><title>Wi`},
		{name: "broken before any item", body: head + `<image><url>< </url></image>` + "\n" + item1 + tail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.body), "application/rss+xml", "https://example.org/feed")
			if tt.titles == nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("got %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range f.Items {
				got = append(got, it.Title)
			}
			if strings.Join(got, "|") != strings.Join(tt.titles, "|") {
				t.Errorf("items %q, want %q", got, tt.titles)
			}
			why := f.Salvaged
			if !strings.Contains(why, "XML syntax error") || !strings.Contains(why, fmt.Sprintf("kept %d whole item", len(tt.titles))) {
				t.Errorf("Salvaged = %q", why)
			}
		})
	}
}

func TestSalvagedWholeFeed(t *testing.T) {
	f, err := Parse([]byte(`<rss version="2.0"><channel><title>W</title><item><title>one</title></item></channel></rss>`), "", "https://example.org/feed")
	if err != nil {
		t.Fatal(err)
	}
	if why := f.Salvaged; why != "" {
		t.Errorf("a whole feed reported as salvaged: %q", why)
	}
}

func TestLastWholeItemKeepsFeedTitle(t *testing.T) {
	body := `<rss version="2.0"><channel><title>Wire</title><item><title>one</title></item><item><title>tw`
	f, err := Parse([]byte(body), "", "https://example.org/feed")
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "Wire" || len(f.Items) != 1 {
		t.Errorf("title %q, %d items", f.Title, len(f.Items))
	}
}

// TestSalvageScanCost checks that finding the cut allocates in proportion to
// the nesting, not to the size of the body times the nesting: deep markup
// outside any item, then megabytes of empty elements.
func TestSalvageScanCost(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<rss><channel><item><title>a</title></item>` + strings.Repeat("<a>", 500))
	for b.Len() < 1<<20 {
		b.WriteString("<b/>")
	}
	body := []byte(b.String())
	allocs := testing.AllocsPerRun(3, func() {
		if cut, items := lastWholeItem(body); items != 1 || cut == 0 {
			t.Fatalf("cut %d, items %d", cut, items)
		}
		if open := openElements(body); len(open) != 502 {
			t.Fatalf("%d elements open, want 502", len(open))
		}
	})
	if allocs > 5000 {
		t.Errorf("%.0f allocations for a 1 MiB body", allocs)
	}
}

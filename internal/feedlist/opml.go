// Package feedlist edits the list of feeds of a configuration file: it
// reads and writes OPML, the exchange format of feed readers, and adds
// feeds to feeds.yaml through its YAML node tree, keeping every comment
// and line of what was there, with an atomic write.
package feedlist

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Limits on an OPML file, so that a hostile one costs little.
const (
	MaxOPMLBytes = 16 << 20
	MaxOutlines  = 100000
	MaxDepth     = 64
)

// ErrRefused is an OPML file that is not read at all: a DOCTYPE or an
// entity declaration, a file too large, too many outlines, too deep, or not
// OPML.
var ErrRefused = errors.New("OPML refused")

// vigieNS is the namespace of the attributes Vigie adds to the outlines it
// exports (vigie:id), so that an import gives feeds their ids back.
const vigieNS = "https://github.com/vigie-news/vigie"

// Outline is one feed of an OPML file.
type Outline struct {
	// Line is where the outline starts in the file.
	Line int
	// Title is its title (else its text).
	Title string
	// URL is its xmlUrl.
	URL string
	// Language is its language attribute, "" if none.
	Language string
	// ID is the vigie:id a Vigie export gave it, "" if none.
	ID string
	// Folders are the titles of the outlines it is nested in.
	Folders []string
}

// Skipped is an outline left out, and why.
type Skipped struct {
	Line   int
	Title  string
	URL    string
	Reason string
}

// ReadOPML reads the feeds of an OPML 1.0 or 2.0 document: every outline
// with an xmlUrl, in folders nested at any depth. Outlines with neither an
// xmlUrl nor outlines inside are reported as skipped. A document with a
// DOCTYPE or an entity declaration is refused (ErrRefused): OPML needs
// neither, and they are how entity bombs come.
func ReadOPML(r io.Reader) ([]Outline, []Skipped, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxOPMLBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > MaxOPMLBytes {
		return nil, nil, fmt.Errorf("%w: larger than %d bytes", ErrRefused, MaxOPMLBytes)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.Entity = xml.HTMLEntity // &nbsp; and the like, as exporters write them
	var (
		out     []Outline
		skipped []Skipped
		folders []string
		// open holds, per open outline, whether it was a folder pushed
		// on folders.
		open    []bool
		sawOPML bool
		count   int
		pending *Skipped // an outline without xmlUrl, until we know if it has children
	)
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: not well-formed XML: %w", ErrRefused, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			d := strings.ToUpper(strings.TrimSpace(string(t)))
			if strings.HasPrefix(d, "DOCTYPE") || strings.HasPrefix(d, "ENTITY") {
				return nil, nil, fmt.Errorf("%w: line %d: a DOCTYPE or entity declaration (OPML needs none)", ErrRefused, line)
			}
		case xml.StartElement:
			if !sawOPML {
				if t.Name.Local != "opml" {
					return nil, nil, fmt.Errorf("%w: the root element is <%s>, not <opml>", ErrRefused, t.Name.Local)
				}
				sawOPML = true
				continue
			}
			if t.Name.Local != "outline" {
				continue
			}
			if pending != nil {
				pending = nil // the outline without xmlUrl has children: a folder
			}
			count++
			if count > MaxOutlines {
				return nil, nil, fmt.Errorf("%w: more than %d outlines", ErrRefused, MaxOutlines)
			}
			if len(open) >= MaxDepth {
				return nil, nil, fmt.Errorf("%w: line %d: outlines nested deeper than %d", ErrRefused, line, MaxDepth)
			}
			o := Outline{Line: line, Folders: append([]string(nil), folders...)}
			var text string
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == vigieNS && a.Name.Local == "id":
					o.ID = strings.TrimSpace(a.Value)
				case a.Name.Local == "xmlUrl", a.Name.Local == "xmlurl":
					o.URL = strings.TrimSpace(a.Value)
				case a.Name.Local == "title":
					o.Title = collapse(a.Value)
				case a.Name.Local == "text":
					text = collapse(a.Value)
				case a.Name.Local == "language":
					o.Language = strings.TrimSpace(a.Value)
				}
			}
			if o.Title == "" {
				o.Title = text
			}
			if o.URL != "" {
				out = append(out, o)
				open = append(open, false)
				continue
			}
			// A folder, or an outline with no feed: known at its end.
			folders = append(folders, o.Title)
			open = append(open, true)
			pending = &Skipped{Line: line, Title: o.Title, Reason: "no xmlUrl: not a feed"}
		case xml.EndElement:
			if t.Name.Local != "outline" || len(open) == 0 {
				continue
			}
			if open[len(open)-1] {
				folders = folders[:len(folders)-1]
				if pending != nil {
					skipped = append(skipped, *pending)
					pending = nil
				}
			}
			open = open[:len(open)-1]
		}
	}
	if !sawOPML {
		return nil, nil, fmt.Errorf("%w: no <opml> element", ErrRefused)
	}
	return out, skipped, nil
}

// ExportFeed is one feed for WriteOPML.
type ExportFeed struct {
	ID, Title, URL, Language string
}

// WriteOPML writes feeds as an OPML 2.0 document that feed readers
// (Miniflux, FreshRSS, Feedly, Inoreader) import: one outline of type rss
// per feed, with its title, xmlUrl and language, and its Vigie id in an
// attribute of Vigie's namespace that readers ignore.
func WriteOPML(w io.Writer, title string, feeds []ExportFeed, now time.Time) error {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<opml version=\"2.0\" xmlns:vigie=\"%s\">\n", vigieNS)
	fmt.Fprintf(&b, "  <head>\n    <title>%s</title>\n    <dateCreated>%s</dateCreated>\n  </head>\n  <body>\n", escape(title), now.UTC().Format(time.RFC1123Z))
	for _, f := range feeds {
		t := f.Title
		if t == "" {
			t = f.ID
		}
		fmt.Fprintf(&b, `    <outline type="rss" text="%s" title="%s" xmlUrl="%s"`, escape(t), escape(t), escape(f.URL))
		if f.Language != "" {
			fmt.Fprintf(&b, ` language="%s"`, escape(f.Language))
		}
		fmt.Fprintf(&b, " vigie:id=\"%s\"/>\n", escape(f.ID))
	}
	b.WriteString("  </body>\n</opml>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

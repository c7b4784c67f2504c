package parse

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"html"
	"net/url"
	"regexp"
	"strings"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"
)

// What Parse does beyond gofeed, so that an item reads as long-established
// parsers (feedparser) read it. Every item field Parse returns holds HTML or
// escaped text, as normalize.Text expects: plain text is escaped here, so
// that text that only looks like markup stays text.

// permalinkGUIDs gives an RSS item without a link its guid, when the guid
// is a permalink (isPermaLink absent or true) and an absolute http(s) URL:
// RSS 2.0 says such a guid is the item's URL.
func permalinkGUIDs(src *rss.Feed, out *gofeed.Feed) {
	if src == nil || len(src.Items) != len(out.Items) {
		return
	}
	for i, it := range src.Items {
		o := out.Items[i]
		if it == nil || o == nil || strings.TrimSpace(o.Link) != "" || it.GUID == nil {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(it.GUID.IsPermalink), "false") {
			continue
		}
		guid := strings.TrimSpace(it.GUID.Value)
		if u, err := url.Parse(guid); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			o.Link = guid
		}
	}
}

// escapePlainJSON escapes what JSON Feed defines as plain text (title,
// summary, content_text), which gofeed passes on as it is.
func escapePlainJSON(it *gofeed.Item, contentText, contentHTML string) {
	it.Title = html.EscapeString(it.Title)
	it.Description = html.EscapeString(it.Description)
	if contentHTML == "" && contentText != "" {
		it.Content = html.EscapeString(contentText)
	}
}

// atomConstruct is the type and mode of one Atom text construct, and its
// text when it is base64.
type atomConstruct struct {
	typ, mode, raw string
	present        bool
}

// plain reports whether the construct holds plain text (Atom 1.0 type
// "text", Atom 0.3 "text/plain", or no type and no mode).
func (c atomConstruct) plain() bool {
	t := strings.ToLower(strings.TrimSpace(c.typ))
	return c.mode != "base64" && (t == "text" || t == "text/plain" || t == "" && c.mode == "")
}

// markup reports whether a decoded base64 construct holds markup.
func (c atomConstruct) markup() bool {
	t := strings.ToLower(strings.TrimSpace(c.typ))
	return t == "html" || t == "xhtml" || strings.Contains(t, "html") || strings.HasSuffix(t, "+xml")
}

// atomEntry is what fixAtomText needs of one entry.
type atomEntry struct{ title, summary, content atomConstruct }

// atomEntries reads the text constructs of a document's entries (children
// of the root): their type and mode, which gofeed does not pass on, and the
// text of base64 ones. It stops at the first error: the entries before it
// are whole.
func atomEntries(doc []byte) []atomEntry {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	var (
		out   []atomEntry
		depth int
		cur   *atomConstruct
		entry atomEntry
		text  strings.Builder
	)
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 2 && t.Name.Local == "entry":
				entry = atomEntry{}
			case depth == 3:
				switch t.Name.Local {
				case "title":
					cur = &entry.title
				case "summary":
					cur = &entry.summary
				case "content":
					cur = &entry.content
				default:
					cur = nil
				}
				if cur != nil {
					*cur = atomConstruct{present: true}
					for _, a := range t.Attr {
						switch a.Name.Local {
						case "type":
							cur.typ = a.Value
						case "mode":
							cur.mode = strings.ToLower(strings.TrimSpace(a.Value))
						}
					}
					text.Reset()
				}
			}
		case xml.CharData:
			if cur != nil && depth == 3 && cur.mode == "base64" {
				text.Write(t)
			}
		case xml.EndElement:
			if depth == 3 && cur != nil {
				if cur.mode == "base64" {
					cur.raw = text.String()
				}
				cur = nil
			}
			if depth == 2 && t.Name.Local == "entry" {
				out = append(out, entry)
			}
			depth--
		}
	}
}

// fixAtomText escapes the plain-text constructs of an Atom feed's items
// (gofeed returns their text decoded, which would then be read as HTML)
// and decodes base64 ones whatever their type (gofeed decodes them only
// for some types).
func fixAtomText(doc []byte, f *gofeed.Feed) {
	entries := atomEntries(doc)
	if len(entries) < len(f.Items) {
		return // not the same entries: leave gofeed's reading
	}
	for i, it := range f.Items {
		if it == nil {
			continue
		}
		e := entries[i]
		it.Title = fixConstruct(e.title, it.Title)
		it.Description = fixConstruct(e.summary, it.Description)
		it.Content = fixConstruct(e.content, it.Content)
	}
}

func fixConstruct(c atomConstruct, v string) string {
	switch {
	case !c.present:
		return v
	case c.mode == "base64":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.raw), ""))
		if err != nil {
			return v
		}
		if c.markup() {
			return string(b)
		}
		if t := strings.ToLower(c.typ); t == "" || t == "text" || strings.HasPrefix(t, "text/") {
			return html.EscapeString(string(b))
		}
		return "" // an image or another binary: no text
	case c.plain():
		return html.EscapeString(v)
	}
	return v
}

// atomRootNS finds the default namespace declared on an Atom root.
var atomRootNS = regexp.MustCompile(`(<feed\b[^>]*?\sxmlns\s*=\s*)(["'])([^"']*)(["'])`)

// knownAtomNS are the namespaces gofeed reads Atom in.
var knownAtomNS = map[string]bool{
	"http://www.w3.org/2005/Atom": true,
	"http://purl.org/atom/ns#":    true,
}

// renamespaceAtom returns doc with its root's default namespace replaced by
// Atom's, when it is another one (an Atom 0.3 document in a namespace of
// its own, which gofeed would read as having no entries); nil otherwise.
func renamespaceAtom(doc []byte) []byte {
	loc := atomRootNS.FindSubmatchIndex(head(doc, 64<<10))
	if loc == nil {
		return nil
	}
	ns := string(doc[loc[6]:loc[7]])
	if knownAtomNS[ns] {
		return nil
	}
	want := "http://www.w3.org/2005/Atom"
	if bytes.Contains(doc[loc[0]:loc[1]], []byte("0.3")) || bytes.Contains(head(doc[loc[0]:], 512), []byte(`version="0.3"`)) {
		want = "http://purl.org/atom/ns#"
	}
	out := make([]byte, 0, len(doc)+len(want))
	out = append(out, doc[:loc[6]]...)
	out = append(out, want...)
	out = append(out, doc[loc[7]:]...)
	return out
}

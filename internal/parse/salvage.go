package parse

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mmcdole/gofeed"
)

// salvagedKey is where Parse notes, in Feed.Custom, that it kept only the
// items before a break in the document.
const salvagedKey = "vigie:salvaged"

// Salvaged returns why only part of the feed could be read ("" when the whole
// of it was): the body was cut short or broken, and Parse kept the complete
// items before the break. The items after it are missing, so a caller should
// not keep the response's validators: the next fetch must read it all again.
func Salvaged(f *gofeed.Feed) string {
	if f == nil {
		return ""
	}
	return f.Custom[salvagedKey]
}

// salvageXML retries an XML feed that gofeed rejected with a syntax error:
// the document is cut after the last complete item or entry before the
// break, and the elements still open there are closed. Only whole items are
// kept, so that an item cut in the middle never goes out with a partial
// title and later again, whole, under another id. It returns nil when no
// complete item precedes the break.
func salvageXML(p *gofeed.Parser, text []byte, parseErr error) *gofeed.Feed {
	var se *xml.SyntaxError
	if !errors.As(parseErr, &se) {
		return nil
	}
	limit := len(text)
	if !strings.Contains(se.Msg, "unexpected EOF") {
		// Broken in the middle: trust only the lines before the error's.
		limit = lineStart(text, se.Line)
	}
	cut, open, items := lastWholeItem(text[:limit])
	if items == 0 {
		return nil
	}
	fixed := make([]byte, 0, cut+64)
	fixed = append(fixed, text[:cut]...)
	for i := len(open) - 1; i >= 0; i-- {
		fixed = append(fixed, "</"+open[i]+">"...)
	}
	f, err := p.Parse(bytes.NewReader(fixed))
	if err != nil || len(f.Items) == 0 {
		return nil
	}
	if f.Custom == nil {
		f.Custom = make(map[string]string)
	}
	kept := "1 whole item"
	if len(f.Items) != 1 {
		kept = fmt.Sprintf("%d whole items", len(f.Items))
	}
	f.Custom[salvagedKey] = fmt.Sprintf("%v; kept %s, cut at byte %d of %d", parseErr, kept, cut, len(text))
	return f
}

// lineStart returns the offset of the first byte of line n (1-based).
func lineStart(b []byte, n int) int {
	off := 0
	for line := 1; line < n; line++ {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return len(b)
		}
		off += i + 1
	}
	return off
}

// lastWholeItem scans b leniently (like tooDeep) and returns the offset just
// after the last complete piece of markup at which no item or entry was open
// and at least one had closed, the names of the elements open there, and how
// many items had closed. Markup cut off by the end of b ends the scan.
func lastWholeItem(b []byte) (cut int, open []string, items int) {
	var stack []string
	inItem, closed := 0, 0
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			break
		}
		i += j + 1
		if i >= len(b) {
			break
		}
		var ok bool
		switch c := b[i]; {
		case bytes.HasPrefix(b[i:], []byte("!--")):
			i, ok = past(b, i+3, "-->")
		case bytes.HasPrefix(b[i:], []byte("![CDATA[")):
			i, ok = past(b, i+8, "]]>")
		case c == '?':
			i, ok = past(b, i+1, "?>")
		case c == '!':
			i = skipDecl(b, i+1)
			ok = b[i-1] == '>'
		case c == '/':
			name := tagName(b[i+1:])
			if i, ok = past(b, i+1, ">"); !ok {
				break
			}
			k := lastIndex(stack, name)
			if k < 0 {
				continue // a stray end tag: ignored, as a lenient parser does
			}
			for _, n := range stack[k:] {
				if isItem(n) {
					inItem--
					closed++
				}
			}
			stack = stack[:k]
		case isNameStart(c):
			start := i
			var selfClosing bool
			i, selfClosing = skipTag(b, i)
			if ok = b[i-1] == '>'; !ok {
				break
			}
			if !selfClosing && !isVoid(b[start:i]) {
				name := tagName(b[start:])
				stack = append(stack, name)
				if isItem(name) {
					inItem++
				}
			}
		default:
			continue // a stray '<' in text
		}
		if !ok {
			break
		}
		if inItem == 0 && closed > 0 {
			cut, open, items = i, slices.Clone(stack), closed
		}
	}
	return cut, open, items
}

// past returns the index just past the next end at or after i, and whether
// there was one.
func past(b []byte, i int, end string) (int, bool) {
	if k := bytes.Index(b[i:], []byte(end)); k >= 0 {
		return i + k + len(end), true
	}
	return len(b), false
}

// tagName returns the qualified name at the start of b.
func tagName(b []byte) string {
	n := 0
	for n < len(b) && strings.IndexByte(" \t\r\n/>", b[n]) < 0 {
		n++
	}
	return string(b[:n])
}

// isItem reports whether a qualified name is an RSS or RDF item or an Atom
// entry.
func isItem(name string) bool {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	return name == "item" || name == "entry"
}

func lastIndex(stack []string, name string) int {
	for k := len(stack) - 1; k >= 0; k-- {
		if stack[k] == name {
			return k
		}
	}
	return -1
}

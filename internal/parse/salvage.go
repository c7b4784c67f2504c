package parse

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/mmcdole/gofeed"
)

// salvageXML retries an XML feed that gofeed rejected with a syntax error:
// the document is cut after the last whole item or entry before the break,
// and the elements still open there are closed. Only whole items are kept,
// so that an item cut in the middle never goes out with a partial title and
// later again, whole, under another id. It returns the feed kept and why
// (see Feed.Salvaged), or nil when no whole item precedes the break, or
// when the part kept could give an item another id than the whole document
// would.
func salvageXML(p *gofeed.Parser, text []byte, parseErr error) (*gofeed.Feed, string) {
	var se *xml.SyntaxError
	if !errors.As(parseErr, &se) {
		return nil, ""
	}
	limit := len(text)
	if !strings.Contains(se.Msg, "unexpected EOF") {
		limit = errorOffset(text, se.Line)
	}
	cut, items := lastWholeItem(text[:limit])
	if items == 0 {
		return nil, ""
	}
	open := openElements(text[:cut])
	fixed := make([]byte, 0, cut+64)
	fixed = append(fixed, text[:cut]...)
	for i := len(open) - 1; i >= 0; i-- {
		fixed = append(fixed, "</"+open[i]+">"...)
	}
	f, err := p.Parse(bytes.NewReader(fixed))
	if err != nil || len(f.Items) == 0 || relativeWithoutBase(f) {
		return nil, ""
	}
	kept := "1 whole item"
	if len(f.Items) != 1 {
		kept = fmt.Sprintf("%d whole items", len(f.Items))
	}
	return f, fmt.Sprintf("%v; kept %s, cut at byte %d of %d", parseErr, kept, cut, len(text))
}

// relativeWithoutBase reports whether an item without a GUID has a relative
// link while the part kept has no channel link: the channel's <link> may
// come after the items, and resolving against the feed URL instead would
// give the item another id than the whole document gives it.
func relativeWithoutBase(f *gofeed.Feed) bool {
	if f.Link != "" {
		return false
	}
	for _, it := range f.Items {
		if u, err := url.Parse(it.Link); it.GUID == "" && it.Link != "" && (err != nil || !u.IsAbs()) {
			return true
		}
	}
	return false
}

// errorOffset returns how much of text precedes a syntax error that gofeed
// reported on the given line: the offset at which a lenient decoder stops on
// that line, else the start of the line.
func errorOffset(text []byte, line int) int {
	start := lineStart(text, line)
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // text is UTF-8
	for {
		_, err := d.RawToken()
		if err == nil {
			continue
		}
		var se *xml.SyntaxError
		if errors.As(err, &se) && se.Line == line {
			return max(start, min(int(d.InputOffset()), len(text)))
		}
		return start
	}
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

// lastWholeItem returns the offset just after the last complete piece of
// markup of b at which no item or entry is open and at least one has
// closed, and how many had closed there; (0, 0) when there is none.
func lastWholeItem(b []byte) (cut, items int) {
	s := tagScanner{b: b}
	for s.next() {
		if s.inItem == 0 && s.closed > 0 {
			cut, items = s.i, s.closed
		}
	}
	return cut, items
}

// openElements returns the names of the elements left open at the end of b,
// outermost first.
func openElements(b []byte) []string {
	s := tagScanner{b: b}
	for s.next() {
	}
	open := make([]string, len(s.stack))
	for i, n := range s.stack {
		open[i] = string(n)
	}
	return open
}

// tagScanner walks the markup of an XML document leniently, like tooDeep:
// comments, CDATA sections, processing instructions and declarations are
// skipped, a stray end tag is ignored, an end tag closes what is open
// inside its element, and HTML void elements open nothing. Element names
// are matched without regard to case, as gofeed does.
type tagScanner struct {
	b      []byte
	i      int      // offset just after the last complete markup
	stack  [][]byte // names of the open elements, as written (slices of b)
	inItem int      // items and entries open
	closed int      // items and entries closed
}

// next reads up to the end of the next piece of markup and reports whether
// there was a complete one.
func (s *tagScanner) next() bool {
	b := s.b
	for {
		j := bytes.IndexByte(b[s.i:], '<')
		if j < 0 || s.i+j+1 >= len(b) {
			return false
		}
		i := s.i + j + 1
		var ok bool
		switch c := b[i]; {
		case bytes.HasPrefix(b[i:], []byte("!--")):
			i, ok = past(b, i+3, "-->")
		case bytes.HasPrefix(b[i:], []byte("![CDATA[")):
			i, ok = past(b, i+8, "]]>")
		case c == '?':
			i, ok = past(b, i+1, "?>")
		case c == '!':
			i, ok = declEnd(b, i+1)
		case c == '/':
			name := tagName(b[i+1:])
			if i, ok = past(b, i+1, ">"); ok {
				s.end(name)
			}
		case isNameStart(c):
			start := i
			var selfClosing bool
			if i, selfClosing, ok = tagEnd(b, i); ok && !selfClosing && !isVoid(b[start:i]) {
				s.start(tagName(b[start:]))
			}
		default:
			s.i = i // a stray '<' in text: not markup
			continue
		}
		if ok {
			s.i = i
		}
		return ok
	}
}

func (s *tagScanner) start(name []byte) {
	s.stack = append(s.stack, name)
	if isItem(name) {
		s.inItem++
	}
}

func (s *tagScanner) end(name []byte) {
	for k := len(s.stack) - 1; k >= 0; k-- {
		if !bytes.EqualFold(s.stack[k], name) {
			continue
		}
		for _, n := range s.stack[k:] {
			if isItem(n) {
				s.inItem--
				s.closed++
			}
		}
		s.stack = s.stack[:k]
		return
	}
}

// tagEnd finds the end of a start tag whose name begins at i, honouring
// quoted attribute values: the index just past its '>', whether it closed
// itself, and false when the tag is cut off.
func tagEnd(b []byte, i int) (end int, selfClosing, ok bool) {
	var quote byte
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1, b[i-1] == '/', true
		}
	}
	return len(b), false, false
}

// declEnd finds the end of a <!DOCTYPE ...> or other declaration, with an
// internal subset in brackets: the index just past its '>', and false when
// it is cut off.
func declEnd(b []byte, i int) (int, bool) {
	inSubset := false
	for ; i < len(b); i++ {
		switch b[i] {
		case '[':
			inSubset = true
		case ']':
			inSubset = false
		case '>':
			if !inSubset {
				return i + 1, true
			}
		}
	}
	return len(b), false
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
func tagName(b []byte) []byte {
	for n, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n', '/', '>':
			return b[:n]
		}
	}
	return b
}

// isItem reports whether a qualified name is an RSS or RDF item or an Atom
// entry, in any case.
func isItem(name []byte) bool {
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	return bytes.EqualFold(name, []byte("item")) || bytes.EqualFold(name, []byte("entry"))
}

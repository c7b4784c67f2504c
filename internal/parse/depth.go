package parse

import "bytes"

// MaxDepth bounds the nesting of XML elements. Real feeds nest a few dozen
// levels at most, XHTML content included; deeper documents are hostile and
// would make the parser crawl.
const MaxDepth = 512

// tooDeep reports whether the elements of the XML document b nest deeper
// than limit. It is a lenient scan, not a parser (see tagScanner): an end
// tag closes what is still open inside its element, so that sloppy HTML
// left unclosed in a description does not add up over a long feed.
func tooDeep(b []byte, limit int) bool {
	s := tagScanner{b: b}
	for s.next() {
		if len(s.stack) > limit {
			return true
		}
	}
	return false
}

// voidElements are the HTML elements without an end tag, which sloppy feeds
// leave unclosed in unescaped HTML content.
var voidElements = []string{"br", "hr", "img", "input", "meta", "area", "base", "col", "embed", "param", "source", "track", "wbr"}

// isVoid reports whether tag (from its name to its '>') opens an HTML void
// element.
func isVoid(tag []byte) bool {
	name := tagName(tag)
	if len(name) < 2 || len(name) > 6 { // br ... source
		return false
	}
	for _, v := range voidElements {
		if bytes.EqualFold(name, []byte(v)) {
			return true
		}
	}
	return false
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

package parse

import "bytes"

// MaxDepth bounds the nesting of XML elements. Real feeds nest a few dozen
// levels at most, XHTML content included; deeper documents are hostile and
// would make the parser crawl.
const MaxDepth = 512

// tooDeep reports whether the elements of the XML document b nest deeper
// than limit. It is a lenient scan, not a parser: comments, CDATA sections,
// processing instructions, declarations and quoted attribute values are
// skipped; mismatched tags only move the count.
func tooDeep(b []byte, limit int) bool {
	depth := 0
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return false
		}
		i += j + 1
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case bytes.HasPrefix(b[i:], []byte("!--")):
			i, _ = past(b, i+3, "-->")
		case bytes.HasPrefix(b[i:], []byte("![CDATA[")):
			i, _ = past(b, i+8, "]]>")
		case c == '?':
			i, _ = past(b, i+1, "?>")
		case c == '!':
			i, _ = declEnd(b, i+1)
		case c == '/':
			depth = max(depth-1, 0)
			i, _ = past(b, i+1, ">")
		case isNameStart(c):
			start := i
			var selfClosing, whole bool
			i, selfClosing, whole = tagEnd(b, i)
			if whole && !selfClosing && !isVoid(b[start:i]) {
				depth++
				if depth > limit {
					return true
				}
			}
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
	n := 0
	for n < len(tag) && tag[n] != ' ' && tag[n] != '>' && tag[n] != '/' && tag[n] != '\t' && tag[n] != '\n' && tag[n] != '\r' {
		n++
	}
	name := string(bytes.ToLower(tag[:n]))
	for _, v := range voidElements {
		if name == v {
			return true
		}
	}
	return false
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

package parse

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// prologRe finds the encoding of an XML declaration.
var prologRe = regexp.MustCompile(`^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']`)

// charsetRe finds the charset parameter of a Content-Type, leniently: real
// servers write "charset = us-ascii" and "charset='utf-8'".
var charsetRe = regexp.MustCompile(`(?i);\s*charset\s*=\s*["']?([A-Za-z0-9._:\-]+)`)

// contentTypeCharset returns the charset parameter of contentType, "" if none.
func contentTypeCharset(contentType string) string {
	if m := charsetRe.FindStringSubmatch(contentType); m != nil {
		return m[1]
	}
	return ""
}

// declRe matches a whole XML declaration, to be replaced after decoding.
var declRe = regexp.MustCompile(`^\s*<\?xml[^>]*?\?>`)

// ToUTF8 returns body as UTF-8 and the name of the encoding it was read in.
// The order of evidence follows the XML media type rules, made robust to
// servers and documents that lie: a byte order mark, then the charset of
// contentType, then the XML declaration, each accepted only if the bytes fit
// it (UTF-8, possibly with a few stray bytes, for UTF-8; no invalid sequence
// for multi-byte encodings; no well-formed multi-byte UTF-8 for single-byte
// ones); when none fits, the bytes are taken as UTF-8 if they mostly are,
// and otherwise the legacy encoding is guessed from them. The result carries an XML declaration
// that says UTF-8, no BOM, and no characters that XML forbids.
func ToUTF8(body []byte, contentType string) ([]byte, string) {
	var prologLabel string
	if m := prologRe.FindSubmatch(head(body, 1024)); m != nil {
		prologLabel = string(m[1])
	}
	text, name := decode(body, contentType, prologLabel)
	return cleanXML(text), name
}

// HTMLToUTF8 returns a web page as UTF-8 and the name of the encoding it
// was read in. The evidence is ToUTF8's, with the page's own <meta> charset
// (or http-equiv Content-Type) in place of the XML declaration: a byte
// order mark, then the charset of contentType, then the meta charset, each
// believed only if the bytes fit it; when none fits, UTF-8 if the bytes
// mostly are, and otherwise the legacy encoding they read best in.
func HTMLToUTF8(body []byte, contentType string) ([]byte, string) {
	return decode(body, contentType, metaCharset(body))
}

// metaCharset is the charset a page declares in a <meta> element of its
// first KiB, as the HTML prescan finds it; "" if none.
func metaCharset(body []byte) string {
	return firstTag(head(body, 1024), "meta", func(attr map[string]string) string {
		if cs := strings.TrimSpace(attr["charset"]); cs != "" {
			return cs
		}
		if strings.ToLower(attr["http-equiv"]) == "content-type" {
			return contentTypeCharset(attr["content"])
		}
		return ""
	})
}

// firstTag runs pick on the attributes of each start tag named name in an
// HTML document, in order, and returns its first non-empty answer.
func firstTag(page []byte, name string, pick func(attr map[string]string) string) string {
	var out string
	EachTag(page, func(_ string, attr map[string]string) bool {
		out = pick(attr)
		return out == ""
	}, name)
	return out
}

// EachTag calls visit with the name and the attributes of each start tag
// of an HTML document that has attributes and is named one of names, in
// order, until visit returns false.
func EachTag(page []byte, visit func(tag string, attr map[string]string) bool, names ...string) {
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tag, hasAttr := z.TagName()
			if !hasAttr || !slices.Contains(names, string(tag)) {
				continue
			}
			attr := make(map[string]string)
			for more := true; more; {
				var k, v []byte
				k, v, more = z.TagAttr()
				attr[string(k)] = string(v)
			}
			if !visit(string(tag), attr) {
				return
			}
		}
	}
}

// decode reads body in the first encoding of the evidence that the bytes
// fit; own is the label the document gives itself ("" if none).
func decode(body []byte, contentType, own string) ([]byte, string) {
	if enc, name, n := sniffUnicode(body); enc != nil {
		out, err := enc.NewDecoder().Bytes(body[n:])
		if err == nil {
			return out, name
		}
	}
	httpLabel, prologLabel := contentTypeCharset(contentType), own
	labels := []string{httpLabel, prologLabel}
	if _, name := lookup(httpLabel); name == "windows-1252" && prologLabel != "" {
		// ISO-8859-1 and US-ASCII are what servers send when nobody
		// configured a charset; the feed's own declaration knows better.
		labels = []string{prologLabel, httpLabel}
	}
	for _, label := range labels {
		if label == "" {
			continue
		}
		enc, name := lookup(label)
		if enc == nil {
			continue
		}
		out, ok := fits(body, enc, name)
		if !ok {
			continue
		}
		if isSingleByte(name) {
			// Any bytes decode in a single-byte encoding: check that
			// another one does not read much more like text.
			if gname, genc := guess(body); gname != name && clearlyBetter(body, genc, out) {
				out, _ := genc.NewDecoder().Bytes(body)
				return out, gname
			}
		}
		return out, name
	}
	if utf8.Valid(body) || mostlyUTF8(body) {
		return body, "utf-8"
	}
	name, enc := guess(body)
	out, _ := enc.NewDecoder().Bytes(body)
	return out, name
}

// lookup resolves an encoding label the way browsers do, with the UTF-16 and
// UTF-32 labels that XML allows and browsers do not.
func lookup(label string) (encoding.Encoding, string) {
	l := strings.ToLower(strings.TrimSpace(label))
	switch l {
	case "utf-16", "utf16":
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM), "utf-16"
	case "utf-16be":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be"
	case "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le"
	case "utf-32", "utf32", "ucs-4":
		return utf32.UTF32(utf32.BigEndian, utf32.UseBOM), "utf-32"
	case "utf-32be":
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "utf-32be"
	case "utf-32le":
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "utf-32le"
	}
	enc, name := charset.Lookup(l)
	if enc == nil {
		return nil, ""
	}
	return enc, name
}

// fits decodes body with enc and reports whether the bytes are plausible in
// that encoding.
func fits(body []byte, enc encoding.Encoding, name string) ([]byte, bool) {
	switch name {
	case "utf-8":
		b := bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
		return b, utf8.Valid(b) || mostlyUTF8(b)
	case "utf-16", "utf-16be", "utf-16le", "utf-32", "utf-32be", "utf-32le":
		// Declared as UTF-16/32 without a BOM or a recognisable pattern:
		// the declaration was written in ASCII, so it lies.
		return nil, false
	}
	if isSingleByte(name) {
		if hasMultiByteUTF8(body) {
			return nil, false
		}
		out, err := enc.NewDecoder().Bytes(body)
		return out, err == nil
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, false
	}
	// The WHATWG decoders replace invalid sequences with U+FFFD; more of
	// them than the input carried means the bytes are not in enc.
	return out, bytes.Count(out, []byte("\uFFFD")) <= bytes.Count(body, []byte("\uFFFD"))
}

// mostlyUTF8 reports whether body is UTF-8 with a few stray bytes: at least
// twenty well-formed multi-byte sequences for every invalid byte. Legacy
// encodings almost never form a well-formed sequence by chance; a feed
// assembled from UTF-8 pieces and one bad one does. The stray bytes are
// dropped later by cleanXML.
func mostlyUTF8(body []byte) bool {
	valid, invalid := 0, 0
	for len(body) > 0 {
		if body[0] < utf8.RuneSelf {
			body = body[1:]
			continue
		}
		r, n := utf8.DecodeRune(body)
		if r == utf8.RuneError && n == 1 {
			invalid++
		} else {
			valid++
		}
		body = body[n:]
	}
	return valid > 0 && invalid*20 <= valid
}

// isSingleByte reports whether name is a single-byte encoding, which any
// byte sequence decodes in.
func isSingleByte(name string) bool {
	switch {
	case strings.HasPrefix(name, "windows-125"), strings.HasPrefix(name, "iso-8859"),
		strings.HasPrefix(name, "koi8"), name == "ibm866", name == "macintosh",
		name == "x-mac-cyrillic", name == "windows-874":
		return true
	}
	return false
}

// hasMultiByteUTF8 reports whether body is valid UTF-8 with at least one
// non-ASCII character: text that a single-byte declaration lies about.
func hasMultiByteUTF8(body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	for _, c := range body {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// sniffUnicode finds a BOM, or the pattern of "<?" in UTF-16 or UTF-32, and
// returns the encoding and the number of bytes to skip.
func sniffUnicode(b []byte) (encoding.Encoding, string, int) {
	switch {
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0xFE, 0xFF}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "utf-32be", 4
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0x00, 0x00}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "utf-32le", 4
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return unicode.UTF8, "utf-8", 3
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", 2
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", 2
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0x00, '<'}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "utf-32be", 0
	case bytes.HasPrefix(b, []byte{'<', 0x00, 0x00, 0x00}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "utf-32le", 0
	case bytes.HasPrefix(b, []byte{0x00, '<', 0x00}), bytes.HasPrefix(b, []byte{0x00, ' ', 0x00}), bytes.HasPrefix(b, []byte{0x00, '\n', 0x00}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", 0
	case bytes.HasPrefix(b, []byte{'<', 0x00, '?', 0x00}), bytes.HasPrefix(b, []byte{'<', 0x00, '!', 0x00}),
		bytes.HasPrefix(b, []byte{'<', 0x00, 'r', 0x00}), bytes.HasPrefix(b, []byte{'<', 0x00, 'f', 0x00}),
		bytes.HasPrefix(b, []byte{' ', 0x00, ' ', 0x00}), bytes.HasPrefix(b, []byte{'\n', 0x00, '<', 0x00}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", 0
	}
	return nil, "", 0
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// cleanXML drops a leading BOM and whitespace, rewrites the XML declaration
// to say UTF-8, and drops the characters XML 1.0 forbids, which a strict
// tokenizer would stop at.
func cleanXML(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if loc := declRe.FindIndex(head(b, 1024)); loc != nil {
		rest := b[loc[1]:]
		nb := make([]byte, 0, len(rest)+40)
		nb = append(nb, `<?xml version="1.0" encoding="UTF-8"?>`...)
		b = append(nb, rest...)
	}
	if !needsClean(b) {
		return b
	}
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if allowedXML(r) && !(r == utf8.RuneError && n == 1) {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

func needsClean(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return !utf8.Valid(b) || bytes.Contains(b, []byte("\uFFFE")) || bytes.Contains(b, []byte("\uFFFF"))
}

func allowedXML(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// candidates are the legacy encodings guess chooses from, in order of
// preference on a tie.
var candidates = []struct {
	name string
	enc  encoding.Encoding
}{
	{"shift_jis", japanese.ShiftJIS},
	{"euc-jp", japanese.EUCJP},
	{"gbk", simplifiedchinese.GBK},
	{"big5", traditionalchinese.Big5},
	{"windows-1251", charmap.Windows1251},
	{"koi8-r", charmap.KOI8R},
	{"windows-1252", charmap.Windows1252},
}

// clearlyBetter reports whether body decoded with enc scores far above
// declared, the text as decoded with the declared encoding.
func clearlyBetter(body []byte, enc encoding.Encoding, declared []byte) bool {
	out, _ := enc.NewDecoder().Bytes(head(body, guessSample))
	g, d := score(out), score(head(declared, guessSample))
	return g-d >= 20 && g > 2*d
}

// guessSample bounds the bytes guess decodes with each candidate.
const guessSample = 64 << 10

// guess picks the legacy encoding in which body reads most like natural text.
func guess(body []byte) (string, encoding.Encoding) {
	sample := head(body, guessSample)
	best, bestScore := len(candidates)-1, -1<<62
	for i, c := range candidates {
		out, _ := c.enc.NewDecoder().Bytes(sample)
		if s := score(out); s > bestScore {
			best, bestScore = i, s
		}
	}
	return candidates[best].name, candidates[best].enc
}

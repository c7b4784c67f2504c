package normalize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// skipped are elements whose content is never text a reader sees.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Svg: true, atom.Math: true, atom.Textarea: true,
}

// inline are elements that do not separate words.
var inline = map[atom.Atom]bool{
	atom.A: true, atom.Abbr: true, atom.B: true, atom.Bdi: true, atom.Bdo: true,
	atom.Cite: true, atom.Code: true, atom.Data: true, atom.Del: true, atom.Dfn: true,
	atom.Em: true, atom.Font: true, atom.I: true, atom.Ins: true, atom.Kbd: true,
	atom.Mark: true, atom.Q: true, atom.Ruby: true, atom.S: true, atom.Samp: true,
	atom.Small: true, atom.Span: true, atom.Strike: true, atom.Strong: true,
	atom.Sub: true, atom.Sup: true, atom.Time: true, atom.Tt: true, atom.U: true,
	atom.Var: true, atom.Wbr: true, atom.Big: true, atom.Nobr: true,
}

// Text returns the plain text of an HTML fragment: tags, comments, scripts
// and styles dropped, entities decoded, every run of whitespace collapsed to
// one space, and block boundaries kept as spaces so that words do not run
// together. It also accepts plain text, and returns valid UTF-8.
func Text(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if !strings.ContainsAny(s, "<&") {
		return collapse(s)
	}
	s = escapeStray(s)
	var b strings.Builder
	b.Grow(len(s))
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0 // depth inside skipped elements
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapse(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipped[a] {
				// Raw-text elements (script, style, ...) hold their content
				// in the one text token that follows.
				skip++
			}
			if !inline[a] {
				b.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipped[a] && skip > 0 {
				skip--
			}
			if !inline[a] {
				b.WriteByte(' ')
			}
		case html.SelfClosingTagToken:
			name, _ := z.TagName()
			if !inline[atom.Lookup(name)] {
				b.WriteByte(' ')
			}
		}
	}
}

// escapeStray escapes the '<' of s that open no tag, comment or
// declaration a writer meant ("<!' ...", "<? ", "</3", "<<"), which an
// HTML tokenizer would otherwise take for a bogus comment and drop with
// the text after it. A '<' before a letter, "/" and a letter, "!--" or
// "!DOCTYPE" / "![CDATA[" is left for the tokenizer.
func escapeStray(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '<' || opensMarkup(s[i+1:]) {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s) + 8)
		}
		b.WriteString(s[last:i])
		b.WriteString("&lt;")
		last = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// opensMarkup reports whether rest, what follows a '<', starts a tag, an
// end tag, a comment or a declaration.
func opensMarkup(rest string) bool {
	letter := func(s string) bool {
		return s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z')
	}
	switch {
	case letter(rest):
		return true
	case strings.HasPrefix(rest, "/"):
		return letter(rest[1:])
	case strings.HasPrefix(rest, "!--"):
		return true
	case len(rest) >= 8 && strings.EqualFold(rest[:8], "!doctype"), strings.HasPrefix(rest, "![CDATA["):
		return true
	}
	return false
}

// collapse trims s and turns every run of white space (and control
// characters) into one space. C1 controls, which a windows-1252 text read
// as Latin-1 leaves behind, become the windows-1252 characters they stand
// for (U+0092 becomes ’), and UTF-8 read as windows-1252 ("â€¦") is undone.
func collapse(s string) string {
	// Twice-encoded text needs two rounds; each round only shortens s.
	for range 3 {
		f := fixMojibake(s)
		if f == s {
			break
		}
		s = f
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r >= 0x80 && r <= 0x9F {
			if c := cp1252C1[r-0x80]; c != 0 {
				r = c
			}
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Bounds on what an item carries, so that no item is too large to publish:
// SummaryRunes and TitleRunes (approximate, in runes) for Item.Summary and
// Item.Title, MaxURLBytes for Item.URL (a longer "link" is dropped).
const (
	SummaryRunes = 500
	TitleRunes   = 300
	MaxURLBytes  = 8 << 10
)

// Bound cuts text to about limit runes, at a word boundary when there is
// one near the limit, with an ellipsis when cut.
func Bound(text string, limit int) string { return bound(text, limit) }

// summarize bounds text to about SummaryRunes runes.
func summarize(text string) string { return bound(text, SummaryRunes) }

// bound cuts text to about limit runes, at a word boundary when there is one
// near the limit, with an ellipsis when cut.
func bound(text string, limit int) string {
	if utf8.RuneCountInString(text) <= limit {
		return text
	}
	cut, n := 0, 0
	for i := range text {
		if n == limit {
			cut = i
			break
		}
		n++
	}
	s := text[:cut]
	// Back up to a space if one is close; scripts without spaces (Chinese,
	// Japanese) are cut at the limit.
	if i := strings.LastIndexByte(s, ' '); i > 0 && utf8.RuneCountInString(s[i:]) <= 60 {
		s = s[:i]
	}
	return strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) && r != ')' && r != '"' }) + "…"
}

// cp1252C1 maps the C1 controls to the windows-1252 characters of the same
// code; 0 where windows-1252 has none.
var cp1252C1 = [32]rune{
	'€', 0, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0, 'Ž', 0,
	0, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0, 'ž', 'Ÿ',
}

// cp1252Byte returns the byte of r in windows-1252 or Latin-1, if r is a
// character either encodes at 0x80 or above.
func cp1252Byte(r rune) (byte, bool) {
	if r >= 0x80 && r <= 0xFF {
		return byte(r), true // Latin-1, C1 controls included
	}
	for i, c := range cp1252C1 {
		if c == r && c != 0 {
			return byte(0x80 + i), true
		}
	}
	return 0, false
}

// fixMojibake undoes UTF-8 that was read as windows-1252 or Latin-1 and
// encoded again: every run of such characters whose windows-1252 bytes are
// valid multi-byte UTF-8 is replaced by what those bytes say. A run that is
// not valid UTF-8 is real text ("déjà") and left alone.
func fixMojibake(s string) string {
	if !maybeMojibake(s) {
		return s
	}
	var out strings.Builder
	var run []byte
	start := -1
	changed := false
	flush := func(end int) {
		if start >= 0 && len(run) >= 2 && utf8.Valid(run) && utf8.RuneCount(run) < len(run) && allMultiByte(run) {
			out.Write(run)
			changed = true
		} else if start >= 0 {
			out.WriteString(s[start:end])
		}
		run, start = run[:0], -1
	}
	for i, r := range s {
		if c, ok := cp1252Byte(r); ok {
			if start < 0 {
				start = i
			}
			run = append(run, c)
			continue
		}
		flush(i)
		out.WriteRune(r)
	}
	flush(len(s))
	if !changed {
		return s
	}
	return out.String()
}

// maybeMojibake reports whether s has a character that reads as a UTF-8
// lead byte (Â to ô) followed by one that reads as a continuation byte.
func maybeMojibake(s string) bool {
	lead := false
	for _, r := range s {
		if lead {
			if c, ok := cp1252Byte(r); ok && c <= 0xBF {
				return true
			}
		}
		lead = r >= 0xC2 && r <= 0xF4
	}
	return false
}

// allMultiByte reports whether b, valid UTF-8, holds no ASCII byte.
func allMultiByte(b []byte) bool {
	for _, c := range b {
		if c < 0x80 {
			return false
		}
	}
	return true
}

package lang

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// excerpt returns the text the detector reads: the title, then the text
// (without the title again when the text repeats it), with links and e-mail
// addresses removed, cut to at most limit runes at a word boundary.
func excerpt(title, text string, limit int) string {
	title = strings.TrimSpace(title)
	text = strings.TrimSpace(text)
	if title != "" && strings.HasPrefix(text, title) {
		title = ""
	}
	var b strings.Builder
	b.Grow(min(len(title)+len(text)+1, 4*limit+8))
	n := 0
	for _, part := range [2]string{title, text} {
		if part == "" || n >= limit {
			continue
		}
		if n > 0 {
			b.WriteByte('\n')
			n++
		}
		for part != "" && n < limit {
			// Walk whitespace-separated fields, keeping the separators.
			field, rest := part, ""
			if sp := strings.IndexFunc(part, unicode.IsSpace); sp >= 0 {
				_, size := utf8.DecodeRuneInString(part[sp:])
				field, rest = part[:sp+size], part[sp+size:]
			}
			part = rest
			if isLink(field) {
				field = " "
			}
			fr := utf8.RuneCountInString(field)
			if n+fr > limit {
				if n > 0 && !unspaced(field) {
					break // stop at the word boundary
				}
				// A long unspaced field (CJK text, or a first word
				// longer than the limit): cut inside it.
				field = firstRunes(field, limit-n)
				fr = limit - n
			}
			b.WriteString(field)
			n += fr
		}
	}
	return b.String()
}

// isLink reports whether a field is a URL, a bare host or an e-mail
// address: Latin letters that say nothing of the item's language.
func isLink(f string) bool {
	f = strings.TrimSpace(f)
	return strings.Contains(f, "://") || strings.HasPrefix(f, "www.") ||
		(strings.Contains(f, "@") && strings.Contains(f, "."))
}

// unspaced reports whether a field contains Han, kana, Hangul or Thai,
// scripts whose writers put no space (or none between words) in a run of
// text, so that a field may be a whole sentence.
func unspaced(f string) bool {
	for _, r := range f {
		if s := scriptOf(r); s == scriptHan || s == scriptKana || s == scriptHangul || s == scriptThai {
			return true
		}
	}
	return false
}

// firstRunes returns the first n runes of s.
func firstRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

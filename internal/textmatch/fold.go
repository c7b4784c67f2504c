package textmatch

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Folded is one field of a document, or one term, prepared for matching.
//
// The automaton runs over S, the most folded form (NFKC, lower case, Latin
// accents removed, Arabic normalized, runs of spaces and dashes as one
// space). Checks that need more than S (acronyms in capitals, Vietnamese
// tones, stems) look at NFKC, the text before folding, through Src.
// Offsets into S are what matches report: two packages that fold the same
// text agree on them.
type Folded struct {
	S    []byte  // the folded text
	Src  []int32 // Src[i] is the offset in NFKC of the rune that produced S[i]; Src[len(S)] == len(NFKC)
	NFKC string  // the text after NFKC, case and accents kept
}

// Fold prepares text for matching, reusing f's buffers. Most text is
// already in NFKC: it is folded as it is, and only normalized (and folded
// again) when a rune that NFKC could change turns up.
func (f *Folded) Fold(text string) {
	f.NFKC = text
	var stable bool
	f.S, f.Src, stable = appendFoldedFast(f.S[:0], f.Src[:0], text)
	if !stable {
		f.NFKC = norm.NFKC.String(text)
		f.S, f.Src, _ = appendFoldedFast(f.S[:0], f.Src[:0], f.NFKC)
	}
	f.Src = append(f.Src, int32(len(f.NFKC)))
}

// Entries of foldTable.
const (
	foldRuneMask = 1<<21 - 1
	foldLatin    = 1 << 28 // a Latin letter: marks after it are accents
	foldSlow     = 1 << 29 // folds to other than one rune, or depends on context
	foldUnstable = 1 << 30 // NFKC might change text holding this rune
)

// foldTable holds, for each rune of the Basic Multilingual Plane, its
// folded form (when it is one rune) and flags.
var foldTable = sync.OnceValue(func() *[0x10000]uint32 {
	var t [0x10000]uint32
	var rb [utf8.UTFMax]byte
	var out []byte
	for r := rune(0); r < 0x10000; r++ {
		var e uint32
		b := utf8.AppendRune(rb[:0], r)
		if !utf8.ValidRune(r) || norm.NFKC.QuickSpan(b) != len(b) || !norm.NFKC.Properties(b).BoundaryBefore() {
			e |= foldUnstable
		}
		out = appendFoldedRune(out[:0], r)
		fr, n := utf8.DecodeRune(out)
		switch {
		case isSpaceOrDash(r) || r == '-' || unicode.Is(unicode.Mn, r) || n == 0 || n != len(out) || fr == utf8.RuneError:
			e |= foldSlow
		default:
			e |= uint32(fr)
		}
		if _, ok := latinFold(r); ok || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			e |= foldLatin
		}
		t[r] = e
	}
	return &t
})

// appendFoldedRune appends the folded form of r alone.
func appendFoldedRune(dst []byte, r rune) []byte {
	var rb [utf8.UTFMax]byte
	n := utf8.EncodeRune(rb[:], r)
	dst, _ = appendFolded(dst, nil, false, string(rb[:n]), false)
	return dst
}

// appendFoldedFast is appendFolded (without accents, with offsets) through
// foldTable. It reports whether text is sure to be in NFKC already.
func appendFoldedFast(dst []byte, src []int32, s string) ([]byte, []int32, bool) {
	t := foldTable()
	stable := true
	prevLatin := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case 'A' <= c && c <= 'Z':
				dst = append(dst, c+'a'-'A')
				src = append(src, int32(i))
				prevLatin = true
			case 'a' <= c && c <= 'z':
				dst = append(dst, c)
				src = append(src, int32(i))
				prevLatin = true
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '-':
				if len(dst) == 0 || dst[len(dst)-1] != ' ' {
					dst = append(dst, ' ')
					src = append(src, int32(i))
				}
				prevLatin = false
			default:
				dst = append(dst, c)
				src = append(src, int32(i))
				prevLatin = false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x10000 {
			e := t[r]
			if e&foldUnstable != 0 {
				stable = false
			}
			if e&foldSlow == 0 {
				n0 := len(dst)
				dst = utf8.AppendRune(dst, rune(e&foldRuneMask))
				for j := n0; j < len(dst); j++ {
					src = append(src, int32(i))
				}
				prevLatin = e&foldLatin != 0
				i += n
				continue
			}
		} else {
			stable = false
		}
		n0 := len(dst)
		if unicode.Is(unicode.Mn, r) && (r < 0x0600 || r > 0x06FF) {
			if !prevLatin {
				dst = utf8.AppendRune(dst, r)
			}
		} else {
			dst, _ = appendFolded(dst, nil, false, s[i:i+n], false)
			prevLatin = false
		}
		for j := n0; j < len(dst); j++ {
			src = append(src, int32(i))
		}
		i += n
	}
	return dst, src, stable
}

// NFKC returns s in Unicode normalization form NFKC.
func NFKC(s string) string { return norm.NFKC.String(s) }

// FoldString returns the folded form of s (which should already be NFKC).
// With keepAccents, Latin letters keep their diacritics: this is the form
// in which Vietnamese terms are compared.
func FoldString(s string, keepAccents bool) string {
	b, _ := appendFolded(nil, nil, false, s, keepAccents)
	return string(b)
}

// appendFolded appends the folded form of s to dst and, with track, the
// offset in s of the rune behind each byte it appends to src.
func appendFolded(dst []byte, src []int32, track bool, s string, keepAccents bool) ([]byte, []int32) {
	prevLatin := false
	for i, r := range s {
		n0 := len(dst)
		switch {
		case r < utf8.RuneSelf:
			switch {
			case 'A' <= r && r <= 'Z':
				dst = append(dst, byte(r)+'a'-'A')
			case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '-':
				dst = appendSpace(dst)
			default:
				dst = append(dst, byte(r))
			}
			prevLatin = 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z'
		case isSpaceOrDash(r):
			dst = appendSpace(dst)
			prevLatin = false
		case r == 0x00AD || r == 0x200B || r == 0x200C || r == 0x200D || r == 0xFEFF:
			// Soft hyphen and zero-width characters: invisible, dropped.
		case r == '\u2019' || r == '\u2018' || r == '\u02BC' || r == '\u2032':
			dst = append(dst, '\'')
			prevLatin = false
		case 0x0600 <= r && r <= 0x06FF:
			dst = appendArabic(dst, r)
			prevLatin = false
		case unicode.Is(unicode.Mn, r):
			// A combining mark left after NFKC: part of the accent of a
			// Latin letter (dropped, unless accents are kept), or
			// significant in its own script (kept).
			if !prevLatin || keepAccents {
				dst = utf8.AppendRune(dst, r)
			}
		default:
			if l, ok := latinFold(r); ok {
				if keepAccents {
					dst = utf8.AppendRune(dst, lowerRune(r))
				} else {
					dst = append(dst, l...)
				}
				prevLatin = true
				break
			}
			dst = utf8.AppendRune(dst, lowerRune(r))
			prevLatin = false
		}
		if track {
			for j := n0; j < len(dst); j++ {
				src = append(src, int32(i))
			}
		}
	}
	return dst, src
}

// appendSpace appends one space unless dst already ends with one, so that
// any run of spaces and dashes reads as a single space.
func appendSpace(dst []byte) []byte {
	if len(dst) > 0 && dst[len(dst)-1] == ' ' {
		return dst
	}
	return append(dst, ' ')
}

func isSpaceOrDash(r rune) bool {
	switch {
	case unicode.IsSpace(r):
		return true
	case 0x2010 <= r && r <= 0x2015, r == 0x2212, r == 0xFE63, r == 0xFF0D:
		return true
	}
	return false
}

// lowerRune lower-cases r, with the foldings plain lower-casing misses.
func lowerRune(r rune) rune {
	r = unicode.ToLower(r)
	switch r {
	case 'ς':
		return 'σ'
	case 'ё':
		return 'е'
	}
	return r
}

// appendArabic appends the normalized form of an Arabic-block rune:
// diacritics and tatweel removed, alef forms unified, final yeh and teh
// marbuta Folded, Persian yeh and keheh as their Arabic letters.
func appendArabic(dst []byte, r rune) []byte {
	switch {
	case r == 0x0640: // tatweel
		return dst
	case 0x064B <= r && r <= 0x065F, r == 0x0670, 0x06D6 <= r && r <= 0x06ED:
		return dst
	case r == 0x0622, r == 0x0623, r == 0x0625, r == 0x0671:
		r = 0x0627
	case r == 0x0649, r == 0x06CC:
		r = 0x064A
	case r == 0x0629:
		r = 0x0647
	case r == 0x06A9:
		r = 0x0643
	}
	return utf8.AppendRune(dst, r)
}

// latinTable maps the Latin letters with diacritics (Latin-1 Supplement,
// Latin Extended-A and B, Latin Extended Additional) to their lower-case
// forms without diacritics.
var latinTable = func() map[rune]string {
	m := make(map[rune]string)
	add := func(lo, hi rune) {
		for r := lo; r <= hi; r++ {
			if !unicode.IsLetter(r) {
				continue
			}
			var out []rune
			for _, d := range norm.NFD.String(string(unicode.ToLower(r))) {
				if !unicode.Is(unicode.Mn, d) {
					out = append(out, d)
				}
			}
			m[r] = string(out)
		}
	}
	add(0x00C0, 0x024F)
	add(0x1E00, 0x1EFF)
	for r, s := range map[rune]string{
		'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe",
		'ø': "o", 'Ø': "o", 'đ': "d", 'Đ': "d", 'ł': "l", 'Ł': "l",
		'ı': "i", 'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th",
	} {
		m[r] = s
	}
	return m
}()

// latinFold reports the accent-free lower-case form of a Latin letter.
func latinFold(r rune) (string, bool) {
	if r < 0x00C0 || r > 0x1EFF || (r > 0x024F && r < 0x1E00) {
		return "", false
	}
	s, ok := latinTable[r]
	return s, ok
}

// Script classes of a rune, as the matcher sees them.
const (
	ScriptOther = iota // not part of a word: space, punctuation, symbol
	ScriptWord         // a letter, digit or mark of a script written with spaces
	ScriptCJK          // Han, Hiragana, Katakana, Thai...: matched as substrings
)

// bmpScript caches RuneScript for the Basic Multilingual Plane, where
// almost all news text lies: the Unicode tables are slow to search.
var bmpScript = sync.OnceValue(func() *[0x10000]uint8 {
	var t [0x10000]uint8
	for r := range t {
		t[r] = uint8(scriptOf(rune(r)))
	}
	return &t
})

// RuneScript classifies r for word boundaries.
func RuneScript(r rune) int {
	if r >= 0 && r < 0x10000 {
		return int(bmpScript()[r])
	}
	return scriptOf(r)
}

func scriptOf(r rune) int {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' {
			return ScriptWord
		}
		return ScriptOther
	}
	if isSubstringScript(r) {
		return ScriptCJK
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
		return ScriptWord
	}
	return ScriptOther
}

// isSubstringScript reports whether r belongs to a script written without
// spaces between words, where terms match anywhere.
func isSubstringScript(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar) ||
		r == 0x30FC // katakana-hiragana prolonged sound mark (script Common)
}

// isArabicLetter reports whether r is a letter of the Arabic script.
func isArabicLetter(r rune) bool {
	return unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r)
}

package textmatch

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// MaxTermLen is the longest term, in bytes.
const MaxTermLen = 200

// Source is a term as written, with its language key ("any" or an ISO
// 639-1 code).
type Source struct {
	Text string
	Lang string
	// Cased terms written with an initial capital match only where the
	// text has a capital there (names: "Nga", "Chad").
	Cased bool
}

// Term is a compiled term: the checks a match of its pattern must pass.
type Term struct {
	Text string // as written, without spaces around it
	Lang string

	wildcard    bool   // a trailing * was written
	acronym     bool   // written in capitals: matches only in capitals
	initialCap  bool   // cased and written with an initial capital
	leftWord    bool   // the term starts with a letter of a spaced script: needs a word boundary before it
	rightWord   bool   // the same after it
	arabic      bool   // an Arabic term: may follow clitics
	exact       string // Vietnamese terms with diacritics: the accent-kept form to compare
	stem        func(string) string
	stemmed     string // the folded stem of the last word
	stemmedBare string // the stem of the last word without accents
	lastFolded  string // the last word, folded: found as is, no need to stem
	lastOff     int    // offset of the last word in the pattern
	lastStem    string // lastFolded without its last letter: what a name's inflections keep
}

// Problem says what is wrong with a term as written, or "".
func Problem(t string) string {
	t = strings.TrimSpace(t)
	if len(t) > MaxTermLen {
		return fmt.Sprintf("longer than %d bytes", MaxTermLen)
	}
	body := strings.TrimSuffix(t, "*")
	if strings.Contains(body, "*") {
		return "* may only end a term"
	}
	if strings.TrimSpace(FoldString(NFKC(body), false)) == "" {
		return "empty term"
	}
	hasWord := false
	for _, r := range body {
		if RuneScript(r) != ScriptOther {
			hasWord = true
			break
		}
	}
	if !hasWord {
		return "a term needs at least one letter or digit"
	}
	if body != t {
		last, _ := utf8.DecodeLastRuneInString(body)
		if RuneScript(last) == ScriptOther {
			return "* must follow a letter or digit"
		}
	}
	return ""
}

// Form is the form under which two terms are the same term: folded, with
// accents for Vietnamese, and marked when written as an acronym or with a
// trailing *.
func Form(text, lang string) string {
	body := strings.TrimSpace(text)
	form := ""
	if b, ok := strings.CutSuffix(body, "*"); ok {
		body, form = strings.TrimSpace(b), "*"
	}
	n := NFKC(body)
	if isAcronym(n) {
		form += "!"
	}
	return strings.TrimSpace(FoldString(n, lang == "vi")) + form
}

// isAcronym reports whether s has capitals and no lower-case letter.
func isAcronym(s string) bool {
	hasUpper := false
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
		hasUpper = hasUpper || unicode.IsUpper(r)
	}
	return hasUpper
}

// Prepare compiles a term and returns its automaton patterns: the folded
// term, and for Arabic terms starting with the article the form it takes
// after the preposition l- (the second pattern, which Verify is told of).
func Prepare(src Source) (Term, []string) {
	t := Term{Text: strings.TrimSpace(src.Text), Lang: src.Lang}
	body := t.Text
	if strings.HasSuffix(body, "*") {
		t.wildcard = true
		body = strings.TrimSpace(strings.TrimSuffix(body, "*"))
	}
	n := NFKC(body)
	f := strings.TrimSpace(FoldString(n, false))
	t.acronym = isAcronym(n)
	first, _ := utf8.DecodeRuneInString(f)
	last, _ := utf8.DecodeLastRuneInString(f)
	if r, _ := utf8.DecodeRuneInString(n); src.Cased && !t.acronym && unicode.IsUpper(r) {
		t.initialCap = true
	}
	t.leftWord = RuneScript(first) == ScriptWord
	t.rightWord = RuneScript(last) == ScriptWord && !t.wildcard
	t.arabic = isArabicLetter(first)
	if t.Lang == "vi" {
		if e := strings.TrimSpace(FoldString(n, true)); e != f {
			t.exact = e
		}
	}
	pattern := f
	if st := StemmerFor(t.Lang); st != nil && !t.wildcard && !t.acronym && t.rightWord {
		light := strings.TrimSpace(FoldString(n, true))
		lastLight := light[strings.LastIndexByte(light, ' ')+1:]
		lastFolded := f[strings.LastIndexByte(f, ' ')+1:]
		stemmed := FoldString(st(lastLight), false)
		stemmedBare := st(lastFolded)
		prefix := commonRunePrefix(commonRunePrefix(lastFolded, stemmed), stemmedBare)
		if utf8.RuneCountInString(prefix) >= minStemRunes && isWordOnly(lastLight) {
			t.stem = st
			t.stemmed = stemmed
			t.stemmedBare = stemmedBare
			t.lastFolded = lastFolded
			t.lastOff = len(f) - len(lastFolded)
			_, n := utf8.DecodeLastRuneInString(lastFolded)
			t.lastStem = lastFolded[:len(lastFolded)-n]
			pattern = f[:t.lastOff] + prefix
		}
	}
	pats := []string{pattern}
	if t.arabic && strings.HasPrefix(pattern, "ال") && len(pattern) > len("ال") {
		pats = append(pats, "لل"+strings.TrimPrefix(pattern, "ال"))
	}
	return t, pats
}

// minStemRunes is the shortest stem worth matching by stem: below it, a
// term matches as written.
const minStemRunes = 3

func commonRunePrefix(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) {
		ra, na := utf8.DecodeRuneInString(a[i:])
		rb, nb := utf8.DecodeRuneInString(b[i:])
		if ra != rb || na != nb {
			break
		}
		i += na
	}
	return a[:i]
}

// isWordOnly reports whether s is one word of a spaced script.
func isWordOnly(s string) bool {
	for _, r := range s {
		if RuneScript(r) != ScriptWord {
			return false
		}
	}
	return s != ""
}

// Scratch holds the buffers of one matching call; it is not safe for
// concurrent use, but may be reused.
type Scratch struct {
	key []byte // the stem cache key being built
}

// stem returns t's stem of word (folded from the NFKC text when accents is
// set; already folded otherwise). News repeats its words: stems are kept
// in a cache shared by all terms, up to maxStemCache words.
func (sc *Scratch) stem(t *Term, word string, accents bool) string {
	sc.key = append(sc.key[:0], t.Lang...)
	if accents {
		sc.key = append(sc.key, '+')
	} else {
		sc.key = append(sc.key, '-')
	}
	sc.key = append(sc.key, word...)
	if st, ok := stemCache.Load(string(sc.key)); ok {
		return st.(string)
	}
	w := word
	if accents {
		w = FoldString(word, true)
	}
	st := t.stem(w)
	if accents {
		st = FoldString(st, false)
	}
	if stemCacheLen.Load() < maxStemCache {
		if _, loaded := stemCache.LoadOrStore(string(sc.key), st); !loaded {
			stemCacheLen.Add(1)
		}
	}
	return st
}

var (
	stemCache    sync.Map // language, '+' or '-' (accents), word -> stem
	stemCacheLen atomic.Int64
)

// maxStemCache bounds the words whose stems are kept (a few MB at most).
const maxStemCache = 1 << 16

// Verify checks a match of t's pattern at f.S[start:end] and returns where
// the matched words end. lilArtic tells that the match is of the term's
// second pattern (Prepare).
func (t *Term) Verify(sc *Scratch, f *Folded, start, end int, lilArtic bool) (int, bool) {
	s := f.S
	switch {
	case t.arabic:
		// Clitics are at most four letters (وبال): a word that starts
		// further back is not the term with clitics.
		ws := start
		for k := 0; ws > 0; k++ {
			r, n := utf8.DecodeLastRune(s[:ws])
			if RuneScript(r) != ScriptWord {
				break
			}
			if k == maxClitics {
				return 0, false
			}
			ws -= n
		}
		if !arabicCliticsOK(string(s[ws:start]), lilArtic) {
			return 0, false
		}
	case t.leftWord && start > 0:
		if r, _ := utf8.DecodeLastRune(s[:start]); RuneScript(r) == ScriptWord {
			return 0, false
		}
	}
	if t.acronym {
		for _, r := range f.NFKC[f.Src[start]:f.Src[end]] {
			if unicode.IsLower(r) {
				return 0, false
			}
		}
	}
	if t.initialCap {
		if r, _ := utf8.DecodeRuneInString(f.NFKC[f.Src[start]:]); !unicode.IsUpper(r) {
			return 0, false
		}
	}
	if t.exact != "" && strings.TrimSpace(FoldString(f.NFKC[f.Src[start]:f.Src[end]], true)) != t.exact {
		return 0, false
	}
	switch {
	case t.stem != nil:
		we := WordEnd(s, end)
		// Stems are compared with accents and, for text or terms
		// written without them, without.
		ws := start + t.lastOff
		if string(s[ws:we]) == t.lastFolded {
			return we, true
		}
		if t.initialCap && !nameInflection(string(s[ws:we]), t.lastFolded, t.lastStem) {
			return 0, false
		}
		if sc.stem(t, f.NFKC[f.Src[ws]:f.Src[we]], true) != t.stemmed && sc.stem(t, string(s[ws:we]), false) != t.stemmedBare {
			return 0, false
		}
		return we, true
	case t.wildcard:
		return WordEnd(s, end), true
	case t.rightWord && end < len(s):
		if r, _ := utf8.DecodeRune(s[end:]); RuneScript(r) == ScriptWord {
			return 0, false
		}
	}
	return end, true
}

// nameInflection reports whether word, which has the stem of a name's last
// word, can be an inflection of it: no shorter, keeping all of it but its
// last letter, and at most two letters longer. "Lao" is not "Laos", nor
// "Tong" "Tonga", nor "Данные" (data) "Дания", nor "Catarina" "Catar",
// though their stems agree; "России" is "Россия", "Russlands" "Russland".
func nameInflection(word, name, keep string) bool {
	if len(word) < len(name) || !strings.HasPrefix(word, keep) {
		return false
	}
	return utf8.RuneCountInString(word)-utf8.RuneCountInString(name) <= 2
}

// maxClitics is the most letters clitics put before an Arabic word.
const maxClitics = 4

// WordEnd returns the end of the word that continues at s[i:].
func WordEnd(s []byte, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRune(s[i:])
		if RuneScript(r) != ScriptWord {
			break
		}
		i += n
	}
	return i
}

// arabicCliticsOK reports whether p, the letters of a word before an
// Arabic term, are clitics the term may follow: a conjunction (و ف), a
// preposition (ب ك ل), then the article (ال), each optional. After the
// preposition l- the article loses its alef (لل): before a term written
// with the article, that form (its second pattern) may only follow a
// conjunction; before a term written without it, لل is the preposition
// and the article.
func arabicCliticsOK(p string, lilArtic bool) bool {
	p = trimOne(p, "و", "ف")
	if lilArtic {
		return p == ""
	}
	if p == "لل" {
		// l- before the article, which loses its alef: للقراصنة.
		return true
	}
	p = trimOne(p, "ب", "ك", "ل")
	p = trimOne(p, "ال")
	return p == ""
}

func trimOne(s string, prefixes ...string) string {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return s[len(p):]
		}
	}
	return s
}

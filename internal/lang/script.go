package lang

import "unicode"

// script is a writing system that can tell languages apart before any
// n-gram model is consulted.
type script uint8

const (
	scriptNone script = iota
	scriptLatin
	scriptCyrillic
	scriptArabic
	scriptHan
	scriptKana
	scriptHangul
	scriptGreek
	scriptHebrew
	scriptDevanagari
	scriptBengali
	scriptGurmukhi
	scriptGujarati
	scriptTamil
	scriptTelugu
	scriptThai
	scriptGeorgian
	scriptArmenian
	scriptOther
	numScripts
)

// scriptTables maps the scripts to their Unicode tables, most frequent
// first, so that the lookup of a rune usually ends early.
var scriptTables = []struct {
	s     script
	table *unicode.RangeTable
}{
	{scriptLatin, unicode.Latin},
	{scriptHan, unicode.Han},
	{scriptCyrillic, unicode.Cyrillic},
	{scriptArabic, unicode.Arabic},
	{scriptKana, unicode.Hiragana},
	{scriptKana, unicode.Katakana},
	{scriptHangul, unicode.Hangul},
	{scriptGreek, unicode.Greek},
	{scriptHebrew, unicode.Hebrew},
	{scriptDevanagari, unicode.Devanagari},
	{scriptBengali, unicode.Bengali},
	{scriptGurmukhi, unicode.Gurmukhi},
	{scriptGujarati, unicode.Gujarati},
	{scriptTamil, unicode.Tamil},
	{scriptTelugu, unicode.Telugu},
	{scriptThai, unicode.Thai},
	{scriptGeorgian, unicode.Georgian},
	{scriptArmenian, unicode.Armenian},
}

// scriptOf returns the script of a letter, or scriptNone for anything that
// is not a letter.
func scriptOf(r rune) script {
	if r < 0x80 {
		if ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') {
			return scriptLatin
		}
		return scriptNone
	}
	if !unicode.IsLetter(r) {
		return scriptNone
	}
	if r == 'ー' { // the prolonged sound mark is Common, but only Japanese uses it
		return scriptKana
	}
	for _, t := range scriptTables {
		if unicode.Is(t.table, r) {
			return t.s
		}
	}
	return scriptOther
}

// countsPerChar reports whether each character of the script counts as a
// word: CJK scripts are written without spaces.
func countsPerChar(s script) bool {
	return s == scriptHan || s == scriptKana
}

// scriptCounts holds the number of words per script in a text, where a word
// is a run of letters of one script (combining marks included) or a single
// Han or kana character.
type scriptCounts [numScripts]int

// countScripts counts the words of text per script.
func countScripts(text string) scriptCounts {
	var c scriptCounts
	prev := scriptNone
	for _, r := range text {
		s := scriptOf(r)
		if s == scriptNone {
			if prev != scriptNone && unicode.Is(unicode.M, r) {
				continue // a combining mark stays in its word
			}
			prev = scriptNone
			continue
		}
		if s != prev || countsPerChar(s) {
			c[s]++
		}
		prev = s
	}
	return c
}

// total returns the number of words in all scripts.
func (c *scriptCounts) total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// dominant returns the script with the most words, counting Han and kana
// together as one group (Japanese mixes them), and that group's share of
// all words.
func (c *scriptCounts) dominant() (script, float64) {
	total := c.total()
	if total == 0 {
		return scriptNone, 0
	}
	best, bestN := scriptNone, 0
	for s := scriptLatin; s < numScripts; s++ {
		n := c[s]
		if s == scriptKana {
			continue
		}
		if s == scriptHan {
			n += c[scriptKana]
		}
		if n > bestN {
			best, bestN = s, n
		}
	}
	if bestN < c[scriptKana] { // kana alone, no Han at all
		best, bestN = scriptKana, c[scriptKana]
	}
	if best == scriptHan && c[scriptKana] > 0 {
		best = scriptKana // any kana makes the CJK group Japanese
	}
	return best, float64(bestN) / float64(total)
}

// scriptsOfLanguage returns the scripts a language is written in, for the
// languages the detector knows; every language not listed is written in
// Latin script.
func scriptsOfLanguage(code string) []script {
	switch code {
	case "be", "bg", "kk", "mk", "mn", "ru", "sr", "uk":
		return []script{scriptCyrillic}
	case "ar", "fa", "ur":
		return []script{scriptArabic}
	case "hi", "mr":
		return []script{scriptDevanagari}
	case "hy":
		return []script{scriptArmenian}
	case "bn":
		return []script{scriptBengali}
	case "zh":
		return []script{scriptHan}
	case "ja":
		return []script{scriptKana, scriptHan}
	case "ka":
		return []script{scriptGeorgian}
	case "el":
		return []script{scriptGreek}
	case "gu":
		return []script{scriptGujarati}
	case "he":
		return []script{scriptHebrew}
	case "ko":
		return []script{scriptHangul}
	case "pa":
		return []script{scriptGurmukhi}
	case "ta":
		return []script{scriptTamil}
	case "te":
		return []script{scriptTelugu}
	case "th":
		return []script{scriptThai}
	default:
		return []script{scriptLatin}
	}
}

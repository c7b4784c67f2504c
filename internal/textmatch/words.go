package textmatch

import (
	"sort"
	"unicode/utf8"
)

// WordIndex locates words in a folded field, to measure distances: a word
// of a spaced script counts two units, a Chinese or Japanese character one.
type WordIndex struct {
	built  bool
	starts []int32
	units  []int32 // units[i]: units of the words before word i
}

// Reset forgets the field the index was built for.
func (w *WordIndex) Reset() { w.built = false }

// Built reports whether the index holds a field since the last Reset.
func (w *WordIndex) Built() bool { return w.built }

// Build indexes the words of s.
func (w *WordIndex) Build(s []byte) {
	w.built = true
	w.starts, w.units = w.starts[:0], w.units[:0]
	total := int32(0)
	inWord := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		switch RuneScript(r) {
		case ScriptWord:
			if !inWord {
				w.starts = append(w.starts, int32(i))
				w.units = append(w.units, total)
				total += 2
			}
			inWord = true
		case ScriptCJK:
			w.starts = append(w.starts, int32(i))
			w.units = append(w.units, total)
			total++
			inWord = false
		default:
			inWord = false
		}
		i += n
	}
	w.starts = append(w.starts, int32(len(s)+1))
	w.units = append(w.units, total)
}

// Before returns the units of the words that start before offset o.
func (w *WordIndex) Before(o int32) int32 {
	i := sort.Search(len(w.starts), func(i int) bool { return w.starts[i] >= o })
	return w.units[i]
}

// Near reports whether the spans [aStart, aEnd) and [bStart, bEnd) are
// within n words of each other (adjacent words are 1 apart).
func (w *WordIndex) Near(aStart, aEnd, bStart, bEnd int32, n int) bool {
	if bStart < aStart {
		aStart, aEnd, bStart, bEnd = bStart, bEnd, aStart, aEnd
	}
	if bStart < aEnd {
		return true
	}
	gap := w.Before(bStart) - w.Before(aEnd)
	return int(gap)+2 <= 2*n
}

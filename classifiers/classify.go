package classifiers

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-news/vigie"
)

// Doc is an item to classify. Text is plain text and may be long; Lang is
// an ISO 639-1 code or "und". Every term is looked for whatever the
// language: Lang only labels the explanation.
type Doc struct {
	Title, Text, Lang string
}

// Result is what a classifier found in a document.
type Result struct {
	Classifier string
	Score      float64
	Matched    bool
	// Topics are the topics that counted, by score, highest first, each
	// with its evidence.
	Topics []vigie.Topic

	threshold float64
	lang      string
	below     []vigie.Topic        // topics that scored under their threshold
	negScore  float64              // what the negative terms took away
	negatives []vigie.Evidence     // the negative terms found
	negPoints []float64            // what each of negatives took away
	points    map[string][]float64 // by topic id: what each evidence line added
	groups    []string             // groups found in the item
	missing   []string             // required groups absent from the item
}

// Field names, as reported in evidence.
const (
	fieldTitle = 0
	fieldText  = 1
)

var fieldNames = [2]string{"title", "text"}

// hit is one verified match of a term in a field.
type hit struct {
	term       int32
	field      uint8
	start, end int32
}

// scratch holds the buffers of one Classify call, reused through a pool.
type scratch struct {
	f       [2]folded
	hits    []hit
	words   [2]wordIndex
	present []bool
	groups  []hit // hits of group terms, sorted for near
	// groupsSorted is set once groups holds this document's hits.
	groupsSorted bool
	keep         []hit
	key          []byte // the stem cache key being built
}

// stem returns t's stem of word (folded from the NFKC text when accents is
// set; already folded otherwise). News repeats its words: stems are kept
// in a cache shared by all classifiers, up to maxStemCache words.
func (sc *scratch) stem(t *cterm, word string, accents bool) string {
	sc.key = append(sc.key[:0], t.lang...)
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
		w = foldString(word, true)
	}
	st := t.stem(w)
	if accents {
		st = foldString(st, false)
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

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Classify scores a document. It is safe for concurrent use.
func (c *Classifier) Classify(d Doc) Result {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.hits = sc.hits[:0]
	sc.groupsSorted = false
	sc.f[fieldTitle].fold(d.Title)
	sc.f[fieldText].fold(d.Text)
	for field := range sc.f {
		c.find(sc, uint8(field))
	}
	return c.score(sc, d)
}

// find runs the automaton over one field and keeps the matches that pass
// their term's checks.
func (c *Classifier) find(sc *scratch, field uint8) {
	f := &sc.f[field]
	if len(f.s) == 0 {
		return
	}
	it := c.ac.IterOverlappingByte(f.s)
	for m := it.Next(); m != nil; m = it.Next() {
		for _, v := range c.pats[m.Pattern()] {
			if end, ok := c.terms[v.term].verify(sc, f, m.Start(), m.End(), v.lilArtic); ok {
				sc.hits = append(sc.hits, hit{term: int32(v.term), field: field, start: int32(m.Start()), end: int32(end)})
			}
		}
	}
}

// verify checks a match of t's pattern at s[start:end] and returns where
// the matched words end.
func (t *cterm) verify(sc *scratch, f *folded, start, end int, lilArtic bool) (int, bool) {
	s := f.s
	switch {
	case t.arabic:
		// Clitics are at most four letters (وبال): a word that starts
		// further back is not the term with clitics.
		ws := start
		for k := 0; ws > 0; k++ {
			r, n := utf8.DecodeLastRune(s[:ws])
			if runeScript(r) != scriptWord {
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
		if r, _ := utf8.DecodeLastRune(s[:start]); runeScript(r) == scriptWord {
			return 0, false
		}
	}
	if t.acronym {
		for _, r := range f.nfkc[f.src[start]:f.src[end]] {
			if unicode.IsLower(r) {
				return 0, false
			}
		}
	}
	if t.exact != "" && strings.TrimSpace(foldString(f.nfkc[f.src[start]:f.src[end]], true)) != t.exact {
		return 0, false
	}
	switch {
	case t.stem != nil:
		we := wordEnd(s, end)
		// Stems are compared with accents and, for text or terms
		// written without them, without.
		ws := start + t.lastOff
		if string(s[ws:we]) == t.lastFolded {
			return we, true
		}
		if sc.stem(t, f.nfkc[f.src[ws]:f.src[we]], true) != t.stemmed && sc.stem(t, string(s[ws:we]), false) != t.stemmedBare {
			return 0, false
		}
		return we, true
	case t.wildcard:
		return wordEnd(s, end), true
	case t.rightWord && end < len(s):
		if r, _ := utf8.DecodeRune(s[end:]); runeScript(r) == scriptWord {
			return 0, false
		}
	}
	return end, true
}

// maxClitics is the most letters clitics put before an Arabic word.
const maxClitics = 4

// wordEnd returns the end of the word that continues at s[i:].
func wordEnd(s []byte, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRune(s[i:])
		if runeScript(r) != scriptWord {
			break
		}
		i += n
	}
	return i
}

// arabicCliticsOK reports whether p, the letters of a word before an
// Arabic term, are clitics the term may follow: a conjunction (و ف), a
// preposition (ب ك ل), then the article (ال), each optional. After the
// preposition l- the article loses its alef (لل): that form of the term
// may only follow a conjunction.
func arabicCliticsOK(p string, lilArtic bool) bool {
	p = trimOne(p, "و", "ف")
	if lilArtic {
		return p == ""
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

// wordIndex locates words in a folded field, for near: a word of a spaced
// script counts two units, a Chinese or Japanese character one.
type wordIndex struct {
	built  bool
	starts []int32
	units  []int32 // units[i]: units of the words before word i
}

func (w *wordIndex) build(s []byte) {
	w.built = true
	w.starts, w.units = w.starts[:0], w.units[:0]
	total := int32(0)
	inWord := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		switch runeScript(r) {
		case scriptWord:
			if !inWord {
				w.starts = append(w.starts, int32(i))
				w.units = append(w.units, total)
				total += 2
			}
			inWord = true
		case scriptCJK:
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

// before returns the units of the words that start before offset o.
func (w *wordIndex) before(o int32) int32 {
	i := sort.Search(len(w.starts), func(i int) bool { return w.starts[i] >= o })
	return w.units[i]
}

// near reports whether hits a and b are within n words of each other.
func (w *wordIndex) near(a, b hit, n int) bool {
	if b.start < a.start {
		a, b = b, a
	}
	if b.start < a.end {
		return true
	}
	gap := w.before(b.start) - w.before(a.end)
	return int(gap)+2 <= 2*n
}

// score turns the verified hits into a result.
func (c *Classifier) score(sc *scratch, d Doc) Result {
	res := Result{Classifier: c.name, threshold: c.threshold, lang: d.Lang}
	sc.words[0].built, sc.words[1].built = false, false
	sc.present = slices.Grow(sc.present[:0], len(c.groups))[:len(c.groups)]
	clear(sc.present)
	for _, h := range sc.hits {
		if t := &c.terms[h.term]; t.owner == ownGroup {
			sc.present[t.idx] = true
		}
	}
	for g, ok := range sc.present {
		if ok {
			res.groups = append(res.groups, c.groups[g])
		}
	}
	for _, g := range c.require {
		if !sc.present[g] {
			res.missing = append(res.missing, c.groups[g])
		}
	}

	// Keep the hits that score: near satisfied, required groups present.
	keep := sc.keep[:0]
	for _, h := range sc.hits {
		t := &c.terms[h.term]
		if t.owner == ownGroup {
			continue
		}
		if t.owner == ownTopic && !t.alone {
			ok := true
			for _, g := range c.topics[t.idx].require {
				ok = ok && sc.present[g]
			}
			if !ok {
				continue
			}
		}
		if t.nearGroup >= 0 && !c.nearGroup(sc, h, t) {
			continue
		}
		keep = append(keep, h)
	}
	keep = c.dedupSpans(keep)
	sc.keep = keep
	slices.SortFunc(keep, func(a, b hit) int {
		ka, kb := c.terms[a.term].key, c.terms[b.term].key
		if ka != kb {
			return cmp.Compare(ka, kb)
		}
		if a.field != b.field {
			return cmp.Compare(a.field, b.field)
		}
		return cmp.Compare(a.start, b.start)
	})

	// One evidence line per (key, field): the term's highest weight,
	// counted once; repeats only raise the count.
	topics := make(map[int]*vigie.Topic)
	negFound := make(map[int]float64)
	var order []int
	for i := 0; i < len(keep); {
		j := i
		w := 0.0
		k := c.terms[keep[i].term].key
		count := 0
		for j < len(keep) && c.terms[keep[j].term].key == k && keep[j].field == keep[i].field {
			w = max(w, c.terms[keep[j].term].weight)
			if j == i || keep[j].start != keep[j-1].start {
				count++ // the same term written twice in a rule finds the same place twice
			}
			j++
		}
		t := &c.terms[keep[i].term]
		ev := vigie.Evidence{Term: c.keyText[k], Field: fieldNames[keep[i].field], Count: count}
		if t.owner == ownNegative {
			p := 0.0
			if _, seen := negFound[k]; !seen {
				p = w // each negative term counts once, whatever the field
			}
			negFound[k] = max(negFound[k], w)
			res.negatives = append(res.negatives, ev)
			res.negPoints = append(res.negPoints, p)
		} else {
			tp, ok := topics[t.idx]
			if !ok {
				tp = &vigie.Topic{ID: c.topics[t.idx].id}
				topics[t.idx] = tp
				order = append(order, t.idx)
			}
			if keep[i].field == fieldTitle {
				w *= c.titleWeight
			}
			tp.Score += w
			tp.Evidence = append(tp.Evidence, ev)
			if res.points == nil {
				res.points = make(map[string][]float64)
			}
			res.points[tp.ID] = append(res.points[tp.ID], w)
		}
		i = j
	}
	for _, w := range negFound {
		res.negScore += w
	}
	sort.Ints(order)
	for _, ti := range order {
		tp := topics[ti]
		if tp.Score >= c.topics[ti].threshold-eps {
			res.Topics = append(res.Topics, *tp)
			res.Score += tp.Score
		} else {
			res.below = append(res.below, *tp)
		}
	}
	res.Score -= res.negScore
	res.Matched = len(res.Topics) > 0 && res.Score >= c.threshold-eps
	byScore := func(a, b vigie.Topic) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return cmp.Compare(a.ID, b.ID)
	}
	slices.SortStableFunc(res.Topics, byScore)
	slices.SortStableFunc(res.below, byScore)
	return res
}

// dedupSpans keeps one hit per owner, field and stretch of text: when two
// terms of a topic find the same or overlapping words (a term and its
// inflected form listed beside it, such as "accord" and "accords", or
// "confidence-building" and "confidence-building measures"), the words
// count once, for the heavier term. Other hits (negative terms, near
// groups) are merged only when their spans are the same.
func (c *Classifier) dedupSpans(keep []hit) []hit {
	owner := func(h hit) int {
		if t := &c.terms[h.term]; t.owner == ownTopic {
			return t.idx
		}
		return -1
	}
	slices.SortFunc(keep, func(a, b hit) int {
		if x := cmp.Compare(owner(a), owner(b)); x != 0 {
			return x
		}
		if x := cmp.Compare(a.field, b.field); x != 0 {
			return x
		}
		if x := cmp.Compare(a.start, b.start); x != 0 {
			return x
		}
		if x := cmp.Compare(a.end, b.end); x != 0 {
			return x
		}
		if x := cmp.Compare(c.terms[b.term].weight, c.terms[a.term].weight); x != 0 {
			return x
		}
		return cmp.Compare(c.terms[a.term].key, c.terms[b.term].key)
	})
	// Within one owner and field, hits are now in order of start. A hit
	// that overlaps one kept before it replaces it if it is heavier (or as
	// heavy and longer), and is dropped otherwise: words that two terms of
	// a topic find count once, for the heavier.
	out := keep[:0]
	for _, h := range keep {
		if n := len(out); n > 0 {
			p := out[n-1]
			if owner(p) >= 0 && owner(p) == owner(h) && p.field == h.field && h.start < p.end {
				wh, wp := c.terms[h.term].weight, c.terms[p.term].weight
				if wh > wp || wh == wp && h.end-h.start > p.end-p.start {
					out[n-1] = h
				}
				continue
			}
			if owner(p) == owner(h) && p.field == h.field && p.start == h.start && p.end == h.end {
				continue
			}
		}
		out = append(out, h)
	}
	return out
}

// eps absorbs float rounding when a score is compared with a threshold.
const eps = 1e-9

// nearGroup reports whether a term of t's near group is found within
// t.within words of h, in the same field. The group's hits are sorted by
// start: the search looks at the nearest ones on each side and stops as
// soon as they are out of reach, so that a text full of terms stays linear.
func (c *Classifier) nearGroup(sc *scratch, h hit, t *cterm) bool {
	gh := sc.groupHits(c)
	key := func(x hit) (int, uint8) { return c.terms[x.term].idx, x.field }
	lo, _ := slices.BinarySearchFunc(gh, h, func(x, h hit) int {
		gx, fx := key(x)
		return cmp.Or(cmp.Compare(gx, t.nearGroup), cmp.Compare(fx, h.field), cmp.Compare(x.start, h.start))
	})
	w := &sc.words[h.field]
	if !w.built {
		w.build(sc.f[h.field].s)
	}
	reach := int32(2*t.within + 2*maxTermLen) // units; no term is longer
	same := func(x hit) bool { g, f := key(x); return g == t.nearGroup && f == h.field }
	for i := lo; i < len(gh) && same(gh[i]); i++ {
		if w.near(h, gh[i], t.within) {
			return true
		}
		if w.before(gh[i].start)-w.before(h.end) > reach {
			break
		}
	}
	for i := lo - 1; i >= 0 && same(gh[i]); i-- {
		if w.near(h, gh[i], t.within) {
			return true
		}
		if w.before(h.start)-w.before(gh[i].start) > reach {
			break
		}
	}
	return false
}

// groupHits returns the hits of group terms sorted by group, field and
// start, computed once per document.
func (sc *scratch) groupHits(c *Classifier) []hit {
	if sc.groupsSorted {
		return sc.groups
	}
	sc.groupsSorted = true
	sc.groups = sc.groups[:0]
	for _, h := range sc.hits {
		if c.terms[h.term].owner == ownGroup {
			sc.groups = append(sc.groups, h)
		}
	}
	slices.SortFunc(sc.groups, func(a, b hit) int {
		return cmp.Or(cmp.Compare(c.terms[a.term].idx, c.terms[b.term].idx), cmp.Compare(a.field, b.field), cmp.Compare(a.start, b.start))
	})
	return sc.groups
}

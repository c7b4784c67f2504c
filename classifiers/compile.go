package classifiers

import (
	"strings"
	"unicode"
	"unicode/utf8"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// Owners of a compiled term.
const (
	ownGroup = iota
	ownTopic
	ownNegative
)

// cterm is a compiled term: where it belongs, how it scores, and the
// checks a match of its pattern must pass.
type cterm struct {
	text  string // as written in the rule, without spaces around it
	lang  string
	owner int
	idx   int // group or topic index
	key   int // evidence key: one per (topic or negative, folded term)

	weight    float64
	alone     bool
	nearGroup int // -1: no near condition
	within    int

	wildcard    bool   // a trailing * was written
	acronym     bool   // written in capitals: matches only in capitals
	leftWord    bool   // the term starts with a letter of a spaced script: needs a word boundary before it
	rightWord   bool   // the same after it
	arabic      bool   // an Arabic term: may follow clitics
	exact       string // Vietnamese terms with diacritics: the accent-kept form to compare
	stem        func(string) string
	stemmed     string // the folded stem of the last word
	stemmedBare string // the stem of the last word without accents
	lastFolded  string // the last word, folded: found as is, no need to stem
	lastOff     int    // offset of the last word in the pattern
}

// variant ties one automaton pattern to a term. An Arabic term starting
// with the article has a second pattern for the article after the
// preposition l- (لل), which only the conjunctions may precede.
type variant struct {
	term     int
	lilArtic bool
}

// evKey names the terms that score together: same owner, same term once
// folded (so that "débris" under fr and "debris" under en count once).
type evKey struct {
	owner int // topic index, or -1 for negative
	form  string
}

// Classifier is a compiled rule set. It is immutable and safe for
// concurrent use.
type Classifier struct {
	name        string
	description string
	threshold   float64
	titleWeight float64

	groups  []string
	require []int // groups every topic needs
	topics  []ctopic
	terms   []cterm
	keys    []evKey
	keyText []string // by key: the term as first written, for evidence
	hasNear bool

	ac       ahocorasick.AhoCorasick
	patterns []string
	pats     [][]variant // by automaton pattern index
}

type ctopic struct {
	id        string
	threshold float64
	require   []int
}

// Name returns the classifier's name, as used in NATS subjects.
func (c *Classifier) Name() string { return c.name }

// Description returns the rule file's description of its subject.
func (c *Classifier) Description() string { return c.description }

// compile builds the classifier of a rule file that read without problems.
func compile(r *rules) *Classifier {
	c := &Classifier{
		name:        r.name,
		description: r.description,
		threshold:   r.threshold,
		titleWeight: r.titleWeight,
	}
	groupIdx := make(map[string]int)
	for i, g := range r.groups {
		groupIdx[g.name] = i
		c.groups = append(c.groups, g.name)
	}
	for _, rf := range r.require {
		c.require = appendUnique(c.require, groupIdx[rf.name])
	}
	keyIdx := make(map[evKey]int)
	key := func(owner int, src termSrc) int {
		k := evKey{owner, termForm(src)}
		if i, ok := keyIdx[k]; ok {
			return i
		}
		keyIdx[k] = len(c.keys)
		c.keys = append(c.keys, k)
		c.keyText = append(c.keyText, src.text)
		return len(c.keys) - 1
	}
	add := func(t cterm, src termSrc) {
		t.text = src.text
		t.lang = src.lang
		c.terms = append(c.terms, t)
	}
	for gi, g := range r.groups {
		for _, src := range g.terms {
			add(cterm{owner: ownGroup, idx: gi, key: -1, nearGroup: -1}, src)
		}
	}
	addEntry := func(e entry, owner, idx int) {
		for _, src := range e.terms {
			t := cterm{owner: owner, idx: idx, weight: e.weight, alone: e.alone, nearGroup: -1}
			if e.near != nil {
				t.nearGroup = groupIdx[e.near.group.name]
				t.within = e.near.within
				c.hasNear = true
			}
			ko := idx
			if owner == ownNegative {
				ko = -1
			}
			t.key = key(ko, src)
			add(t, src)
		}
	}
	for ti, t := range r.topics {
		ct := ctopic{id: t.id, threshold: t.threshold}
		for _, rf := range t.require {
			ct.require = appendUnique(ct.require, groupIdx[rf.name])
		}
		for _, g := range c.require {
			ct.require = appendUnique(ct.require, g)
		}
		c.topics = append(c.topics, ct)
		for _, e := range t.entries {
			addEntry(e, ownTopic, ti)
		}
	}
	for _, e := range r.negative {
		addEntry(e, ownNegative, -1)
	}

	patIdx := make(map[string]int)
	var patterns []string
	addPattern := func(p string, v variant) {
		i, ok := patIdx[p]
		if !ok {
			i = len(patterns)
			patIdx[p] = i
			patterns = append(patterns, p)
			c.pats = append(c.pats, nil)
		}
		c.pats[i] = append(c.pats[i], v)
	}
	for i := range c.terms {
		for j, p := range prepareTerm(&c.terms[i]) {
			addPattern(p, variant{term: i, lilArtic: j == 1})
		}
	}
	// Standard semantics report every match, overlapping ones included:
	// the checks after the automaton decide which ones count. The NFA form
	// is kept over the DFA: the DFA matched an item in 17 µs instead of
	// 27 µs, but cost 0.45 s of CPU to build and 28 MB more memory, at
	// start-up, when the language models are loading on the same cores
	// (BenchmarkParse, BenchmarkClassify).
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch, DFA: false})
	c.ac = b.Build(patterns)
	c.patterns = patterns
	return c
}

// termForm is the form under which two terms are the same term: folded,
// with accents for Vietnamese, and marked when written as an acronym or
// with a trailing *.
func termForm(src termSrc) string {
	body := strings.TrimSpace(src.text)
	form := ""
	if b, ok := strings.CutSuffix(body, "*"); ok {
		body, form = strings.TrimSpace(b), "*"
	}
	n := nfkc(body)
	if isAcronym(n) {
		form += "!"
	}
	return strings.TrimSpace(foldString(n, src.lang == "vi")) + form
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

func appendUnique(s []int, v int) []int {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// prepareTerm sets the matching fields of t and returns its automaton
// patterns: the folded term, and for Arabic terms starting with the article
// the form it takes after the preposition l-.
func prepareTerm(t *cterm) []string {
	body := strings.TrimSpace(t.text)
	if strings.HasSuffix(body, "*") {
		t.wildcard = true
		body = strings.TrimSpace(strings.TrimSuffix(body, "*"))
	}
	n := nfkc(body)
	f := strings.TrimSpace(foldString(n, false))
	t.acronym = isAcronym(n)
	first, _ := utf8.DecodeRuneInString(f)
	last, _ := utf8.DecodeLastRuneInString(f)
	t.leftWord = runeScript(first) == scriptWord
	t.rightWord = runeScript(last) == scriptWord && !t.wildcard
	t.arabic = isArabicLetter(first)
	if t.lang == "vi" {
		if e := strings.TrimSpace(foldString(n, true)); e != f {
			t.exact = e
		}
	}
	pattern := f
	if st := stemmerFor(t.lang); st != nil && !t.wildcard && !t.acronym && t.rightWord {
		light := strings.TrimSpace(foldString(n, true))
		lastLight := light[strings.LastIndexByte(light, ' ')+1:]
		lastFolded := f[strings.LastIndexByte(f, ' ')+1:]
		stemmed := foldString(st(lastLight), false)
		stemmedBare := st(lastFolded)
		prefix := commonRunePrefix(commonRunePrefix(lastFolded, stemmed), stemmedBare)
		if utf8.RuneCountInString(prefix) >= minStemRunes && isWordOnly(lastLight) {
			t.stem = st
			t.stemmed = stemmed
			t.stemmedBare = stemmedBare
			t.lastFolded = lastFolded
			t.lastOff = len(f) - len(lastFolded)
			pattern = f[:t.lastOff] + prefix
		}
	}
	pats := []string{pattern}
	if t.arabic && strings.HasPrefix(pattern, "ال") && len(pattern) > len("ال") {
		pats = append(pats, "لل"+strings.TrimPrefix(pattern, "ال"))
	}
	return pats
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
		if runeScript(r) != scriptWord {
			return false
		}
	}
	return s != ""
}

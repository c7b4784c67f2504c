package textmatch

import (
	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// Set is a compiled list of terms: one automaton over all their patterns.
// It is immutable and safe for concurrent use.
type Set struct {
	terms    []Term
	ac       ahocorasick.AhoCorasick
	patterns []string
	pats     [][]variant // by automaton pattern index
}

// variant ties one automaton pattern to a term. An Arabic term starting
// with the article has a second pattern for the article after the
// preposition l- (لل), which only the conjunctions may precede.
type variant struct {
	term     int
	lilArtic bool
}

// Compile builds the set of srcs; term i of the set is srcs[i]. The terms
// should have passed Problem.
func Compile(srcs []Source) *Set {
	s := &Set{terms: make([]Term, len(srcs))}
	patIdx := make(map[string]int)
	for i, src := range srcs {
		t, pats := Prepare(src)
		s.terms[i] = t
		for j, p := range pats {
			k, ok := patIdx[p]
			if !ok {
				k = len(s.patterns)
				patIdx[p] = k
				s.patterns = append(s.patterns, p)
				s.pats = append(s.pats, nil)
			}
			s.pats[k] = append(s.pats[k], variant{term: i, lilArtic: j == 1})
		}
	}
	// Standard semantics report every match, overlapping ones included:
	// the checks after the automaton decide which ones count. The NFA form
	// is kept over the DFA: the DFA matched an item in 17 µs instead of
	// 27 µs, but cost 0.45 s of CPU to build and 28 MB more memory, at
	// start-up, when the language models are loading on the same cores
	// (BenchmarkParse, BenchmarkClassify).
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch, DFA: false})
	s.ac = b.Build(s.patterns)
	return s
}

// Find runs the automaton over f and calls fn for every match that passes
// its term's checks, with the term and the span of f.S it covers.
func (s *Set) Find(sc *Scratch, f *Folded, fn func(term, start, end int)) {
	if len(f.S) == 0 || len(s.patterns) == 0 {
		return
	}
	it := s.ac.IterOverlappingByte(f.S)
	for m := it.Next(); m != nil; m = it.Next() {
		for _, v := range s.pats[m.Pattern()] {
			if end, ok := s.terms[v.term].Verify(sc, f, m.Start(), m.End(), v.lilArtic); ok {
				fn(v.term, m.Start(), end)
			}
		}
	}
}

// FindNaive is Find by a scan for every pattern at every offset: slow, it
// is there to check the automaton against (fuzz tests).
func (s *Set) FindNaive(sc *Scratch, f *Folded, fn func(term, start, end int)) {
	for pi, p := range s.patterns {
		for at := 0; at+len(p) <= len(f.S); at++ {
			if string(f.S[at:at+len(p)]) != p {
				continue
			}
			for _, v := range s.pats[pi] {
				if end, ok := s.terms[v.term].Verify(sc, f, at, at+len(p), v.lilArtic); ok {
					fn(v.term, at, end)
				}
			}
		}
	}
}

// Package entities names the states and intergovernmental bodies an item
// speaks of: every UN member and observer state (plus Taiwan and Kosovo),
// keyed by ISO 3166-1 alpha-2, and the bodies that act on cyberspace, keyed
// by their English acronym, with their names in many languages. The names
// live in data/*.yaml (FORMAT.md); one automaton pass finds them all.
package entities

import (
	"cmp"
	"slices"
	"sort"
	"sync"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/textmatch"
)

// Kind tells states from bodies.
type Kind uint8

// Kinds of entities. A combo is a written form that names several states
// at once (中美: China and the United States); its mentions are states.
const (
	State Kind = iota
	Org
	combo
)

func (k Kind) prefix() string {
	switch k {
	case Org:
		return "O:"
	case combo:
		return "C:"
	}
	return "S:"
}

func (k Kind) plural() string {
	if k == Org {
		return "orgs"
	}
	return "states"
}

// String returns "state" or "org".
func (k Kind) String() string {
	if k == Org {
		return "org"
	}
	return "state"
}

// Fields of an item, as mentions report them.
const (
	FieldTitle = 0
	FieldText  = 1
)

// Mention is one place where an entity is named.
type Mention struct {
	Key        string // ISO 3166-1 alpha-2 for a state, the acronym for a body
	Kind       Kind
	Field      uint8 // FieldTitle or FieldText
	Start, End int32 // the span of the name in the folded field (textmatch.Folded.S)
	Text       string
}

// Found is what Find found in an item: the mentions in order of field and
// position.
type Found struct {
	Mentions []Mention
}

// Entities returns the keys found, sorted, without repeats: the
// `entities` field of payloads.
func (f Found) Entities() vigie.Entities {
	e := vigie.Entities{States: []string{}, Orgs: []string{}}
	for _, m := range f.Mentions {
		if m.Kind == Org {
			e.Orgs = append(e.Orgs, m.Key)
		} else {
			e.States = append(e.States, m.Key)
		}
	}
	sort.Strings(e.States)
	sort.Strings(e.Orgs)
	e.States = slices.Compact(e.States)
	e.Orgs = slices.Compact(e.Orgs)
	return e
}

// Set is a compiled set of entities. It is immutable and safe for
// concurrent use.
type Set struct {
	terms  *textmatch.Set
	owners [][]owner // by term: what the name names
	keys   map[string]Kind
}

// owner is one entity a name names (a combo names several).
type owner struct {
	key  string
	kind Kind
}

// Parse reads entity files (FORMAT.md) and compiles them. The error, when
// not nil, is a diag.List with every problem as "file:line: message".
func Parse(files ...File) (*Set, error) {
	r := newReader()
	for _, f := range files {
		r.read(f)
	}
	r.check()
	if err := r.probs.Err(); err != nil {
		return nil, err
	}
	s := &Set{keys: make(map[string]Kind)}
	var srcs []textmatch.Source
	add := func(n nameSrc, owners []owner) {
		srcs = append(srcs, textmatch.Source{Text: n.text, Lang: n.lang, Cased: true})
		s.owners = append(s.owners, owners)
	}
	// Excluded forms come first: of two spans as long, longest keeps the
	// first term's, so an excluded form hides the name it holds.
	for _, n := range r.exclude {
		add(n, nil)
	}
	for _, id := range r.order {
		e := r.entities[id]
		s.keys[e.key] = e.kind
		for _, n := range e.names {
			add(n, []owner{{e.key, e.kind}})
		}
	}
	for _, c := range r.combos {
		var owners []owner
		for _, k := range c.keys {
			owners = append(owners, owner{k, State})
		}
		for _, n := range c.names {
			add(n, owners)
		}
	}
	s.terms = textmatch.Compile(srcs)
	return s, nil
}

// Default returns the set of the embedded files, compiled once.
func Default() (*Set, error) { return defaultSet() }

var defaultSet = sync.OnceValues(func() (*Set, error) { return Parse(Builtin()...) })

// BuiltinKind reports the kind of a key the embedded files define. It
// reads the files' keys only, so that a configuration that adds entity
// files (and compiles a set of its own) does not compile the built-in
// names a second time to learn their keys.
func BuiltinKind(key string) (Kind, bool) {
	k, ok := builtinKeys()[key]
	return k, ok
}

var builtinKeys = sync.OnceValue(func() map[string]Kind {
	r := newReader()
	for _, f := range Builtin() {
		r.read(f)
	}
	keys := make(map[string]Kind, len(r.entities))
	for _, id := range r.order { // as Parse records them
		keys[r.entities[id].key] = r.entities[id].kind
	}
	return keys
})

// Kind reports the kind of a key the set defines.
func (s *Set) Kind(key string) (Kind, bool) {
	k, ok := s.keys[key]
	return k, ok
}

// Keys returns the keys of one kind, sorted.
func (s *Set) Keys(kind Kind) []string {
	var out []string
	for k, kk := range s.keys {
		if kk == kind {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// scratch holds the buffers of one Find, reused through a pool.
type scratch struct {
	f  [2]textmatch.Folded
	tm textmatch.Scratch
	sp []span
}

type span struct {
	term       int
	start, end int32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Find returns the entities named in an item's title and text.
func (s *Set) Find(title, text string) Found {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.f[FieldTitle].Fold(title)
	sc.f[FieldText].Fold(text)
	var out Found
	for field := range sc.f {
		f := &sc.f[field]
		sc.sp = sc.sp[:0]
		s.terms.Find(&sc.tm, f, func(term, start, end int) {
			sc.sp = append(sc.sp, span{term, int32(start), int32(end)})
		})
		for _, sp := range longest(sc.sp) {
			text := f.NFKC[f.Src[sp.start]:f.Src[sp.end]]
			for _, o := range s.owners[sp.term] {
				out.Mentions = append(out.Mentions, Mention{Key: o.key, Kind: o.kind, Field: uint8(field), Start: sp.start, End: sp.end, Text: text})
			}
		}
	}
	return out
}

// longest keeps, of overlapping spans, the longest (the first of equals):
// "Papua New Guinea" hides "Guinea", "South Sudan" hides "Sudan", and an
// excluded form (发展中国家, developing countries) the name it holds.
func longest(sp []span) []span {
	slices.SortFunc(sp, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end), cmp.Compare(a.term, b.term))
	})
	out := sp[:0]
	for _, x := range sp {
		if n := len(out); n > 0 && x.start < out[n-1].end {
			// Starts inside the kept span: kept only when longer and not
			// inside it; the earlier span was at least as long from an
			// earlier start, so it wins.
			if x.end <= out[n-1].end || x.end-x.start <= out[n-1].end-out[n-1].start {
				continue
			}
			out[n-1] = x
			continue
		}
		out = append(out, x)
	}
	return out
}

package classifiers

import (
	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/textmatch"
)

// Owners of a compiled term.
const (
	ownGroup = iota
	ownTopic
	ownNegative
)

// cterm is a compiled term: where it belongs and how it scores. Its
// matching checks are the term of the same index in the classifier's
// textmatch.Set.
type cterm struct {
	text  string // as written in the rule, without spaces around it
	lang  string
	owner int
	idx   int // group or topic index
	key   int // evidence key: one per (topic or negative, folded term)

	weight float64
	alone  bool
	near   []cnear
	unless []cnear // conditions under which the term does not count
}

// cnear is a near condition of a term: a term or entity of group within
// the given words, naming at least distinct different entities when the
// group holds entities and distinct is over 1.
type cnear struct {
	group    int
	within   int
	distinct int
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
	cgroups []cgroup // by group index
	// usesEntities is set when a group holds entities: items need them.
	usesEntities bool

	set *textmatch.Set
}

// cgroup is a compiled group: its entities, and how many different
// things (entities or terms) it must find to count.
type cgroup struct {
	name      string
	allStates bool
	allOrgs   bool
	keys      map[string]bool
	distinct  int
	include   []int // groups that count as this one (they include none)
}

// holds reports whether an entity belongs to the group.
func (g *cgroup) holds(m *entities.Mention) bool {
	switch {
	case g.keys[m.Key]:
		return true
	case m.Kind == entities.State:
		return g.allStates
	default:
		return g.allOrgs
	}
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
			add(cterm{owner: ownGroup, idx: gi, key: -1}, src)
		}
		cg := cgroup{name: g.name, distinct: max(g.distinct, 1)}
		for _, sel := range g.entities {
			switch sel.name {
			case selStates:
				cg.allStates = true
			case selOrgs:
				cg.allOrgs = true
			default:
				if cg.keys == nil {
					cg.keys = make(map[string]bool)
				}
				cg.keys[sel.name] = true
			}
		}
		c.usesEntities = c.usesEntities || len(g.entities) > 0
		c.cgroups = append(c.cgroups, cg)
	}
	for gi, g := range r.groups {
		for _, rf := range g.include {
			c.cgroups[gi].include = append(c.cgroups[gi].include, groupIdx[rf.name])
		}
	}
	addEntry := func(e entry, owner, idx int) {
		for _, src := range e.terms {
			t := cterm{owner: owner, idx: idx, weight: e.weight, alone: e.alone}
			for _, n := range e.near {
				gi := groupIdx[n.group.name]
				t.near = append(t.near, cnear{group: gi, within: n.within, distinct: max(r.groups[gi].distinct, 1)})
			}
			for _, n := range e.unless {
				gi := groupIdx[n.group.name]
				t.unless = append(t.unless, cnear{group: gi, within: n.within, distinct: max(r.groups[gi].distinct, 1)})
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

	srcs := make([]textmatch.Source, len(c.terms))
	for i, t := range c.terms {
		srcs[i] = textmatch.Source{Text: t.text, Lang: t.lang}
	}
	c.set = textmatch.Compile(srcs)
	return c
}

// termForm is the form under which two terms are the same term: folded,
// with accents for Vietnamese, and marked when written as an acronym or
// with a trailing *.
func termForm(src termSrc) string { return textmatch.Form(src.text, src.lang) }

func appendUnique(s []int, v int) []int {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

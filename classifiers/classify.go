package classifiers

import (
	"cmp"
	"slices"
	"sort"
	"sync"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/textmatch"
)

// Doc is an item to classify. Text is plain text and may be long; Lang is
// an ISO 639-1 code or "und". Every term is looked for whatever the
// language: Lang only labels the explanation. Entities are the entities
// found in Title and Text; when nil, a classifier whose groups hold
// entities finds them with the built-in entity set.
type Doc struct {
	Title, Text, Lang string
	Entities          *entities.Found
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

// ghit is a match of a group: a term of the group, or an entity it holds.
// id tells different things apart for distinct: the term, or the entity's
// key (ids of entities start at entID).
type ghit struct {
	group      int32
	field      uint8
	start, end int32
	id         int32
	mention    int32 // the entity mention, or -1
}

const entID = 1 << 30

// scratch holds the buffers of one Classify call, reused through a pool.
type scratch struct {
	f       [2]textmatch.Folded
	tm      textmatch.Scratch
	hits    []hit
	words   [2]textmatch.WordIndex
	present []bool
	groups  []ghit // hits of groups, sorted for near
	// groupsSorted is set once groups holds this document's hits.
	groupsSorted bool
	keep         []hit
	found        *entities.Found
	partners     [][]int32 // by topic: the entity mentions that satisfied near conditions
	near         []int32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Classify scores a document. It is safe for concurrent use.
func (c *Classifier) Classify(d Doc) Result {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.hits = sc.hits[:0]
	sc.groupsSorted = false
	sc.f[fieldTitle].Fold(d.Title)
	sc.f[fieldText].Fold(d.Text)
	for field := range sc.f {
		c.find(sc, uint8(field))
	}
	sc.found = d.Entities
	if sc.found == nil && c.usesEntities {
		if set, err := entities.Default(); err == nil {
			found := set.Find(d.Title, d.Text)
			sc.found = &found
		}
	}
	res := c.score(sc, d)
	sc.found = nil // the pool must not keep the caller's mentions alive
	return res
}

// find runs the automaton over one field and keeps the matches that pass
// their term's checks.
func (c *Classifier) find(sc *scratch, field uint8) {
	c.set.Find(&sc.tm, &sc.f[field], func(term, start, end int) {
		sc.hits = append(sc.hits, hit{term: int32(term), field: field, start: int32(start), end: int32(end)})
	})
}

// score turns the verified hits into a result.
func (c *Classifier) score(sc *scratch, d Doc) Result {
	res := Result{Classifier: c.name, threshold: c.threshold, lang: d.Lang}
	sc.words[0].Reset()
	sc.words[1].Reset()
	sc.present = slices.Grow(sc.present[:0], len(c.groups))[:len(c.groups)]
	clear(sc.present)
	gh := sc.groupHits(c)
	for i := 0; i < len(gh); {
		g := gh[i].group
		j := i
		for j < len(gh) && gh[j].group == g {
			j++
		}
		sc.present[g] = countDistinct(gh[i:j], c.cgroups[g].distinct) >= c.cgroups[g].distinct
		i = j
	}
	for g := range c.cgroups {
		for _, inc := range c.cgroups[g].include {
			sc.present[g] = sc.present[g] || sc.present[inc]
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
	sc.partners = slices.Grow(sc.partners[:0], len(c.topics))[:len(c.topics)]
	for i := range sc.partners {
		sc.partners[i] = sc.partners[i][:0]
	}
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
		ok := true
		sc.near = sc.near[:0]
		for _, n := range t.near {
			if ok = c.nearGroup(sc, h, n); !ok {
				break
			}
		}
		mark := len(sc.near)
		for _, n := range t.unless {
			if ok && c.nearGroup(sc, h, n) {
				ok = false
			}
		}
		sc.near = sc.near[:mark]
		if !ok {
			continue
		}
		keep = append(keep, h)
		if t.owner == ownTopic {
			sc.partners[t.idx] = append(sc.partners[t.idx], sc.near...)
		}
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
	for _, ti := range order {
		if len(sc.partners[ti]) > 0 {
			tp := topics[ti]
			tp.Evidence = c.entityEvidence(tp.Evidence, sc.found, sc.partners[ti])
			for len(res.points[tp.ID]) < len(tp.Evidence) {
				res.points[tp.ID] = append(res.points[tp.ID], 0)
			}
		}
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

// countDistinct counts the different things (ids) among hits, up to
// enough: a group needs only that many.
func countDistinct(hits []ghit, enough int) int {
	var buf [8]int32 // groups ask for a few distinct things: no allocation
	ids := buf[:0]
	for _, h := range hits {
		if !slices.Contains(ids, h.id) {
			ids = append(ids, h.id)
			if len(ids) >= enough {
				break
			}
		}
	}
	return len(ids)
}

// entityEvidence appends to ev one line per entity, field and name that
// satisfied a near condition of the topic: the words as written in the
// item, and the entity's key. They add nothing to the score.
func (c *Classifier) entityEvidence(ev []vigie.Evidence, found *entities.Found, mentions []int32) []vigie.Evidence {
	slices.Sort(mentions)
	mentions = slices.Compact(mentions)
	for _, mi := range mentions {
		m := &found.Mentions[mi]
		i := slices.IndexFunc(ev, func(e vigie.Evidence) bool {
			return e.Entity == m.Key && e.Field == fieldNames[m.Field] && e.Term == m.Text
		})
		if i >= 0 {
			ev[i].Count++
			continue
		}
		ev = append(ev, vigie.Evidence{Term: m.Text, Field: fieldNames[m.Field], Count: 1, Entity: m.Key})
	}
	return ev
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

// nearGroup reports whether n's group is found within n.within words of
// h, in the same field: one term or entity of the group, or n.distinct
// different ones. The entity mentions that satisfy it are added to
// sc.near, for evidence. The group's hits are sorted by start: the search
// looks at the nearest ones on each side and stops as soon as they are out
// of reach, so that a text full of terms stays linear.
func (c *Classifier) nearGroup(sc *scratch, h hit, n cnear) bool {
	if c.nearOwn(sc, h, n) {
		return true
	}
	for _, inc := range c.cgroups[n.group].include {
		if c.nearOwn(sc, h, cnear{group: inc, within: n.within, distinct: c.cgroups[inc].distinct}) {
			return true
		}
	}
	return false
}

// nearOwn is nearGroup for the group's own terms and entities.
func (c *Classifier) nearOwn(sc *scratch, h hit, n cnear) bool {
	gh := sc.groupHits(c)
	lo, _ := slices.BinarySearchFunc(gh, h, func(x ghit, h hit) int {
		return cmp.Or(cmp.Compare(x.group, int32(n.group)), cmp.Compare(x.field, h.field), cmp.Compare(x.start, h.start))
	})
	w := &sc.words[h.field]
	if !w.Built() {
		w.Build(sc.f[h.field].S)
	}
	reach := int32(2*n.within + 2*maxTermLen) // units; no term is longer
	same := func(x ghit) bool { return x.group == int32(n.group) && x.field == h.field }
	mark := len(sc.near)
	var ids [8]int32
	found := 0
	take := func(x ghit) bool {
		if !w.Near(h.start, h.end, x.start, x.end, n.within) {
			return false
		}
		if x.mention >= 0 {
			sc.near = append(sc.near, x.mention)
		}
		if slices.Contains(ids[:min(found, len(ids))], x.id) {
			return false
		}
		if found < len(ids) {
			ids[found] = x.id
		}
		found++
		return found >= n.distinct
	}
	for i := lo; i < len(gh) && same(gh[i]); i++ {
		if take(gh[i]) {
			return true
		}
		if w.Before(gh[i].start)-w.Before(h.end) > reach {
			break
		}
	}
	for i := lo - 1; i >= 0 && same(gh[i]); i-- {
		if take(gh[i]) {
			return true
		}
		if w.Before(h.start)-w.Before(gh[i].start) > reach {
			break
		}
	}
	sc.near = sc.near[:mark]
	return false
}

// groupHits returns the hits of groups, terms and entities, sorted by
// group, field and start, computed once per document.
func (sc *scratch) groupHits(c *Classifier) []ghit {
	if sc.groupsSorted {
		return sc.groups
	}
	sc.groupsSorted = true
	sc.groups = sc.groups[:0]
	for _, h := range sc.hits {
		if t := &c.terms[h.term]; t.owner == ownGroup {
			sc.groups = append(sc.groups, ghit{group: int32(t.idx), field: h.field, start: h.start, end: h.end, id: h.term, mention: -1})
		}
	}
	if sc.found != nil && c.usesEntities {
		ms := sc.found.Mentions
		for mi := range ms {
			m := &ms[mi]
			id := int32(entID + mi)
			for k := range mi {
				if ms[k].Key == m.Key && ms[k].Kind == m.Kind {
					id = int32(entID + k)
					break
				}
			}
			for gi := range c.cgroups {
				if c.cgroups[gi].holds(m) {
					sc.groups = append(sc.groups, ghit{group: int32(gi), field: m.Field, start: m.Start, end: m.End, id: id, mention: int32(mi)})
				}
			}
		}
	}
	slices.SortFunc(sc.groups, func(a, b ghit) int {
		return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.field, b.field), cmp.Compare(a.start, b.start))
	})
	return sc.groups
}

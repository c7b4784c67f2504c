package story

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Options tune grouping. Zero values are defaults.
type Options struct {
	// Window is how far apart the earliest and latest reports of one
	// story may be (default DefaultWindow).
	Window time.Duration
	// Threshold is the similarity an item needs to join a story (default
	// DefaultThreshold).
	Threshold float64
}

// DefaultThreshold is the similarity, from 0 to about 1.5, that puts an
// item in a story; measured on real reports (see the package's tests).
const DefaultThreshold = 0.18

// Features count in groups: a cosine is taken over each group apart, so
// that many features of one kind (the capitalised nouns of German, the
// words of a long text) do not drown what the others share.
const (
	groupGeo = iota
	groupOrg
	groupName
	groupNumber
	groupTopic
	groupYear
	groupWord
	nGroups
)

var groupOf = [256]uint8{
	KindState: groupGeo, KindOrg: groupOrg, KindName: groupName, KindSound: groupName,
	KindNumber: groupNumber, KindSmallNumber: groupNumber, KindTopic: groupTopic, KindYear: groupYear, KindWord: groupWord,
}

// groupFor is the group of a feature. The bodies that speak for many
// states (the UN, the EU, NATO...) are named as often as states, and say
// as little of which event an item reports: they count with the states.
func groupFor(key string) uint8 {
	if key[0] == KindOrg && broadBodies[key[2:]] {
		return groupGeo
	}
	return groupOf[key[0]]
}

var broadBodies = map[string]bool{
	"UN": true, "EU": true, "NATO": true, "G7": true, "G20": true, "ASEAN": true, "AU": true, "OAS": true,
	"BRICS": true, "SCO": true, "CIS": true, "CSTO": true, "GCC": true, "OECD": true, "WTO": true, "COE": true, "OSCE": true,
}

// Weights of the kinds of features within their group: a name's sound is
// weaker evidence than its spelling.
var kindWeight = [256]float64{
	KindState: 1, KindOrg: 1, KindTopic: 1, KindNumber: 1, KindSmallNumber: 0.5, KindYear: 1, KindName: 1, KindSound: 0.6, KindWord: 1,
}

// groupWeight is what each group's cosine counts for in the similarity.
var groupWeight = [nGroups]float64{
	groupGeo: 0.35, groupOrg: 0.35, groupName: 0.8, groupNumber: 0.3, groupTopic: 0.1, groupYear: 0.05, groupWord: 0.6,
}

// maxPosting bounds the items read through one feature to find
// candidates: a feature that many items share (a state named everywhere)
// finds nothing its rarer neighbours do not, and only scores candidates.
const maxPosting = 200

// maxSeeds is how many of an item's rarest features find its candidates.
const maxSeeds = 32

// maxStories is how many stories, those of the items that share the
// most through their rarer features, are scored in full.
const maxStories = 12

// Grouper holds the open stories and an index of their items' features.
// It decides which story an item belongs to; it does no I/O. It is not
// safe for concurrent use.
type Grouper struct {
	opts    Options
	stories map[string]*openStory
	members map[string]*member // by item id
	feats   map[string]*feature
	// n counts the indexed members, for the features' rarity.
	n int
	// oldest is at most the earliest report of the open stories (zero:
	// unknown), so that Expire reads them only when one may be due.
	oldest time.Time
	// Scratch of Match: its round, the members and stories it found.
	round    uint64
	found    []*member
	stories1 []*openStory
	top      []candidate
}

type openStory struct {
	s       *Story
	members []*member
	// count holds how many members have each feature, once centroid
	// needed it; nil after the members changed.
	count map[*feature]int32
	// norm holds the squared norms of the groups of the story's centroid
	// as of normAt (see centroid).
	norm   [nGroups]float64
	normAt int
	// best is the member that shares the most with the item Match
	// scores, as of Match's round.
	best  candidate
	round uint64
}

type member struct {
	id    string
	story *openStory
	time  time.Time
	// acc is the weight the item Match scores shares with the member
	// through its rarer features, as of Match's round.
	acc   float64
	round uint64
	// feats are the member's features, sorted by key.
	feats []*feature
}

type feature struct {
	key     string
	kind    byte
	group   uint8
	members []*member
	// w is the feature's weight as of wAt (see weight).
	w   float64
	wAt uint64
}

// NewGrouper returns an empty grouper.
func NewGrouper(o Options) *Grouper {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Threshold <= 0 {
		o.Threshold = DefaultThreshold
	}
	return &Grouper{
		opts:    o,
		stories: map[string]*openStory{},
		members: map[string]*member{},
		feats:   map[string]*feature{},
	}
}

// Window is the grouper's window.
func (g *Grouper) Window() time.Duration { return g.opts.Window }

// Len returns the number of open stories.
func (g *Grouper) Len() int { return len(g.stories) }

// Story returns an open story by id.
func (g *Grouper) Story(id string) (*Story, bool) {
	o, ok := g.stories[id]
	if !ok {
		return nil, false
	}
	return o.s, true
}

// StoryOf returns the open story that holds an item.
func (g *Grouper) StoryOf(itemID string) (*Story, bool) {
	m, ok := g.members[itemID]
	if !ok {
		return nil, false
	}
	return m.story.s, true
}

// weight is a feature's weight: its kind's, times its rarity among the
// indexed items (see rarity).
func (g *Grouper) weight(f *feature, df int) float64 {
	// The weight changes little from one item to the next: it is kept
	// while the feature's count and the index's size (to 32 items) stay.
	at := uint64(g.n>>5)<<32 | uint64(df) + 1
	if f.wAt != at {
		f.w, f.wAt = kindWeight[f.kind]*g.rarity(f.kind, df), at
	}
	return f.w
}

// rarity is an inverse document frequency scaled from near 0 (every item
// has the feature) to 1 (no other item has it). Before the index holds
// enough items to tell, a prior says how common each kind of feature is:
// priorItems items in which a state is named by prior[KindState] of them,
// and so on, so that a grouper that starts does not take the first
// states and topics it sees for rare.
func (g *Grouper) rarity(kind byte, df int) float64 {
	n := float64(g.n) + priorItems
	d := float64(df) + priorItems*prior[kind]
	return math.Log(1+n/(d+1)) / math.Log(1+n)
}

const priorItems = 300

var prior = [256]float64{
	KindState: 0.05, KindOrg: 0.02, KindTopic: 0.2, KindNumber: 0.01, KindSmallNumber: 0.03, KindYear: 0.2, KindName: 0.002, KindSound: 0.005, KindWord: 0.01,
}

// Match returns the open story that an item with features feats,
// reported at t, belongs to, and the similarity that decided it; nil when
// it matches none and starts a story of its own.
func (g *Grouper) Match(feats []string, t time.Time) (*Story, float64) {
	var mine [128]known
	have, norm := g.known(feats, mine[:0])
	if len(have) == 0 {
		return nil, 0
	}
	// Candidates: the stories of the members that share the rarer
	// features, by the most weight one of their members shares through
	// them.
	// Weights are summed in the members and stories themselves, marked
	// with this call's round, rather than in maps: this loop is most of
	// the cost of grouping.
	g.round++
	found := g.found[:0]
	for i, h := range have {
		if len(h.f.members) > maxPosting || i == maxSeeds {
			break
		}
		for _, m := range h.f.members {
			if m.round != g.round {
				if !g.fits(m.story, t) {
					continue
				}
				m.round, m.acc = g.round, 0
				found = append(found, m)
			}
			m.acc += h.w * h.w
		}
	}
	g.found = found
	stories := g.stories1[:0]
	for _, m := range found {
		o := m.story
		if o.round != g.round {
			o.round, o.best = g.round, candidate{m, m.acc}
			stories = append(stories, o)
		} else if b := o.best; m.acc > b.w || m.acc == b.w && m.id < b.m.id {
			o.best = candidate{m, m.acc}
		}
	}
	g.stories1 = stories
	if len(stories) == 0 {
		return nil, 0
	}
	top := g.top[:0]
	for _, o := range stories {
		top = append(top, o.best)
	}
	g.top = top
	byWeight := func(a, b candidate) int {
		if c := cmp.Compare(b.w, a.w); c != 0 {
			return c
		}
		return strings.Compare(a.m.story.s.ID, b.m.story.s.ID)
	}
	if len(top) > maxStories {
		// Only the best are wanted, in no order: a partial selection.
		selectTop(top, maxStories, byWeight)
		top = top[:maxStories]
	}
	// Those stories scored in full: a story of one item by that item, a
	// story of more by what its items share (see centroid), so that one
	// report like the item is not enough for a story of many to take it:
	// that is how one story would chain into the next.
	var pick *openStory
	score := 0.0
	for _, c := range top {
		o := c.m.story
		var s float64
		if len(o.members) == 1 {
			s = g.similarity(have, &norm, c.m)
		} else {
			s = g.centroid(have, &norm, o)
		}
		if s > score || s == score && pick != nil && o.s.ID < pick.s.ID {
			pick, score = o, s
		}
	}
	if pick == nil || score < g.opts.Threshold {
		return nil, score
	}
	return pick.s, score
}

// candidate is a story found through one of its members, m, that shares
// weight w with the item through its rarer features.
type candidate struct {
	m *member
	w float64
}

// selectTop reorders s so that its first k elements are the k first in
// the order of cmp (quickselect).
func selectTop[T any](s []T, k int, cmp func(a, b T) int) {
	lo, hi := 0, len(s)-1
	for lo < hi {
		p := s[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for cmp(s[i], p) < 0 {
				i++
			}
			for cmp(s[j], p) > 0 {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}

// known is a feature of an item that some member has, with its weight.
type known struct {
	f *feature
	w float64
}

// known returns the features of an item that some member has, with
// their weights, and the squared norms of the item's groups of features.
func (g *Grouper) known(feats []string, have []known) ([]known, [nGroups]float64) {
	var norm [nGroups]float64
	for _, k := range feats {
		f := g.feats[k]
		if f == nil {
			// A feature no member has weighs as a feature seen once: it
			// counts in the item's norm, making its shared part smaller.
			w := kindWeight[k[0]] * g.rarity(k[0], 0)
			norm[groupFor(k)] += w * w
			continue
		}
		w := g.weight(f, len(f.members))
		norm[f.group] += w * w
		have = append(have, known{f, w})
	}
	return have, norm
}

// similarity scores a candidate member (see parts and combine).
func (g *Grouper) similarity(have []known, norm *[nGroups]float64, m *member) float64 {
	cos, shared := g.parts(have, norm, m)
	return combine(cos, shared)
}

// combine turns the cosines of the groups of features of two items, and
// the weights they share in each, into their similarity: the weighted sum
// of the cosines, each counted in full only when what the group shares
// weighs enough (see saturation).
func combine(cos, shared [nGroups]float64) float64 {
	// Two texts of one language share words whatever they report: only
	// what they share beyond that counts.
	cos[groupWord] = max(0, cos[groupWord]-wordFloor) / (1 - wordFloor)
	s, specific, groups := 0.0, 0.0, 0
	for i, c := range cos {
		x := groupWeight[i] * c * min(1, shared[i]/saturation[i])
		s += x
		if x > 0.02 {
			groups++
		}
		if i != groupGeo && i != groupTopic && i != groupYear {
			specific += x
		}
	}
	// States and topics say what kind of news two items are, not that
	// they report one event: something more must be shared, a body, a
	// name, a number or the words of one language. And one kind of
	// evidence alone (a number, some words) is chance as often as not.
	if specific < minSpecific || groups < minGroups {
		return 0
	}
	return s
}

// centroid scores a story as a whole: the item against the mean of its
// members' features, so that what most of its reports share counts most.
func (g *Grouper) centroid(have []known, norm *[nGroups]float64, o *openStory) float64 {
	n := float64(len(o.members))
	if o.count == nil {
		// Counted when first needed: most stories have one item and are
		// never scored this way.
		o.count = make(map[*feature]int32, 2*len(o.members[0].feats))
		for _, m := range o.members {
			for _, f := range m.feats {
				o.count[f]++
			}
		}
		o.normAt = 0
	}
	if at := g.n>>5 + 1; o.normAt != at {
		// Kept, as weights are, while the index grows by fewer than 32.
		o.norm = [nGroups]float64{}
		for f, c := range o.count {
			w := g.weight(f, len(f.members)) * float64(c) / n
			o.norm[f.group] += w * w
		}
		o.normAt = at
	}
	var dot, cos, shared [nGroups]float64
	for _, h := range have {
		if c := o.count[h.f]; c > 0 {
			share := float64(c) / n
			dot[h.f.group] += h.w * h.w * share
			shared[h.f.group] += h.w * share
		}
	}
	for i := range dot {
		if dot[i] > 0 {
			cos[i] = dot[i] / math.Sqrt(norm[i]*o.norm[i])
		}
	}
	return combine(cos, shared)
}

// What combine asks of two items beyond the threshold.
const (
	// wordFloor is the cosine of the words of two texts of one language
	// that report different events, about.
	wordFloor = 0.1
	// minSpecific is the least that the bodies, names, numbers and words
	// must add to a similarity.
	minSpecific = 0.05
	// minGroups is the least number of groups of features that must add
	// to a similarity.
	minGroups = 2
)

// saturation is, for each group, the weight two items must share in it
// for its cosine to count in full: two rare features' worth of states
// (the United States and Russia in two short items are no evidence of one
// event), one rare name or body.
var saturation = [nGroups]float64{
	groupGeo: 1.6, groupOrg: 0.7, groupName: 1.0, groupNumber: 0.9, groupTopic: 1.0, groupYear: 0.5, groupWord: 2.0,
}

// parts returns, for each group of features, the cosine of an item's
// (have, with the squared norms of its groups) with a member's, and the
// weight of the features they share.
func (g *Grouper) parts(have []known, norm *[nGroups]float64, m *member) (cos, shared [nGroups]float64) {
	var dot, mn [nGroups]float64
	for _, f := range m.feats {
		w := g.weight(f, len(f.members))
		mn[f.group] += w * w
	}
	for _, h := range have {
		if m.has(h.f) {
			dot[h.f.group] += h.w * h.w
			shared[h.f.group] += h.w
		}
	}
	for i := range dot {
		if dot[i] > 0 {
			cos[i] = dot[i] / math.Sqrt(norm[i]*mn[i])
		}
	}
	return cos, shared
}

// fits reports whether an item reported at t may join a story: the
// story's reports would still lie within the window.
func (g *Grouper) fits(o *openStory, t time.Time) bool {
	first, last := o.s.First, o.s.Last
	if t.Before(first) {
		first = t
	}
	if t.After(last) {
		last = t
	}
	return last.Sub(first) <= g.opts.Window
}

func (m *member) has(f *feature) bool {
	i := sort.Search(len(m.feats), func(i int) bool { return m.feats[i].key >= f.key })
	return i < len(m.feats) && m.feats[i] == f
}

// Put records a story as stored whole: a new one, or a new state of one
// the grouper holds (more items). Members it already indexes are kept.
func (g *Grouper) Put(s *Story) {
	o := g.open(s.ID)
	o.s = s
	g.older(s.First)
	for _, it := range s.Items {
		g.index(o, it)
	}
}

// Add records a report of a story as stored: the story's first report
// starts it. A report the story holds already changes nothing.
func (g *Grouper) Add(r Record) {
	o := g.open(r.Story)
	if m, ok := g.members[r.ID]; ok && m.story == o {
		return
	}
	m := r.Member
	if len(o.s.Items) >= MaxIndexed {
		m.Features = nil // only the first MaxIndexed reports say what a story is about
	}
	o.s = r.joins(o.s)
	g.older(o.s.First)
	g.index(o, m)
}

// joins returns a copy of a story with the record's report in it.
func (r Record) joins(s *Story) *Story {
	if s == nil {
		s = &Story{ID: r.Story}
	}
	s = s.clone()
	s.join(r)
	return s
}

// RemoveReport forgets a report of a story, and the story if it was its
// only one.
func (g *Grouper) RemoveReport(storyID, itemID string) {
	o := g.stories[storyID]
	m, ok := g.members[itemID]
	if o == nil || !ok || m.story != o {
		return
	}
	g.unindex(m)
	if len(o.members) == 0 {
		delete(g.stories, storyID)
		return
	}
	s := o.s.clone()
	s.Items = slices.DeleteFunc(s.Items, func(x Member) bool { return x.ID == itemID })
	o.s = s
}

// open returns the open story id, started empty if the grouper has none.
func (g *Grouper) open(id string) *openStory {
	o := g.stories[id]
	if o == nil {
		o = &openStory{s: &Story{ID: id}}
		g.stories[id] = o
	}
	o.count, o.normAt = nil, 0
	return o
}

// older notes the earliest report of a story, for Expire.
func (g *Grouper) older(first time.Time) {
	if g.oldest.IsZero() || first.Before(g.oldest) {
		g.oldest = first
	}
}

// index puts a member of a story in the index, unless it is there.
func (g *Grouper) index(o *openStory, it Member) {
	if m, ok := g.members[it.ID]; ok {
		if m.story == o {
			return
		}
		// The item moved: another instance's word is the stored one.
		g.unindex(m)
	}
	m := &member{id: it.ID, story: o, time: it.Time}
	keys := slices.Clone(it.Features)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for _, k := range keys {
		if k == "" {
			continue
		}
		f := g.feats[k]
		if f == nil {
			// A copy: an item's keys share one string (Features), which
			// the index would keep whole for the key it holds.
			k = strings.Clone(k)
			f = &feature{key: k, kind: k[0], group: groupFor(k)}
			g.feats[k] = f
		}
		f.members = append(f.members, m)
		m.feats = append(m.feats, f)
	}
	o.members = append(o.members, m)
	g.members[it.ID] = m
	g.n++
}

// unindex takes a member out of the index and out of its story's members.
func (g *Grouper) unindex(m *member) {
	m.story.count, m.story.normAt = nil, 0
	for _, f := range m.feats {
		if n := len(f.members); n > 0 && f.members[n-1] == m {
			f.members = f.members[:n-1] // the latest: no need to look
		} else if i := slices.Index(f.members, m); i >= 0 {
			f.members = slices.Delete(f.members, i, i+1)
		}
		if len(f.members) == 0 {
			delete(g.feats, f.key)
		}
	}
	if i := slices.Index(m.story.members, m); i >= 0 {
		m.story.members = slices.Delete(m.story.members, i, i+1)
	}
	delete(g.members, m.id)
	g.n--
}

// Remove forgets a story.
func (g *Grouper) Remove(id string) {
	o := g.stories[id]
	if o == nil {
		return
	}
	for _, m := range slices.Clone(o.members) {
		g.unindex(m)
	}
	delete(g.stories, id)
}

// Expire forgets the stories that no item reported at now or later can
// join: their earliest report is more than the window before now. It
// returns how many it forgot.
func (g *Grouper) Expire(now time.Time) int {
	if !g.oldest.IsZero() && now.Sub(g.oldest) <= g.opts.Window {
		return 0 // called for every item: most calls have nothing to do
	}
	n := 0
	g.oldest = time.Time{}
	for id, o := range g.stories {
		switch {
		case now.Sub(o.s.First) > g.opts.Window:
			g.Remove(id)
			n++
		case g.oldest.IsZero() || o.s.First.Before(g.oldest):
			g.oldest = o.s.First
		}
	}
	return n
}

// Stories returns the open stories, the latest first.
func (g *Grouper) Stories() []*Story {
	out := make([]*Story, 0, len(g.stories))
	for _, o := range g.stories {
		out = append(out, o.s)
	}
	SortLatestFirst(out)
	return out
}

// SortLatestFirst orders stories by their latest report, newest first.
func SortLatestFirst(s []*Story) {
	slices.SortFunc(s, func(a, b *Story) int {
		if c := b.Last.Compare(a.Last); c != 0 {
			return c
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
}

// Assign decides an item's story and records it: the story it joins, or a
// new one it starts. An item already grouped stays in its story. now is
// when it is grouped.
func (g *Grouper) Assign(in Input, feats []string, now time.Time) *Story {
	r, s := g.assign(in, feats, now)
	if s != nil {
		return s
	}
	g.Add(r)
	s, _ = g.Story(r.Story)
	return s
}

// bound cuts s to at most n bytes, at a character's boundary: every
// instance holds every open story, and a title or a link has no need to
// be long.
func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// assign decides the story an item goes to, without changing the
// grouper: it returns the record that puts the item in its story, or the
// story that holds the item already.
func (g *Grouper) assign(in Input, feats []string, now time.Time) (Record, *Story) {
	if s, ok := g.StoryOf(in.ID); ok {
		return Record{}, s
	}
	m := Member{
		ID: in.ID, Feed: in.Feed, FeedTitle: in.FeedTitle, Lang: in.Lang, Title: bound(in.Title, 300), URL: bound(in.URL, 1000),
		Time: in.Time.UTC(), Grouped: now.UTC(), Features: feats,
	}
	s, score := g.Match(feats, in.Time)
	if s == nil {
		return Record{Story: NewID(in.ID), First: m.Time, Member: m}, nil
	}
	m.Score = math.Round(score*1000) / 1000
	first := s.First
	if m.Time.Before(first) {
		first = m.Time
	}
	return Record{Story: s.ID, First: first, Member: m}, nil
}

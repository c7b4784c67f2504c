package story

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
)

var day = time.Date(2018, 10, 4, 9, 0, 0, 0, time.UTC)

// report makes an item of the OPCW story, in the words of one language.
func opcw(id, lang, text string, at time.Time) Input {
	return Input{ID: id, Feed: "feed-" + id, Lang: lang, Text: text, Time: at,
		Entities: vigie.Entities{States: []string{"NL", "RU", "GB"}, Orgs: []string{"OPCW"}},
		Topics:   []string{"attribution-sanctions"}}
}

var opcwReports = []Input{
	opcw("en-1", "en", "The Netherlands expelled four Russian GRU officers who targeted the OPCW in The Hague on April 13, Defence Minister Ank Bijleveld said.", day),
	opcw("fr-1", "fr", "Les Pays-Bas ont expulsé quatre agents russes du GRU qui visaient l'OIAC à La Haye le 13 avril, selon la ministre Ank Bijleveld.", day.Add(2*time.Hour)),
	opcw("ja-1", "ja", "オランダ国防省は、化学兵器禁止機関(OPCW)へのサイバー攻撃を未然に防ぎ、ロシア軍参謀本部情報総局(GRU)の4人を国外追放した。4月13日。", day.Add(5*time.Hour)),
	opcw("ru-1", "ru", "Разведка Нидерландов 13 апреля предотвратила кибератаку ГРУ против ОЗХО в Гааге, заявила министр обороны Анк Бийлевельд.", day.Add(7*time.Hour)),
}

// Another cyber event of the same day: other states, other names.
var pentagon = Input{ID: "en-2", Feed: "feed-en-2", Lang: "en", Time: day.Add(3 * time.Hour),
	Text:     "Katie Wheelbarger said the Pentagon will offer its cyber warfare capabilities to the 29 NATO allies.",
	Entities: vigie.Entities{States: []string{"US", "RU"}, Orgs: []string{"NATO"}}, Topics: []string{"norms"}}

func assignAll(g *Grouper, in ...Input) map[string]string {
	out := map[string]string{}
	for _, it := range in {
		out[it.ID] = g.Assign(it, Features(it), it.Time).ID
	}
	return out
}

func TestGrouperGroupsOneEvent(t *testing.T) {
	g := NewGrouper(Options{})
	got := assignAll(g, append([]Input{pentagon}, opcwReports...)...)
	for _, r := range opcwReports[1:] {
		if got[r.ID] != got[opcwReports[0].ID] {
			t.Errorf("%s in story %s, %s in %s: one event, two stories", r.ID, got[r.ID], opcwReports[0].ID, got[opcwReports[0].ID])
		}
	}
	if got[pentagon.ID] == got[opcwReports[0].ID] {
		t.Errorf("two events of one day in one story")
	}
	s, _ := g.Story(got["en-1"])
	ref := s.Ref()
	if ref.Items != 4 || fmt.Sprint(ref.Languages) != "[en fr ja ru]" || ref.Feeds != 4 || !ref.FirstSeen.Equal(day) {
		t.Errorf("ref = %+v", ref)
	}
}

func TestGrouperWindow(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		same  bool
	}{
		{"a day later", 24 * time.Hour, true},
		{"within the window", 71 * time.Hour, true},
		{"after the window", 73 * time.Hour, false},
		{"before, within the window", -50 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGrouper(Options{Window: 72 * time.Hour})
			a, b := opcwReports[0], opcwReports[1]
			b.Time = a.Time.Add(tt.after)
			got := assignAll(g, a, b)
			if same := got[a.ID] == got[b.ID]; same != tt.same {
				t.Errorf("same story: %v, want %v", same, tt.same)
			}
		})
	}
}

func TestGrouperItemKeepsItsStory(t *testing.T) {
	g := NewGrouper(Options{})
	first := g.Assign(opcwReports[0], Features(opcwReports[0]), day)
	again := g.Assign(opcwReports[0], Features(opcwReports[0]), day.Add(time.Hour))
	if again.ID != first.ID || again.Len() != 1 {
		t.Errorf("the same item again: story %s of %d items, want %s of 1", again.ID, again.Len(), first.ID)
	}
	if first.ID != NewID(opcwReports[0].ID) {
		t.Errorf("story id %s, want the one its first item gives", first.ID)
	}
}

func TestGrouperExpire(t *testing.T) {
	g := NewGrouper(Options{Window: 72 * time.Hour})
	assignAll(g, opcwReports[0])
	if n := g.Expire(day.Add(71 * time.Hour)); n != 0 || g.Len() != 1 {
		t.Fatalf("expired %d of a story still open", n)
	}
	if n := g.Expire(day.Add(73 * time.Hour)); n != 1 || g.Len() != 0 {
		t.Fatalf("expired %d, %d open: want the story gone", n, g.Len())
	}
	// Nothing of it is left in the index: a report of it starts anew.
	late := opcwReports[1]
	late.Time = day.Add(73 * time.Hour)
	if s := g.Assign(late, Features(late), late.Time); s.Len() != 1 {
		t.Errorf("a report after the story expired joined a story of %d", s.Len())
	}
	if len(g.feats) != len(Features(late)) || len(g.members) != 1 || g.n != 1 {
		t.Errorf("index holds %d features, %d members, n=%d after expiry", len(g.feats), len(g.members), g.n)
	}
}

// An item that shares only states and a topic with a story is not one of
// its reports.
func TestGrouperStatesAreNotEnough(t *testing.T) {
	g := NewGrouper(Options{})
	a := Input{ID: "a", Lang: "en", Time: day, Text: "Officials met.", Entities: vigie.Entities{States: []string{"US", "CN"}}, Topics: []string{"norms"}}
	b := Input{ID: "b", Lang: "fr", Time: day, Text: "Réunion.", Entities: vigie.Entities{States: []string{"US", "CN"}}, Topics: []string{"norms"}}
	if got := assignAll(g, a, b); got["a"] == got["b"] {
		t.Error("two items that share only their states and topic are one story")
	}
}

func TestStoryLimits(t *testing.T) {
	s := &Story{ID: "s"}
	for i := range MaxItems + 10 {
		s.add(Member{ID: fmt.Sprint(i), Feed: fmt.Sprintf("f%d", i%7), Lang: []string{"en", "fr"}[i%2], Time: day, Features: []string{"L:x"}})
	}
	s.add(Member{ID: "last", Feed: "new-feed", Lang: "ja", Time: day})
	if len(s.Items) != MaxItems || s.More != 11 || s.Len() != MaxItems+11 {
		t.Errorf("%d listed, %d more, want %d and 11", len(s.Items), s.More, MaxItems)
	}
	if s.Items[0].Features != nil {
		t.Error("a story keeps its reports' features")
	}
	// A grouper indexes the features of the first MaxIndexed reports.
	g := NewGrouper(Options{})
	for i := range MaxIndexed + 5 {
		g.Add(Record{Story: "s", Member: Member{ID: fmt.Sprint(i), Time: day, Features: []string{"L:shared", fmt.Sprintf("N:%d", i)}}})
	}
	if len(g.feats) != MaxIndexed+1 || len(g.feats["L:shared"].members) != MaxIndexed {
		t.Errorf("%d features indexed, the shared one for %d reports; want %d and %d", len(g.feats), len(g.feats["L:shared"].members), MaxIndexed+1, MaxIndexed)
	}
	ref := s.Ref()
	if fmt.Sprint(ref.Languages) != "[en fr ja]" || ref.Feeds != 8 {
		t.Errorf("ref = %+v: the reports not listed count too", ref)
	}
}

// TestGrouperExpireEarlierStory checks that a story put after the others
// with an earlier first report is still expired in time: Expire skips its
// scan while the earliest report it knows of is within the window.
func TestGrouperExpireEarlierStory(t *testing.T) {
	g := NewGrouper(Options{Window: 72 * time.Hour})
	g.Put(&Story{ID: "late", First: day, Last: day})
	if n := g.Expire(day.Add(71 * time.Hour)); n != 0 {
		t.Fatalf("expired %d of a story still open", n)
	}
	g.Put(&Story{ID: "early", First: day.Add(-2 * time.Hour), Last: day.Add(-2 * time.Hour)})
	if n := g.Expire(day.Add(71 * time.Hour)); n != 1 || g.Len() != 1 {
		t.Fatalf("expired %d, %d open: want the earlier story gone", n, g.Len())
	}
	if _, ok := g.Story("late"); !ok {
		t.Fatal("the story within the window was expired")
	}
	if n := g.Expire(day.Add(73 * time.Hour)); n != 1 || g.Len() != 0 {
		t.Fatalf("expired %d, %d open: want the last story gone", n, g.Len())
	}
}

// TestGrouperRecordsKeepTheStorysAge checks that a story rebuilt from its
// later records alone, its first ones expired from the store, keeps the
// age its records give it and expires when the whole story would have.
func TestGrouperRecordsKeepTheStorysAge(t *testing.T) {
	g := NewGrouper(Options{Window: 72 * time.Hour})
	later := Member{ID: "b", Feed: "f", Lang: "en", Title: "b", Time: day.Add(50 * time.Hour), Features: []string{"N:1234"}}
	g.Add(Record{Story: "s", First: day, Member: later})
	s, ok := g.Story("s")
	if !ok || !s.First.Equal(day) || !s.Last.Equal(later.Time) || s.Len() != 1 {
		t.Fatalf("story %+v, want one report from %s", s, day)
	}
	if n := g.Expire(day.Add(73 * time.Hour)); n != 1 {
		t.Fatalf("expired %d: the story began more than a window ago", n)
	}
}

// TestGrouperAddMatchesAssign checks that the records of an assignment,
// added to another grouper in order, make the same stories, and that a
// record added twice or a report taken out leaves the story right.
func TestGrouperAddMatchesAssign(t *testing.T) {
	g, h := NewGrouper(Options{}), NewGrouper(Options{})
	for _, in := range opcwReports {
		r, held := g.assign(in, Features(in), in.Time)
		if held != nil {
			t.Fatalf("%s held before it was assigned", in.ID)
		}
		g.Add(r)
		h.Add(r)
		h.Add(r)
	}
	if !reflect.DeepEqual(g.Stories(), h.Stories()) {
		t.Fatalf("stories from records differ:\n%+v\n%+v", g.Stories(), h.Stories())
	}
	s := h.Stories()[0]
	n := s.Len()
	h.RemoveReport(s.ID, s.Items[n-1].ID)
	if got, _ := h.Story(s.ID); got.Len() != n-1 || got.Has(s.Items[n-1].ID) {
		t.Errorf("after a report was taken out the story has %d reports, want %d", got.Len(), n-1)
	}
	if _, ok := h.StoryOf(s.Items[n-1].ID); ok {
		t.Error("the report taken out is still indexed")
	}
}

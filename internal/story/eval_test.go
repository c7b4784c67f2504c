package story

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie/classifiers"
	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/sharedtest"
)

// A labeled report of the shared data.
type report struct {
	ID    string `json:"id"`
	Lang  string `json:"lang"`
	Title string `json:"title"`
	Text  string `json:"text"`
	Date  string `json:"date"`
	Event string `json:"event"`
	Kind  string `json:"kind"`
	URL   string `json:"url"`
	// event is the event the report is about, "" for a report of none
	// of the labeled events.
	event string
	// labeled is set for the reports whose event is known: the items of
	// stories-dev.jsonl and the extra reports of its events.
	labeled bool
	time    time.Time
}

func readReports(tb testing.TB, path string) []*report {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("%s not readable: %v", path, err)
	}
	defer f.Close()
	var out []*report
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r report
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		out = append(out, &r)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func hashOf(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// Extra reports of the labeled events found in the other corpora (dated,
// on the day of the event), and items of those corpora about the same
// events but written long after (background pages, anniversaries): the
// latter are not "unrelated news" and stay out of the mix.
var (
	sameEvent = map[string]string{
		"d-de-014": "2019-05-15-christchurch-call", // "Christchurch-Gipfel: 17 Länder unterstützen ..."
		"d-es-018": "2019-05-15-christchurch-call", // the launch, "Llamamiento de Christchurch"
	}
	aboutEvents = map[string]bool{
		"en-001": true, "fr-007": true, "fr-008": true, "fr-010": true, "fr-011": true, // the Paris Call, years on
		"d-fr-016": true, // the Christchurch Call's first report, a year on
	}
)

// labeledSet is the measure of grouping: the reports of stories-dev.jsonl
// (their events; the ten other cyber items alone, but for the two on
// ZombieLoad, one event that day) with the two more launch reports of the
// Christchurch Call found in corpus-dev2.jsonl: 7 events, 43 reports in
// 8 languages. Every other item of corpus-dev and corpus-dev2 is added
// as unrelated news, each on one of the events' days (by a hash of its
// id), so that the grouping sees 600 items from the same days.
func labeledSet(tb testing.TB) []*report {
	stories := readReports(tb, sharedtest.Path(tb, "data", "stories-dev.jsonl"))
	var all []*report
	for _, r := range stories {
		r.event, r.labeled = r.Event, true
		if r.event == "" && r.Kind == "cpu-vulnerability" {
			r.event = "2019-05-15-zombieload"
		}
		all = append(all, r)
	}
	var days []time.Time
	for _, r := range all {
		d, err := time.Parse("2006-01-02", r.Date)
		if err != nil {
			tb.Fatalf("%s: date %q: %v", r.ID, r.Date, err)
		}
		if !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	for _, name := range []string{"corpus-dev.jsonl", "corpus-dev2.jsonl"} {
		for _, r := range readReports(tb, sharedtest.Path(tb, "data", name)) {
			if aboutEvents[r.ID] {
				continue
			}
			if ev, ok := sameEvent[r.ID]; ok {
				r.event, r.labeled = ev, true
			} else {
				r.Date = days[hashOf(r.ID)%uint32(len(days))].Format("2006-01-02")
			}
			all = append(all, r)
		}
	}
	for _, r := range all {
		d, err := time.Parse("2006-01-02", r.Date)
		if err != nil {
			tb.Fatalf("%s: date %q: %v", r.ID, r.Date, err)
		}
		// The hour of the day is unknown: spread the reports over it,
		// the same way on every run.
		r.time = d.Add(time.Duration(hashOf(r.ID+"@"+hourSeed)%(24*60)) * time.Minute)
	}
	return all
}

// hourSeed changes the hours given to the reports, and so the order in
// which they are grouped.
var hourSeed = ""

// inputs finds what the pipeline gives grouping: entities and the
// cyber-diplomacy classifier's topics.
func inputs(tb testing.TB, reports []*report) []Input {
	tb.Helper()
	set, err := entities.Default()
	if err != nil {
		tb.Fatal(err)
	}
	c, err := classifiers.Load("cyber-diplomacy")
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]Input, len(reports))
	for i, r := range reports {
		found := set.Find(r.Title, r.Text)
		in := Input{ID: r.ID, Feed: feedOf(r), Lang: r.Lang, Title: r.Title, Text: r.Text, URL: r.URL, Time: r.time, Entities: found.Entities()}
		for _, m := range found.Mentions {
			in.Names = append(in.Names, m.Text)
		}
		res := c.Classify(classifiers.Doc{Title: r.Title, Text: r.Text, Lang: r.Lang, Entities: &found})
		if res.Matched {
			for _, t := range res.Topics {
				in.Topics = append(in.Topics, t.ID)
			}
		}
		out[i] = in
	}
	return out
}

// feedOf names a report's feed by its site.
func feedOf(r *report) string {
	host := r.URL
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host, _, _ = strings.Cut(host, "/")
	return host
}

// pairScores are pairwise figures of a grouping against the events.
type pairScores struct {
	tp, fp, fn           int
	crossTP, crossTruth  int
	precision, recall    float64
	crossRecall          float64
	falsePairs, missPair []string
}

// score counts the pairs of reports that the grouping puts in one story
// and the pairs of one event. Two unrelated items of the other corpora
// may report one event of their own (several were gathered around one
// story): their pairs are not counted, as nothing says whether they
// should be grouped. Every pair with a labeled report is.
func score(reports []*report, storyOf map[string]string) pairScores {
	var s pairScores
	for i, a := range reports {
		for _, b := range reports[i+1:] {
			if !a.labeled && !b.labeled {
				continue
			}
			same := a.event != "" && a.event == b.event
			grouped := storyOf[a.ID] == storyOf[b.ID]
			cross := a.Lang != b.Lang
			switch {
			case same && grouped:
				s.tp++
				if cross {
					s.crossTP++
				}
			case same:
				s.fn++
				s.missPair = append(s.missPair, fmt.Sprintf("%s(%s) %s(%s)", a.ID, a.Lang, b.ID, b.Lang))
			case grouped:
				s.fp++
				s.falsePairs = append(s.falsePairs, fmt.Sprintf("%s(%s) %s(%s)", a.ID, a.Lang, b.ID, b.Lang))
			}
			if same && cross {
				s.crossTruth++
			}
		}
	}
	s.precision = float64(s.tp) / float64(max(s.tp+s.fp, 1))
	s.recall = float64(s.tp) / float64(max(s.tp+s.fn, 1))
	s.crossRecall = float64(s.crossTP) / float64(max(s.crossTruth, 1))
	return s
}

// group runs the reports through a grouper in the order they were
// reported and returns each one's story.
func group(reports []*report, in []Input, o Options) map[string]string {
	idx := make([]int, len(reports))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return reports[idx[a]].time.Before(reports[idx[b]].time) })
	g := NewGrouper(o)
	out := map[string]string{}
	for _, i := range idx {
		g.Expire(in[i].Time)
		s := g.Assign(in[i], Features(in[i]), in[i].Time)
		out[in[i].ID] = s.ID
	}
	// An item's story is the one that holds it at the end: the same as
	// the one it was given, since items never move.
	return out
}

// orders are the seeds of the orders the reports are grouped in: the
// hour of the day of each report is unknown, and grouping one after the
// other depends on the order.
var orders = []string{"", "a", "b", "c", "d", "e"}

// The figures the issue asks for, on real reports: pairwise precision at
// least 0.90, recall at least 0.75, cross-language recall at least 0.70
// (the mean over six orders of the reports), and a story for every item.
func TestGroupingOnSharedReports(t *testing.T) {
	var sumP, sumR, sumX float64
	minP, minR, minX := 1.0, 1.0, 1.0
	for _, seed := range orders {
		hourSeed = seed
		reports := labeledSet(t)
		in := inputs(t, reports)
		storyOf := group(reports, in, Options{})
		for _, r := range reports {
			if storyOf[r.ID] == "" {
				t.Errorf("%s has no story", r.ID)
			}
		}
		s := score(reports, storyOf)
		if seed == "" {
			events, langs := map[string]int{}, map[string]bool{}
			for _, r := range reports {
				if r.event != "" {
					events[r.event]++
					langs[r.Lang] = true
				}
			}
			t.Logf("%d reports: %d of %d events in %d languages, %d other (%d labeled), in %d stories",
				len(reports), sum(events), len(events), len(langs), len(reports)-sum(events), labeled(reports)-sum(events), distinct(storyOf))
		}
		t.Logf("order %-2q: precision %.3f (%d of %d pairs), recall %.3f (%d of %d), cross-language recall %.3f (%d of %d)",
			seed, s.precision, s.tp, s.tp+s.fp, s.recall, s.tp, s.tp+s.fn, s.crossRecall, s.crossTP, s.crossTruth)
		if testing.Verbose() {
			t.Logf("grouped, not one event: %v", s.falsePairs)
			t.Logf("one event, not grouped: %v", s.missPair)
		}
		sumP, sumR, sumX = sumP+s.precision, sumR+s.recall, sumX+s.crossRecall
		minP, minR, minX = min(minP, s.precision), min(minR, s.recall), min(minX, s.crossRecall)
	}
	hourSeed = ""
	n := float64(len(orders))
	p, r, x := sumP/n, sumR/n, sumX/n
	t.Logf("mean of %d orders: precision %.3f, recall %.3f, cross-language recall %.3f (worst order: %.3f, %.3f, %.3f)", len(orders), p, r, x, minP, minR, minX)
	if p < 0.90 || r < 0.75 || x < 0.70 {
		t.Errorf("precision %.3f (want ≥ 0.90), recall %.3f (want ≥ 0.75), cross-language recall %.3f (want ≥ 0.70)", p, r, x)
	}
}

func labeled(reports []*report) int {
	n := 0
	for _, r := range reports {
		if r.labeled {
			n++
		}
	}
	return n
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func distinct(m map[string]string) int {
	seen := map[string]bool{}
	for _, v := range m {
		seen[v] = true
	}
	return len(seen)
}

func logStories(t *testing.T, reports []*report, storyOf map[string]string) {
	by := map[string][]*report{}
	for _, r := range reports {
		by[storyOf[r.ID]] = append(by[storyOf[r.ID]], r)
	}
	var ids []string
	for id, rs := range by {
		if len(rs) > 1 || rs[0].event != "" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		var lines []string
		for _, r := range by[id] {
			title := []rune(r.Title)
			if len(title) > 50 {
				title = title[:50]
			}
			lines = append(lines, fmt.Sprintf("  %s %s %-28s %s", r.ID, r.Lang, r.event, string(title)))
		}
		t.Logf("story %s:\n%s", id, strings.Join(lines, "\n"))
	}
}

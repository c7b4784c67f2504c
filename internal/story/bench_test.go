package story

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-news/vigie/classifiers"
	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/lang"
)

// cpuTime is the CPU time of the process so far: the machines benchmarks
// run on are shared, and wall time says more of the neighbours than of
// the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// openStories fills a grouper with n open stories of two or three items
// each, made from the real reports: each copy of a report keeps its
// states, bodies, topics and years, and gets names, numbers and words of
// its own, as the reports of other events would. All lie within the
// window of at.
func openStories(reports []Input, feats [][]string, n int, at time.Time) *Grouper {
	g := NewGrouper(Options{})
	for i := 0; g.Len() < n; i++ {
		r := i % len(reports)
		copyID := i / len(reports)
		s := &Story{ID: fmt.Sprintf("bench-%d", i)}
		for k := range 2 + i%2 {
			var fs []string
			for _, f := range feats[r] {
				switch f[0] {
				case KindState, KindOrg, KindTopic, KindYear:
					fs = append(fs, f)
				default:
					fs = append(fs, fmt.Sprintf("%s~%d", f, copyID))
				}
			}
			s.add(Member{ID: fmt.Sprintf("bench-%d-%d", i, k), Time: at.Add(-time.Duration(i%48) * time.Hour), Features: fs})
		}
		g.Put(s)
	}
	return g
}

// BenchmarkGrouping measures what grouping adds to the cost of an item:
// its features and its story among 10,000 open stories (about 25,000
// items), against the pipeline's cost of the same item (language,
// entities, the built-in classifier: classifiers.BenchmarkItem's
// "pipeline"). Both report CPU time per item; the grouping reports its
// share of the pipeline's when both run (the bar: at most 20%).
func BenchmarkGrouping(b *testing.B) {
	reports := labeledSet(b)
	in := inputs(b, reports)
	feats := make([][]string, len(in))
	for i := range in {
		feats[i] = Features(in[i])
	}
	var pipelineCost time.Duration
	b.Run("pipeline", func(b *testing.B) {
		det, err := lang.New(lang.DefaultLanguages)
		if err != nil {
			b.Fatal(err)
		}
		c, err := classifiers.Load("cyber-diplomacy")
		if err != nil {
			b.Fatal(err)
		}
		set, err := entities.Default()
		if err != nil {
			b.Fatal(err)
		}
		one := func(r *report) {
			l := det.Detect(lang.Input{Title: r.Title, Text: r.Text})
			found := set.Find(r.Title, r.Text)
			c.Classify(classifiers.Doc{Title: r.Title, Text: r.Text, Lang: l.Lang, Entities: &found})
		}
		for range 3 { // lingua-go loads its models on first use
			for _, r := range reports {
				one(r)
			}
		}
		runtime.GC()
		b.ResetTimer()
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			one(reports[i%len(reports)])
		}
		pipelineCost = (cpuTime() - cpu0) / time.Duration(b.N)
		b.ReportMetric(float64(pipelineCost.Microseconds()), "cpu_µs/item")
	})
	for _, n := range []int{10000} {
		b.Run(fmt.Sprintf("open=%d", n), func(b *testing.B) {
			now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
			g := openStories(in, feats, n, now)
			ids := make([]string, 4*len(in))
			for i := range ids {
				ids[i] = fmt.Sprintf("%s#%d", in[i%len(in)].ID, i)
			}
			runtime.GC()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				it := in[i%len(in)]
				it.ID = ids[i%len(ids)]
				it.Time = now
				s := g.Assign(it, Features(it), now)
				// The open stories stay as they were: the item goes (a
				// cost the measure includes, smaller than the rest).
				if len(s.Items) == 1 {
					g.Remove(s.ID)
				} else {
					g.unindex(g.members[it.ID])
					s.Items = s.Items[:len(s.Items)-1]
				}
			}
			cost := (cpuTime() - cpu0) / time.Duration(b.N)
			b.ReportMetric(float64(cost.Microseconds()), "cpu_µs/item")
			if pipelineCost > 0 {
				b.ReportMetric(100*float64(cost)/float64(pipelineCost), "%_of_pipeline")
			}
		})
	}
}

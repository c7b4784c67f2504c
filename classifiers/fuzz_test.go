package classifiers

import (
	"cmp"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	seeds, _ := os.ReadFile("testdata/demo.yaml")
	f.Add(seeds)
	f.Add([]byte("name: x\ntopics:\n  - id: t\n    terms:\n      - en: [a*, 'b c']\n"))
	f.Add([]byte("name: x\ngroups: {g: {en: [b]}}\ntopics:\n  - id: t\n    terms:\n      - near: {group: g, within: 2}\n        ar: [الأمن]\n"))
	f.Add([]byte("{{{"))
	f.Add([]byte("name: &a x\nb: *a\n"))
	f.Fuzz(checkParse)
}

// checkParse parses a rule file and, when it is valid, checks the
// classifier on its own terms.
func checkParse(t *testing.T, data []byte) {
	c, err := Parse("fuzz.yaml", data)
	if err != nil {
		if c != nil {
			t.Fatal("Parse returned a classifier with an error")
		}
		if err.Error() == "" {
			t.Fatal("empty error")
		}
		return
	}
	if c.Name() == "" || len(c.topics) == 0 {
		t.Fatalf("classifier without name or topics: %q", data)
	}
	// Whatever the rules, classifying must not fail, the automaton
	// must agree with a naive scan, and every term must find itself.
	var all []string
	for i, tm := range c.terms {
		all = append(all, tm.text)
		d := Doc{Title: tm.text, Text: tm.text}
		checkResult(t, c, c.Classify(d))
		sc := new(scratch)
		sc.f[fieldText].Fold(strings.TrimSuffix(tm.text, "*"))
		c.find(sc, fieldText)
		if !slices.ContainsFunc(sc.hits, func(h hit) bool { return h.term == int32(i) }) {
			t.Fatalf("term %q (%s) does not find itself", tm.text, tm.lang)
		}
	}
	checkAgainstNaive(t, c, Doc{Title: strings.Join(all, " "), Text: strings.Join(all, ", ")})
}

func FuzzClassify(f *testing.F) {
	demo := loadDemo(f)
	builtin, err := Load("cyber-diplomacy")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][2]string{
		{"COPUOS", "space debris treaty"},
		{"", "وقعت لجنة استخدام الفضاء الخارجي للأمم المتحدة"},
		{"Cyberattaques: l'ONU", "la cybersécurité, les cyberattaques et le droit international"},
		{"网络安全", "国连OEWG会合で サイバー"},
		{"An ninh mạng", "Hội nghị ASEAN về an ninh mạng"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, title, text string) {
		for _, c := range []*Classifier{demo, builtin} {
			d := Doc{Title: title, Text: text}
			r := c.Classify(d)
			checkResult(t, c, r)
			checkAgainstNaive(t, c, d)
		}
	})
}

// checkResult checks the invariants of a result.
func checkResult(t *testing.T, c *Classifier, r Result) {
	t.Helper()
	sum := 0.0
	for i, tp := range r.Topics {
		if i > 0 && tp.Score > r.Topics[i-1].Score {
			t.Fatalf("topics not sorted: %+v", r.Topics)
		}
		if len(tp.Evidence) == 0 {
			t.Fatalf("topic %s without evidence", tp.ID)
		}
		for _, e := range tp.Evidence {
			if e.Count < 1 || (e.Field != "title" && e.Field != "text") || e.Term == "" {
				t.Fatalf("bad evidence %+v", e)
			}
		}
		sum += tp.Score
	}
	if math.Abs(sum-r.negScore-r.Score) > 1e-6 {
		t.Fatalf("score %v, topics %v minus negatives %v", r.Score, sum, r.negScore)
	}
	if r.Matched != (len(r.Topics) > 0 && r.Score >= c.threshold-eps) {
		t.Fatalf("matched %v with score %v, %d topics", r.Matched, r.Score, len(r.Topics))
	}
	if r.Explain() == "" {
		t.Fatal("empty explanation")
	}
}

// checkAgainstNaive compares the automaton's verified hits with a scan for
// every pattern at every offset.
func checkAgainstNaive(t *testing.T, c *Classifier, d Doc) {
	t.Helper()
	sc := new(scratch)
	sc.f[fieldTitle].Fold(d.Title)
	sc.f[fieldText].Fold(d.Text)
	for field := range sc.f {
		c.find(sc, uint8(field))
	}
	got := slices.Clone(sc.hits)
	var want []hit
	for field := range sc.f {
		c.set.FindNaive(&sc.tm, &sc.f[field], func(term, start, end int) {
			want = append(want, hit{term: int32(term), field: uint8(field), start: int32(start), end: int32(end)})
		})
	}
	order := func(a, b hit) int {
		return cmp.Or(cmp.Compare(a.field, b.field), cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end), cmp.Compare(a.term, b.term))
	}
	slices.SortFunc(got, order)
	slices.SortFunc(want, order)
	if !slices.Equal(got, want) {
		t.Fatalf("automaton found %d hits, a naive scan %d, in %q / %q", len(got), len(want), d.Title, d.Text)
	}
}

package classifiers

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/vigie-news/vigie"
)

func loadDemo(t testing.TB) *Classifier {
	t.Helper()
	c, err := Load("testdata/demo.yaml")
	if err != nil {
		t.Fatalf("Load(testdata/demo.yaml): %v", err)
	}
	return c
}

func TestScore(t *testing.T) {
	c := loadDemo(t)
	tests := []struct {
		name    string
		doc     Doc
		matched bool
		score   float64
		topics  map[string]float64 // counted topics and their scores
	}{
		{
			name:    "alone term counts without the required group",
			doc:     Doc{Text: "COPUOS meets in Vienna."},
			matched: true, score: 3,
			topics: map[string]float64{"un-space": 3},
		},
		{
			name:    "title weight",
			doc:     Doc{Title: "COPUOS meets", Text: "nothing else"},
			matched: true, score: 6,
			topics: map[string]float64{"un-space": 6},
		},
		{
			name:    "once per field, repeats only counted",
			doc:     Doc{Title: "COPUOS and COPUOS", Text: "COPUOS, COPUOS, COPUOS."},
			matched: true, score: 9,
			topics: map[string]float64{"un-space": 9},
		},
		{
			name:    "required group absent: only alone terms",
			doc:     Doc{Text: "A joint mission on cooperation."},
			matched: false, score: 0,
		},
		{
			name:    "required group present",
			doc:     Doc{Text: "A joint mission in space."},
			matched: true, score: 2,
			topics: map[string]float64{"cooperation": 2},
		},
		{
			name:    "near within the window",
			doc:     Doc{Text: "Space debris: a treaty on debris is discussed."},
			matched: false, score: 0, // 1 point, under the topic threshold of 2
		},
		{
			name:    "near in title and text",
			doc:     Doc{Title: "Debris treaty", Text: "Space talks: a new treaty on debris."},
			matched: true, score: 3,
			topics: map[string]float64{"un-space": 3},
		},
		{
			name:    "near outside the window",
			doc:     Doc{Title: "Debris and one two three four five six treaty", Text: "space"},
			matched: false, score: 0,
		},
		{
			name:    "near group in another field does not count",
			doc:     Doc{Title: "Debris", Text: "the treaty on space"},
			matched: false, score: 0,
		},
		{
			name:    "topic under threshold is not counted",
			doc:     Doc{Title: "", Text: "space treaty debris"},
			matched: false, score: 0,
		},
		{
			name:    "negative terms lower the score",
			doc:     Doc{Text: "A science fiction film about space cooperation and COPUOS"},
			matched: false, score: 3 + 2 - 4,
			topics: map[string]float64{"un-space": 3, "cooperation": 2},
		},
		{
			name:    "negative counted once whatever the repeats",
			doc:     Doc{Title: "film", Text: "film film COPUOS space cooperation"},
			matched: true, score: 3 + 2 - 2,
			topics: map[string]float64{"un-space": 3, "cooperation": 2},
		},
		{
			name:    "two spellings of one term count once",
			doc:     Doc{Text: "space treaty debris debris"},
			matched: false, score: 0,
		},
		{
			name:    "several scripts",
			doc:     Doc{Title: "宇宙協力", Text: "وقعت لجنة استخدام الفضاء الخارجي اتفاقا. 太空合作"},
			matched: true, score: 3 + 2*2,
			topics: map[string]float64{"un-space": 3, "cooperation": 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Classify(tt.doc)
			if r.Matched != tt.matched || math.Abs(r.Score-tt.score) > 1e-9 {
				t.Errorf("matched %v score %v, want %v %v\n%s", r.Matched, r.Score, tt.matched, tt.score, r.Explain())
			}
			got := map[string]float64{}
			for _, tp := range r.Topics {
				got[tp.ID] = tp.Score
				if len(tp.Evidence) == 0 {
					t.Errorf("topic %s without evidence", tp.ID)
				}
			}
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tt.topics) {
				t.Errorf("topics %v, want %v\n%s", got, tt.topics, r.Explain())
			}
			if r.Classifier != "space-talks" {
				t.Errorf("classifier %q", r.Classifier)
			}
		})
	}
}

func TestEvidence(t *testing.T) {
	c := loadDemo(t)
	r := c.Classify(Doc{
		Title: "COPUOS: the Outer Space Treaty at 60",
		Text:  "COPUOS met. The outer space treaty, and the OUTER SPACE TREATY again. Space cooperation.",
	})
	want := []vigie.Topic{
		{ID: "un-space", Score: 3*2 + 3 + 3*2 + 3, Evidence: []vigie.Evidence{
			{Term: "COPUOS", Field: "title", Count: 1},
			{Term: "COPUOS", Field: "text", Count: 1},
			{Term: "Outer Space Treaty", Field: "title", Count: 1},
			{Term: "Outer Space Treaty", Field: "text", Count: 2},
		}},
		{ID: "cooperation", Score: 2, Evidence: []vigie.Evidence{
			{Term: "cooperation", Field: "text", Count: 1},
		}},
	}
	if !reflect.DeepEqual(r.Topics, want) {
		t.Errorf("topics:\n got %+v\nwant %+v", r.Topics, want)
	}
}

func TestExplain(t *testing.T) {
	c := loadDemo(t)
	r := c.Classify(Doc{Title: "Space film", Text: "COPUOS and a joint mission; debris.", Lang: "en"})
	got := r.Explain()
	for _, want := range []string{
		"space-talks: match, score 3 (threshold 2), lang en",
		"groups found: space",
		"topic un-space 3\n",
		"\"COPUOS\" in text x1 +3\n",
		"topic cooperation 2\n",
		"\"joint mission\" in text x1 +2\n",
		"negative -2",
		"\"film\" in title x1 -2\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("explanation lacks %q:\n%s", want, got)
		}
	}
	none := c.Classify(Doc{Text: "nothing here"}).Explain()
	if !strings.Contains(none, "no match") || !strings.Contains(none, "required group missing: space") || !strings.Contains(none, "no term found") {
		t.Errorf("explanation of no match:\n%s", none)
	}
	under := c.Classify(Doc{Text: "space treaty debris"}).Explain()
	if !strings.Contains(under, "under the topic threshold") {
		t.Errorf("explanation of a topic under its threshold:\n%s", under)
	}
}

func TestTopicsSortedByScore(t *testing.T) {
	src := `name: s
topics:
  - id: low
    terms: [{weight: 1, en: [alpha]}]
  - id: high
    terms: [{weight: 5, en: [beta]}]
  - id: mid
    terms: [{weight: 3, en: [gamma]}]
`
	c, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Classify(Doc{Text: "alpha beta gamma"})
	var ids []string
	for _, tp := range r.Topics {
		ids = append(ids, tp.ID)
	}
	if want := []string{"high", "mid", "low"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("topics %v, want %v", ids, want)
	}
}

func TestClassifierThreshold(t *testing.T) {
	for _, tt := range []struct {
		threshold string
		matched   bool
	}{{"2", true}, {"2.5", false}} {
		t.Run(tt.threshold, func(t *testing.T) {
			src := "name: s\nthreshold: " + tt.threshold + "\ntopics:\n  - id: t\n    terms: [{weight: 2, en: [alpha]}]\n"
			c, err := Parse("s.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if r := c.Classify(Doc{Text: "alpha"}); r.Matched != tt.matched {
				t.Errorf("matched %v, want %v\n%s", r.Matched, tt.matched, r.Explain())
			}
		})
	}
}

func TestNearWindow(t *testing.T) {
	src := `name: n
groups:
  g: {en: [anchor], zh: [锚]}
topics:
  - id: t
    terms:
      - near: {group: g, within: 3}
        en: [target]
        zh: [目标]
`
	c, err := Parse("n.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		want       bool
	}{
		{"adjacent", "anchor target", true},
		{"after", "target anchor", true},
		{"two words between", "anchor a b target", true},
		{"three words between", "anchor a b c target", false},
		{"punctuation is not a word", "anchor, -- a; b: target", true},
		{"chinese two characters a word", "锚四个汉字目标", true},
		{"chinese too far", "锚六个汉字汉字目标", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Classify(Doc{Text: tt.text}).Matched; got != tt.want {
				t.Errorf("matched %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClassifyConcurrent(t *testing.T) {
	c := loadDemo(t)
	docs := []Doc{
		{Title: "COPUOS", Text: "space cooperation"},
		{Text: "太空合作 宇宙協力"},
		{Text: "nothing"},
	}
	want := make([]string, len(docs))
	for i, d := range docs {
		want[i] = c.Classify(d).Explain()
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				k := (g + i) % len(docs)
				if got := c.Classify(docs[k]).Explain(); got != want[k] {
					errs <- fmt.Sprintf("doc %d: %s, want %s", k, got, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load("no-such-classifier"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Load(unknown) = %v, want ErrUnknown", err)
	}
	if _, err := Load("testdata/missing.yaml"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Load(missing path) = %v, want ErrUnknown", err)
	}
	dir := t.TempDir()
	bad := dir + "/bad.yaml"
	if err := os.WriteFile(bad, []byte("name: bad\ntopics:\n  - id: t\n    terms:\n      - weight: -1\n        en: [a]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	if err == nil || !strings.Contains(err.Error(), bad+":5: weight") {
		t.Errorf("Load(bad) = %v, want %s:5: weight ...", err, bad)
	}
	if c := loadDemo(t); c.Name() != "space-talks" || !strings.HasPrefix(c.Description(), "International talks on outer space") {
		t.Errorf("name %q, description %q", c.Name(), c.Description())
	}
}

// A text dense with terms: near and clitic checks must stay linear.
func denseDoc(n int) Doc {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("debris space debris treaty ")
	}
	b.WriteString(strings.Repeat("لجنة", n))
	return Doc{Title: "COPUOS", Text: b.String()}
}

func TestDenseText(t *testing.T) {
	c := loadDemo(t)
	r := c.Classify(denseDoc(2000))
	var debris int
	for _, tp := range r.Topics {
		for _, e := range tp.Evidence {
			if e.Term == "debris" {
				debris = e.Count
			}
		}
	}
	if debris != 4000 {
		t.Errorf("debris found %d times near a treaty, want 4000\n%s", debris, r.Explain())
	}
}

func BenchmarkClassifyDense(b *testing.B) {
	c := loadDemo(b)
	d := denseDoc(20000)
	b.SetBytes(int64(len(d.Text)))
	for b.Loop() {
		c.Classify(d)
	}
}

// synthRules writes a rule file of n made-up terms over four topics, and a
// text of 400 words drawn from the same letters.
func synthRules(n int) (rules []byte, d Doc) {
	word := func(i int) string {
		const letters = "abcdefghiklmnoprstuvz"
		var b []byte
		for x := i*7919 + 13; len(b) < 7; x /= len(letters) {
			b = append(b, letters[x%len(letters)])
			if x < len(letters) {
				x += i + 101
			}
		}
		return string(b)
	}
	var b strings.Builder
	b.WriteString("name: synth\ntopics:\n")
	for t := 0; t < 4; t++ {
		fmt.Fprintf(&b, "  - id: t%d\n    terms:\n      - weight: 1\n        en: [", t)
		for i := t; i < n; i += 4 {
			if i > t {
				b.WriteString(", ")
			}
			b.WriteString(word(i))
		}
		b.WriteString("]\n")
	}
	// The same text for every n: 390 words that are no term, and ten
	// that are.
	var text strings.Builder
	for i := 0; i < 400; i++ {
		if i%40 == 0 {
			text.WriteString(word(i/40) + " ")
			continue
		}
		text.WriteString(word(100000+i) + " ")
	}
	return []byte(b.String()), Doc{Text: text.String()}
}

// BenchmarkClassifyRuleCount shows that the cost of an item hardly depends
// on the number of terms: the automaton reads the text once.
func BenchmarkClassifyRuleCount(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			src, d := synthRules(n)
			c, err := Parse("synth.yaml", src)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				c.Classify(d)
			}
		})
	}
}

// TestOverlappingTerms checks that words two terms of a topic find count
// once, for the heavier term (or, as heavy, the longer), while terms of
// different topics and terms side by side each count.
func TestOverlappingTerms(t *testing.T) {
	src := `name: o
threshold: 0.1
topics:
  - id: cbm
    terms:
      - {weight: 3, en: [confidence-building, confidence-building measures]}
      - {weight: 1, en: [measures]}
      - {weight: 2, en: [hotline]}
  - id: other
    terms:
      - {weight: 5, en: [building measures]}
`
	c, err := Parse("o.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text     string
		cbm      float64
		evidence string
	}{
		{"New confidence-building measures were agreed.", 3, "confidence-building measures"},
		{"A confidence-building hotline.", 5, "confidence-building"},
		{"Only measures.", 1, "measures"},
	} {
		r := c.Classify(Doc{Text: tt.text})
		var got float64
		var ev []string
		for _, tp := range append(r.Topics, r.below...) {
			if tp.ID == "cbm" {
				got = tp.Score
				for _, e := range tp.Evidence {
					ev = append(ev, e.Term)
				}
			}
		}
		if got != tt.cbm || !strings.Contains(strings.Join(ev, "|"), tt.evidence) {
			t.Errorf("%q: cbm scores %v with %q, want %v with %q\n%s", tt.text, got, ev, tt.cbm, tt.evidence, r.Explain())
		}
	}
	r := c.Classify(Doc{Text: "New confidence-building measures were agreed."})
	for _, tp := range r.Topics {
		if tp.ID == "other" && tp.Score != 5 {
			t.Errorf("the other topic's overlapping term scores %v, want 5", tp.Score)
		}
	}
}

package classifiers

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

func readSpaceCorpus(t *testing.T) []CorpusItem {
	t.Helper()
	f, err := os.Open("testdata/space.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := ReadCorpus(f)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestReadCorpus(t *testing.T) {
	items := readSpaceCorpus(t)
	if len(items) != 6 {
		t.Fatalf("%d items, want 6 (blank lines skipped)", len(items))
	}
	if it := items[4]; it.ID != "zh-1" || it.Lang != "zh" || it.Label != "pos" || len(it.Topics) != 2 || it.Kind != "un" || it.URL == "" {
		t.Errorf("item 4 = %+v", it)
	}
	tests := []struct {
		name, in, want string
	}{
		{"not json", "{oops\n", "line 1"},
		{"no id", `{"label": "pos"}` + "\n", "line 1: bad corpus item: no id"},
		{"bad label", "\n" + `{"id": "a", "label": "maybe"}` + "\n", `line 2: bad corpus item: a: label "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCorpus(strings.NewReader(tt.in))
			if !errors.Is(err, ErrCorpus) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadCorpus: %v, want ErrCorpus with %q", err, tt.want)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	c := loadDemo(t)
	r := Evaluate(c, readSpaceCorpus(t))
	// en-1, en-2 matched; en-3 not (negatives); fr-1: only one near hit
	// (under the topic threshold), missed; zh-1 matched on the treaty
	// alone; zh-2 not (group only).
	if want := (Counts{TP: 3, FP: 0, FN: 1, TN: 2}); r.Overall != want {
		t.Errorf("overall %+v, want %+v", r.Overall, want)
	}
	if got := r.ByLang["fr"]; got != (Counts{FN: 1}) {
		t.Errorf("fr %+v", got)
	}
	if got := r.ByKind["un"]; got != (Counts{TP: 2, FN: 1}) {
		t.Errorf("kind un %+v", got)
	}
	if got := r.ByKind["tech"]; got != (Counts{TN: 1}) {
		t.Errorf("kind tech %+v", got)
	}
	if got := r.ByTopic["un-space"]; got != (Counts{TP: 2, FN: 1, TN: 3}) {
		t.Errorf("un-space %+v", got)
	}
	if got := r.ByTopic["cooperation"]; got != (Counts{TP: 1, FN: 1, TN: 4}) {
		t.Errorf("cooperation %+v", got)
	}
	if len(r.Misses) != 1 || r.Misses[0].ID != "fr-1" || r.Misses[0].Label != "pos" {
		t.Errorf("misses %+v", r.Misses)
	}
	if p, rc, f1 := r.Overall.Precision(), r.Overall.Recall(), r.F1(); p != 1 || rc != 0.75 || math.Abs(f1-6.0/7) > 1e-12 {
		t.Errorf("precision %v recall %v F1 %v", p, rc, f1)
	}
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| overall | 3 | 0 | 1 | 2 | 1.000 | 0.750 | 0.857 |",
		"| fr | 0 | 0 | 1 | 0 | 0.000 | 0.000 | 0.000 |",
		"| un-space | 2 | 0 | 1 | 3 |",
		"| kind | TP |",
		"| un | 2 | 0 | 1 | 0 | 1.000 | 0.667 | 0.800 |",
		"| fr-1 | fr | pos | 0 |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestPart(t *testing.T) {
	var items []CorpusItem
	for i := range 1000 {
		items = append(items, CorpusItem{ID: fmt.Sprintf("item-%d", i)})
	}
	seen := make(map[string]int)
	for k := range 3 {
		p := Part(items, k, 3)
		if len(p) < 250 || len(p) > 420 {
			t.Errorf("part %d of 3 holds %d of 1000 items", k, len(p))
		}
		for _, it := range p {
			seen[it.ID]++
		}
	}
	if len(seen) != len(items) {
		t.Errorf("the parts hold %d different items, want all %d", len(seen), len(items))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s in %d parts", id, n)
		}
	}
	// The split is fixed: the SHA-1 of "a" ends in ...b8 (even), of "b"
	// in ...98 (even), of "e" in ...7f (odd).
	if p := Part([]CorpusItem{{ID: "a"}, {ID: "b"}, {ID: "e"}}, 1, 2); len(p) != 1 || p[0].ID != "e" {
		t.Errorf("odd half of a, b: %+v", p)
	}
}

func TestCountsEmpty(t *testing.T) {
	var c Counts
	if c.Precision() != 0 || c.Recall() != 0 || c.F1() != 0 {
		t.Errorf("empty counts: %v %v %v", c.Precision(), c.Recall(), c.F1())
	}
}

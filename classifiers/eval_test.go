package classifiers

import (
	"errors"
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

func TestCountsEmpty(t *testing.T) {
	var c Counts
	if c.Precision() != 0 || c.Recall() != 0 || c.F1() != 0 {
		t.Errorf("empty counts: %v %v %v", c.Precision(), c.Recall(), c.F1())
	}
}

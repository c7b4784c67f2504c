package spread

import (
	"slices"
	"strings"
	"testing"
)

func TestByKey(t *testing.T) {
	host := func(s string) string { h, _, _ := strings.Cut(s, "/"); return h }
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"empty", nil, []string{}},
		{"one key keeps its order", []string{"a/1", "a/2", "a/3"}, []string{"a/1", "a/2", "a/3"}},
		{"grouped hosts are interleaved", []string{"a/1", "a/2", "a/3", "b/1", "b/2", "c/1"},
			[]string{"a/1", "b/1", "c/1", "a/2", "b/2", "a/3"}},
		{"already spread stays as is", []string{"a/1", "b/1", "a/2", "b/2"}, []string{"a/1", "b/1", "a/2", "b/2"}},
		{"keys in order of first appearance", []string{"b/1", "a/1", "b/2", "b/3"}, []string{"b/1", "a/1", "b/2", "b/3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ByKey(tt.in, host)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ByKey(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestByKeyDistance checks the promise of the doc comment on a list where
// each host's feeds are written together, as a configuration often has them.
func TestByKeyDistance(t *testing.T) {
	var in []string
	for h := range 50 {
		for f := range 10 {
			in = append(in, string(rune('A'+h%26))+string(rune('a'+h/26))+"/"+string(rune('0'+f)))
		}
	}
	out := ByKey(in, func(s string) string { h, _, _ := strings.Cut(s, "/"); return h })
	if len(out) != len(in) {
		t.Fatalf("%d items out of %d", len(out), len(in))
	}
	last := map[string]int{}
	for i, s := range out {
		h, _, _ := strings.Cut(s, "/")
		if j, ok := last[h]; ok && i-j < 50 {
			t.Fatalf("%s at %d, %d after the previous item of its host", s, i, i-j)
		}
		last[h] = i
	}
}

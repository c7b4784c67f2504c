package classifiers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-news/vigie/internal/diag"
)

func TestParseProblems(t *testing.T) {
	const good = "name: ok\ntopics:\n  - id: t\n    terms:\n      - en: [word]\n"
	tests := []struct {
		name string
		src  string
		want []string // "line: part of the message"
	}{
		{"empty file", "", []string{"0: empty rule file"}},
		{"comments only", "# nothing\n", []string{"0: empty rule file"}},
		{"not a mapping", "- a\n- b\n", []string{"1: a rule file is a mapping"}},
		{"syntax error", "name: [a\ntopics: x\n", []string{": did not find expected"}},
		{"missing name and topics", "threshold: 2\n", []string{"1: missing name", "1: missing topics"}},
		{"bad name", strings.Replace(good, "name: ok", "name: Bad Name", 1), []string{`1: name "Bad Name"`}},
		{"unknown key", "nmae: x\n" + good, []string{`1: unknown key "nmae"`}},
		{"duplicate key", good + "name: again\n", []string{`6: duplicate key "name"`}},
		{"bad threshold", "threshold: high\n" + good, []string{`1: threshold: want a number`}},
		{"zero threshold", "threshold: 0\n" + good, []string{`1: threshold: must be greater than 0`}},
		{"negative title weight", "title_weight: -1\n" + good, []string{`1: title_weight: must be greater than 0`}},
		{"nan weight", "name: x\ntopics:\n  - id: t\n    terms:\n      - weight: .nan\n        en: [a]\n", []string{"5: weight: want a number"}},
		{"bad weight", "name: x\ntopics:\n  - id: t\n    terms:\n      - weight: 0\n        en: [a]\n", []string{"5: weight: must be greater than 0"}},
		{"bad language key", "name: x\ntopics:\n  - id: t\n    terms:\n      - english: [a]\n", []string{`5: unknown key "english"`}},
		{"bad language in group", "name: x\ngroups:\n  g:\n    xx: [a]\n" + good[8:], []string{`4: unknown language key "xx"`}},
		{"unknown group in require", "require: [nope]\n" + good, []string{`1: require: unknown group "nope"`}},
		{"unknown group in topic require", "name: x\ntopics:\n  - id: t\n    require: [nope]\n    terms:\n      - en: [a]\n", []string{`4: topic t: require: unknown group "nope"`}},
		{"unknown group in near", "name: x\ntopics:\n  - id: t\n    terms:\n      - near: {group: nope, within: 3}\n        en: [a]\n", []string{`5: near: unknown group "nope"`}},
		{"bad within", "name: x\ngroups: {g: {en: [b]}}\ntopics:\n  - id: t\n    terms:\n      - near: {group: g, within: 0}\n        en: [a]\n", []string{"6: near.within: want a whole number"}},
		{"near without within", "name: x\ngroups: {g: {en: [b]}}\ntopics:\n  - id: t\n    terms:\n      - near: {group: g}\n        en: [a]\n", []string{"6: near: want {group: NAME, within: WORDS}"}},
		{"empty term", "name: x\ntopics:\n  - id: t\n    terms:\n      - en: [a, '', '  ']\n", []string{`5: en: term "": empty term`, `5: en: term "  ": empty term`}},
		{"punctuation term", "name: x\ntopics:\n  - id: t\n    terms:\n      - en: ['...']\n", []string{`5: en: term "...": a term needs at least one letter`}},
		{"star inside", "name: x\ntopics:\n  - id: t\n    terms:\n      - en: ['cy*ber']\n", []string{`5: en: term "cy*ber": * may only end a term`}},
		{"star after space", "name: x\ntopics:\n  - id: t\n    terms:\n      - en: ['cyber *']\n", []string{`5: en: term "cyber *": * must follow a letter or digit`}},
		{"term not a string", "name: x\ntopics:\n  - id: t\n    terms:\n      - en: [[a]]\n", []string{"5: en: a term must be a string"}},
		{"duplicate topic", "name: x\ntopics:\n  - id: t\n    terms: [{en: [a]}]\n  - id: t\n    terms: [{en: [b]}]\n", []string{`5: duplicate topic id "t" (first at line 3)`}},
		{"topic without id", "name: x\ntopics:\n  - terms: [{en: [a]}]\n", []string{"3: topic without id"}},
		{"bad topic id", "name: x\ntopics:\n  - id: Norms\n    terms: [{en: [a]}]\n", []string{`3: topic id "Norms"`}},
		{"topic without terms", "name: x\ntopics:\n  - id: t\n", []string{"3: topic t: missing terms"}},
		{"unknown topic key", "name: x\ntopics:\n  - id: t\n    treshold: 2\n    terms: [{en: [a]}]\n", []string{`4: unknown key "treshold" in topic`}},
		{"alone in negative", good + "negative:\n  - alone: true\n    en: [b]\n", []string{"7: alone has no meaning in negative"}},
		{"alone not a bool", "name: x\ntopics:\n  - id: t\n    terms:\n      - alone: maybe\n        en: [a]\n", []string{"5: alone: want true or false"}},
		{"alias", "name: x\ngroups:\n  g: &g {en: [a]}\n  h: *g\n" + good[8:], []string{"3: YAML anchors (&g)", "4: YAML aliases"}},
		{"anchor alone", "name: x\nthreshold: &t 2\n" + good[8:], []string{"2: YAML anchors (&t)"}},
		{"no topics", "name: x\ntopics: []\n", []string{"2: topics: no topic"}},
		{"bad entity selector", "name: x\ngroups:\n  g:\n    entities: [states, XY, UN, G7, fr]\n" + good[8:], []string{`4: entities: "XY" is not an ISO 3166-1`, `4: entities: "fr" is not an ISO`}},
		{"bad distinct", "name: x\ngroups:\n  g:\n    entities: [states]\n    distinct: 0\n" + good[8:], []string{"5: distinct: want a whole number from 1 to 10"}},
		{"unknown included group", "name: x\ngroups:\n  g:\n    include: [nope]\n" + good[8:], []string{`4: group g: include: unknown group "nope"`}},
		{"nested include", "name: x\ngroups:\n  a: {en: [b]}\n  g: {include: [a]}\n  h: {include: [g]}\n" + good[8:], []string{"5: group h: include: g includes groups itself"}},
		{"unknown group in unless", "name: x\ngroups: {g: {en: [b]}}\ntopics:\n  - id: t\n    terms:\n      - unless: {group: nope, within: 3}\n        en: [a]\n", []string{`6: unless: unknown group "nope"`}},
		{"empty group in near", "name: x\ntopics:\n  - id: t\n    terms:\n      - near: {group: \"\", within: 2}\n        en: [a]\n", []string{`5: near.group: empty group name`}},
		{"unknown group in near list", "name: x\ngroups: {g: {en: [b]}}\ntopics:\n  - id: t\n    terms:\n      - near: [{group: g, within: 3}, {group: nope, within: 3}]\n        en: [a]\n", []string{`6: near: unknown group "nope"`}},
		{"many problems at once", "name: X\nthreshold: -1\ntopics:\n  - id: t\n    terms:\n      - weight: x\n        zz: [a]\n", []string{`1: name "X"`, "2: threshold", "6: weight", `7: unknown key "zz"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("rules.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded (%v), want problems %q", c.Name(), tt.want)
			}
			var list diag.List
			if !errors.As(err, &list) {
				t.Fatalf("error %T is not a diag.List: %v", err, err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, "rules.yaml:"+w) && !(strings.HasPrefix(w, "0: ") && strings.Contains(msg, "rules.yaml: "+w[3:])) && !(strings.HasPrefix(w, ": ") && strings.Contains(msg, w[2:])) {
					t.Errorf("problems do not include %q:\n%s", w, msg)
				}
			}
			if len(list) > len(tt.want) {
				t.Errorf("%d problems for %d expected; noise:\n%s", len(list), len(tt.want), msg)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files in testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(f, data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.Name() == "" {
				t.Error("empty name")
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	c, err := Parse("d.yaml", []byte("name: d\ntopics:\n  - id: t\n    terms:\n      - en: [word]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.threshold != defaultThreshold || c.titleWeight != defaultTitleWeight || c.topics[0].threshold != defaultThreshold || c.terms[0].weight != defaultWeight {
		t.Errorf("defaults: threshold %v, title_weight %v, topic threshold %v, weight %v", c.threshold, c.titleWeight, c.topics[0].threshold, c.terms[0].weight)
	}
	// A single term may be written without brackets.
	c, err = Parse("s.yaml", []byte("name: s\ntopics:\n  - id: t\n    terms:\n      - en: word\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Classify(Doc{Text: "a word"}).Matched {
		t.Error("a term written as a scalar does not match")
	}
}

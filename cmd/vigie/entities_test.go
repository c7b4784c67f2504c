package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// deskFiles writes feeds.yaml (with the routes and keys of extra) and the
// entity file desk.yaml into a new directory, and returns both paths.
func deskFiles(t *testing.T, extra, desk string) (cfg, deskPath string) {
	t.Helper()
	dir := t.TempDir()
	cfg = filepath.Join(dir, "feeds.yaml")
	deskPath = filepath.Join(dir, "desk.yaml")
	feeds := "nats:\n  listen: 127.0.0.1:-1\nhttp:\n  listen: \"\"\nfeeds:\n  - id: a\n    url: http://127.0.0.1:1/rss\nentities: [desk.yaml]\n" + extra
	if err := os.WriteFile(cfg, []byte(feeds), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(deskPath, []byte(desk), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, deskPath
}

const deskBodies = "orgs:\n  - key: VGXT\n    name: Vigie Test Organisation\n    fr: [Organisation Vigie de test]\n"

// TestCheckEntityFiles checks that check, and the commands that use the
// entities, refuse a broken extra entity file with every problem as
// file:line, and that check accepts a good one with routes on its keys.
func TestCheckEntityFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		desk string
		want []string // lines of desk.yaml, each with the start of its message
	}{
		{"a state key that is not ISO 3166-1", "states:\n  - key: VN\n    fr: [Hanoï]\n  - key: XY\n    en: [Nowhere Land]\n",
			[]string{`:4: state key "XY" is not an ISO 3166-1 alpha-2 country code`}},
		{"a name given to two entities", "orgs:\n  - key: VGXA\n    en: [Joint Watch Office]\n  - key: VGXB\n    en: [Joint Watch Office]\n",
			[]string{`:5: name "Joint Watch Office" is also a name of body VGXA`}},
		{"an empty name", "orgs:\n  - key: VGXA\n    en: [Joint Watch Office]\n    fr: [\"\"]\n",
			[]string{`:4: fr: empty name`}},
		{"every problem at once", "states:\n  - key: XY\n    en: [Nowhere Land]\norgs:\n  - key: VGXA\n    en: [Joint Watch Office, \"\"]\n  - key: VGXB\n    en: [Joint Watch Office]\n",
			[]string{`:2: state key "XY"`, `:6: en: empty name`, `:8: name "Joint Watch Office" is also a name of body VGXA`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, desk := deskFiles(t, "", tt.desk)
			for _, cmd := range [][]string{{"check"}, {"classify", "--jsonl"}, {"once"}, {"run"}} {
				code, _, errOut := vigie(t, `{"id":"x","title":"t"}`, append(cmd, "--config", cfg)...)
				if code != 2 {
					t.Errorf("%s: exit %d, want 2; stderr %q", cmd[0], code, errOut)
				}
				for _, w := range tt.want {
					if !strings.Contains(errOut, desk+w) {
						t.Errorf("%s: stderr lacks %q:\n%s", cmd[0], desk+w, errOut)
					}
				}
			}
		})
	}

	t.Run("a good file and routes on its keys", func(t *testing.T) {
		cfg, _ := deskFiles(t, "notify:\n  - name: asia-desk\n    type: slack\n    url: https://hooks.example/x\n    match: {states: [VN, JP], orgs: [VGXT]}\n", deskBodies)
		code, out, errOut := vigie(t, "", "check", "--config", cfg)
		if code != 0 || !strings.Contains(out, "entity files: desk.yaml") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("routes on keys that are not", func(t *testing.T) {
		cfg, _ := deskFiles(t, "notify:\n  - name: asia-desk\n    type: slack\n    url: https://hooks.example/x\n    match:\n      states: [VN, XY]\n      orgs: [VGXT, NOPE]\n", deskBodies)
		code, _, errOut := vigie(t, "", "check", "--config", cfg)
		if want := cfg + `:14: notify[0].match.states[1]: "XY" is not an ISO 3166-1 alpha-2 country code`; code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, stderr %q; want %q", code, errOut, want)
		}
		// Once the states are right, the bodies are checked against the set.
		cfg, _ = deskFiles(t, "notify:\n  - name: asia-desk\n    type: slack\n    url: https://hooks.example/x\n    match:\n      states: [VN]\n      orgs: [VGXT, NOPE]\n", deskBodies)
		code, _, errOut = vigie(t, "", "check", "--config", cfg)
		if want := cfg + `:15: notify[0].match.orgs[1]: no body with key "NOPE"`; code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, stderr %q; want %q", code, errOut, want)
		}
	})
	t.Run("a missing file", func(t *testing.T) {
		cfg, desk := deskFiles(t, "", deskBodies)
		os.Remove(desk)
		code, _, errOut := vigie(t, "", "check", "--config", cfg)
		if code != 2 || !strings.Contains(errOut, cfg+":8: entities[0]: open "+desk) {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
}

// TestClassifyEntities checks the entities of classify: at the top level of
// each --jsonl line, between the language and the alerts; in the human
// output; found with the configuration's extra files when it has some.
func TestClassifyEntities(t *testing.T) {
	t.Parallel()
	in := `{"id":"a","title":"Le Vietnam et le Japon signent un accord","text":"Nouvelle réunion de l'Organisation Vigie de test, avec la France."}
{"id":"b","title":"Lyon s'impose à Marseille","text":"L'Olympique lyonnais a battu Marseille."}
`
	type line struct {
		ID       string `json:"id"`
		Entities *struct {
			States []string `json:"states"`
			Orgs   []string `json:"orgs"`
		} `json:"entities"`
	}
	read := func(out string) []line {
		t.Helper()
		var lines []line
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if !strings.Contains(l, `"lang_confidence":`) || strings.Index(l, `"lang_confidence":`) > strings.Index(l, `"entities":`) || strings.Index(l, `"entities":`) > strings.Index(l, `"alerts":`) {
				t.Errorf("line %s: want lang_confidence, entities and alerts in this order", l)
			}
			var r line
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			if r.Entities == nil || r.Entities.States == nil || r.Entities.Orgs == nil {
				t.Fatalf("line %s: want entities with lists of states and orgs", l)
			}
			lines = append(lines, r)
		}
		if len(lines) != 2 {
			t.Fatalf("%d lines, want 2:\n%s", len(lines), out)
		}
		return lines
	}

	code, out, errOut := vigie(t, in, "classify", "--jsonl", "--config", filepath.Join(t.TempDir(), "none.yaml"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got := read(out)
	if !slices.Equal(got[0].Entities.States, []string{"FR", "JP", "VN"}) || len(got[0].Entities.Orgs) != 0 {
		t.Errorf("built-in entities of line a: %+v, want FR, JP, VN and no body", *got[0].Entities)
	}
	if len(got[1].Entities.States)+len(got[1].Entities.Orgs) != 0 {
		t.Errorf("line b names %+v, want nothing", *got[1].Entities)
	}

	cfg, _ := deskFiles(t, "", deskBodies)
	code, out, errOut = vigie(t, in, "classify", "--jsonl", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := read(out); !slices.Equal(got[0].Entities.Orgs, []string{"VGXT"}) {
		t.Errorf("with the desk's file, line a names bodies %q, want VGXT", got[0].Entities.Orgs)
	}

	code, out, errOut = vigie(t, "Le Vietnam et le Japon signent un accord\nNouvelle réunion de l'Organisation Vigie de test.\n", "classify", "--config", cfg)
	if code != 0 || !strings.Contains(out, "\nentities: states JP, VN; bodies VGXT\n") {
		t.Errorf("exit %d, human output lacks the entities:\n%s%s", code, out, errOut)
	}
}

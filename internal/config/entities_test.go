package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/entities"
)

// writeConfig writes feeds.yaml and the other files into a new directory
// and parses the configuration.
func writeConfig(t *testing.T, feeds string, files map[string]string) *Config {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "feeds.yaml")
	if err := os.WriteFile(path, []byte(feeds), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// deskBodies is an entity file of a desk: a body of its own, and more
// names for Vietnam.
const deskBodies = `orgs:
  - key: VGXT
    name: Vigie Test Organisation
    any: [Vigie Test Organisation]
    fr: [Organisation Vigie de test]
states:
  - key: VN
    fr: [Hanoï]
`

const oneFeed = "feeds:\n  - id: a\n    url: https://a.example/\n"

func TestLoadEntitiesMerges(t *testing.T) {
	c := writeConfig(t, oneFeed+"entities: [desk.yaml]\nnotify:\n  - name: desk\n    type: slack\n    url: https://hooks.example/\n    match: {states: [VN], orgs: [VGXT]}\n",
		map[string]string{"desk.yaml": deskBodies})
	if got := c.EntityPaths(); len(got) != 1 || got[0] != filepath.Join(filepath.Dir(c.Path), "desk.yaml") {
		t.Errorf("EntityPaths = %q, want desk.yaml beside feeds.yaml", got)
	}
	set, err := c.LoadEntities()
	if err != nil {
		t.Fatal(err)
	}
	found := set.Find("L'Organisation Vigie de test se réunit à Hanoï", "Le Japon et la France y assistent.")
	e := found.Entities()
	if !slices.Equal(e.States, []string{"FR", "JP", "VN"}) || !slices.Equal(e.Orgs, []string{"VGXT"}) {
		t.Errorf("entities %+v, want the built-in states FR, JP, the desk's VN (Hanoï) and body VGXT", e)
	}
	// Without extra files the built-in set is shared.
	plain := writeConfig(t, oneFeed, nil)
	got, err := plain.LoadEntities()
	if err != nil {
		t.Fatal(err)
	}
	if def, _ := entities.Default(); got != def {
		t.Error("a configuration without entity files does not use the built-in set")
	}
}

// TestLoadEntitiesProblems checks that mistakes in an extra entity file are
// reported with that file's name and line, and a route's unknown body or
// missing file with the configuration's.
func TestLoadEntitiesProblems(t *testing.T) {
	tests := []struct {
		name  string
		feeds string
		file  string // desk.yaml, when not empty
		want  []string
	}{
		{
			name:  "a state key that is not ISO 3166-1",
			feeds: oneFeed + "entities: [desk.yaml]\n",
			file:  "states:\n  - key: VN\n    fr: [Hanoï]\n  - key: XY\n    en: [Nowhere Land]\n",
			want:  []string{`desk.yaml:4: state key "XY" is not an ISO 3166-1 alpha-2 country code`},
		},
		{
			name:  "a name given to two entities",
			feeds: oneFeed + "entities: [desk.yaml]\n",
			file:  "orgs:\n  - key: VGXA\n    en: [Joint Watch Office]\n  - key: VGXB\n    en: [Joint Watch Office]\n",
			want:  []string{`desk.yaml:5: name "Joint Watch Office" is also a name of body VGXA (`},
		},
		{
			name:  "a name of a built-in state given to a body",
			feeds: oneFeed + "entities: [desk.yaml]\n",
			file:  "orgs:\n  - key: VGXA\n    en: [Vietnam]\n",
			want:  []string{`desk.yaml:3: name "Vietnam" is also a name of state VN (`},
		},
		{
			name:  "an empty name",
			feeds: oneFeed + "entities: [desk.yaml]\n",
			file:  "orgs:\n  - key: VGXA\n    en: [Joint Watch Office, \"\"]\n    fr:\n      - \" \"\n",
			want:  []string{`desk.yaml:3: en: empty name`, `desk.yaml:5: fr: empty name`},
		},
		{
			name:  "a missing file",
			feeds: oneFeed + "entities:\n  - desk.yaml\n  - nowhere.yaml\n",
			file:  deskBodies,
			want:  []string{`feeds.yaml:6: entities[1]: open `},
		},
		{
			name:  "a route's body that no file defines",
			feeds: oneFeed + "entities: [desk.yaml]\nnotify:\n  - name: desk\n    type: slack\n    url: https://hooks.example/\n    match:\n      orgs: [VGXT, NOPE]\n",
			file:  deskBodies,
			want:  []string{`feeds.yaml:10: notify[0].match.orgs[1]: no body with key "NOPE" in the entity files (known: `},
		},
		{
			name:  "a route's body without the file that defines it",
			feeds: oneFeed + "notify:\n  - name: desk\n    type: slack\n    url: https://hooks.example/\n    match: {orgs: [VGXT]}\n",
			want:  []string{`feeds.yaml:8: notify[0].match.orgs[0]: no body with key "VGXT"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.file != "" {
				files["desk.yaml"] = tt.file
			}
			c := writeConfig(t, tt.feeds, files)
			set, err := c.LoadEntities()
			var list diag.List
			if !errors.As(err, &list) {
				t.Fatalf("LoadEntities = %v, %v; want a diag.List", set, err)
			}
			dir := filepath.Dir(c.Path)
			for _, w := range tt.want {
				w = filepath.Join(dir, w)
				if !slices.ContainsFunc(list, func(p diag.Problem) bool { return strings.HasPrefix(p.String(), w) }) {
					t.Errorf("missing problem %q in:\n%v", w, err)
				}
			}
		})
	}
}

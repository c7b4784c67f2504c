package feedlist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzReadOPML: any document is read or refused, never a panic.
func FuzzReadOPML(f *testing.F) {
	f.Add(messyOPML)
	f.Add(`<opml><body><outline text="a"><outline xmlUrl="https://e.org/"/></outline></body></opml>`)
	f.Add(`<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "b">]><opml/>`)
	f.Fuzz(func(t *testing.T, doc string) {
		outlines, _, err := ReadOPML(strings.NewReader(doc))
		if err == nil && len(outlines) > MaxOutlines {
			t.Errorf("%d outlines kept", len(outlines))
		}
	})
}

// FuzzAdd: whatever YAML a configuration holds, adding a feed keeps it
// YAML, with the feed in its feeds list.
func FuzzAdd(f *testing.F) {
	f.Add(existingConfig)
	f.Add("feeds: []\n")
	f.Add("feeds:\n")
	f.Add("# only a comment")
	f.Add("feeds:\n- id: a\n  url: https://a.example/\n  notes: |\n    two\n    lines\nclassifiers: [x]\n")
	f.Fuzz(func(t *testing.T, doc string) {
		path := filepath.Join(t.TempDir(), "feeds.yaml")
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := Load(path)
		if err != nil {
			return
		}
		data, err := l.Add([]Entry{{ID: "zz-new", URL: "https://new.example/rss"}}, "added")
		if err != nil {
			return
		}
		var out struct {
			Feeds []any `yaml:"feeds"`
		}
		if err := yaml.Unmarshal(data, &out); err != nil {
			t.Fatalf("not YAML after Add: %v\n--- before\n%s\n--- after\n%s", err, doc, data)
		}
		found := false
		for _, f := range out.Feeds {
			m, _ := f.(map[string]any)
			found = found || m["id"] == "zz-new"
		}
		if !found {
			t.Fatalf("the feed is not in the list:\n--- before\n%s\n--- after\n%s", doc, data)
		}
	})
}

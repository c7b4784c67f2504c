package normalize_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/parse"
)

var update = flag.Bool("update", false, "rewrite testdata/*/expected.json")

// TestGolden parses and normalizes every testdata/<case>/input.* and
// compares the items with testdata/<case>/expected.json (rewritten with
// -update, then reviewed by hand).
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	fetched := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			inputs, _ := filepath.Glob(filepath.Join(dir, "input.*"))
			if len(inputs) != 1 {
				t.Fatalf("want one input.* in %s, found %d", dir, len(inputs))
			}
			body, err := os.ReadFile(inputs[0])
			if err != nil {
				t.Fatal(err)
			}
			feedURL := "https://feeds.example/" + filepath.Base(dir)
			feed, err := parse.Parse(body, "", feedURL)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(struct {
				MinInterval string           `json:"min_interval"`
				Items       []normalize.Item `json:"items"`
			}{feed.Interval.String(), normalize.Items("golden", feed, feedURL, fetched)}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join(dir, "expected.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs:\n%s", golden, got)
			}
		})
	}
}

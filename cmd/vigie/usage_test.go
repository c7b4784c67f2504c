package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestUsageMatchesREADME checks that the commands of `vigie help` and those
// of the README's Commands section are the same text.
func TestUsageMatchesREADME(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Commands\n\n```\n")
	block, _, ok2 := strings.Cut(section, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no ``` block under ## Commands")
	}
	code, usage, _ := vigie(t, "", "help")
	if code != 0 {
		t.Fatalf("vigie help: exit %d", code)
	}
	_, help, _ := strings.Cut(usage, "Usage:\n")
	help, _, _ = strings.Cut(help, "\n\n")
	trim := func(s string) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
		return out
	}
	if a, b := trim(help), trim(block); !slices.Equal(a, b) {
		t.Errorf("vigie help and README.md differ:\nhelp:\n%s\nREADME:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}

// Package sharedtest finds the project's shared test data, ../shared beside
// the repository root, for tests that read it; they skip without it (a
// user's clone has no ../shared).
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared directory (../shared from the directory holding
// go.mod), or skips the test with a message when it is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("no go.mod above the package: cannot locate ../shared")
		}
		dir = parent
	}
	shared := filepath.Join(filepath.Dir(dir), "shared")
	if _, err := os.Stat(shared); err != nil {
		tb.Skipf("%s is absent: the shared test data is not in this checkout", shared)
	}
	return shared
}

// Path returns a path inside the shared directory, or skips the test when
// that path is absent.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir(tb)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("%s is absent from the shared test data", p)
	}
	return p
}

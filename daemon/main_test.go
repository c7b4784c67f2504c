package daemon

import (
	"fmt"
	"os"
	"testing"

	"github.com/vigie-news/vigie/internal/lang"
	"github.com/vigie-news/vigie/internal/paralleltest"
)

// TestMain loads the language models once, before the tests that start
// daemons run in parallel: the models are cached for the process once
// loaded, but daemons starting together would each decode them. Up to 8
// tests run at once: they wait on servers and fetches more than they
// compute.
func TestMain(m *testing.M) {
	if _, err := lang.New(lang.DefaultLanguages); err != nil {
		fmt.Fprintln(os.Stderr, "language models:", err)
		os.Exit(1)
	}
	os.Exit(paralleltest.Run(m, 8))
}

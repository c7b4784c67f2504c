package notify_test

import (
	"os"
	"testing"

	"github.com/vigie-news/vigie/internal/paralleltest"
)

// TestMain runs up to 8 tests at once: they wait on receivers, backoffs
// and ack waits, not on the CPU.
func TestMain(m *testing.M) { os.Exit(paralleltest.Run(m, 8)) }

package paralleltest

import (
	"flag"
	"os"
	"strconv"
	"testing"
)

const raised = 5

func TestMain(m *testing.M) { os.Exit(Run(m, raised)) }

// TestParallelRaised checks that the tests run with the raised limit when
// the command line sets none.
func TestParallelRaised(t *testing.T) {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	got := flag.Lookup("test.parallel").Value.String()
	if set {
		t.Skipf("-parallel %s is given on the command line, and wins", got)
	}
	if got != strconv.Itoa(raised) {
		t.Errorf("-test.parallel = %s, want %d", got, raised)
	}
}

// Package paralleltest runs the tests of a package whose tests spend their
// time waiting (on embedded NATS servers, HTTP receivers, timers) more at
// once than go test's default of one per CPU.
package paralleltest

import (
	"flag"
	"strconv"
	"testing"
)

// Run runs m's tests with up to n parallel tests at once, unless the command
// line sets -parallel (or -test.parallel) itself, and returns m.Run's code,
// for TestMain to pass to os.Exit.
func Run(m *testing.M, n int) int {
	if !flag.Parsed() {
		flag.Parse()
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set && n > 0 {
		if err := flag.Set("test.parallel", strconv.Itoa(n)); err != nil {
			panic("paralleltest: " + err.Error())
		}
	}
	return m.Run()
}

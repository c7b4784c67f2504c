//go:build pprof

package main

// Profiling for those who measure Vigie (see test/scale/README.md): a
// binary built with -tags pprof serves net/http/pprof on the address in
// VIGIE_PPROF. The default build has neither.

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
)

func init() {
	if addr := os.Getenv("VIGIE_PPROF"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}

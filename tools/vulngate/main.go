// Command vulngate reads govulncheck's JSON output (-format json) on its
// standard input, prints the vulnerabilities it reports by how close they
// come to Vigie's code, and exits 1 when Vigie's code calls one that is not
// accepted.
//
// An accepted vulnerability is listed, one a line, in the file given with
// -accept: its OSV id, then why it is accepted and what will fix it. Lines
// starting with # are comments. It is meant for the vulnerabilities that no
// module upgrade can fix (the Go release the machines build with); any
// other one is fixed by upgrading its module.
//
//	go run golang.org/x/vuln/cmd/govulncheck@v1.10.0 -format json ./... |
//	  go run ./tools/vulngate -accept .ci/govulncheck-accepted
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	accept := flag.String("accept", "", "file of accepted OSV ids, one a line with the reason")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *accept); err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(1)
	}
}

// run reads the scan from in, writes the report to out, and returns an
// error when a called vulnerability is not accepted.
func run(in io.Reader, out io.Writer, acceptPath string) error {
	accepted := map[string]string{}
	if acceptPath != "" {
		f, err := os.Open(acceptPath)
		if err != nil {
			return fmt.Errorf("accepted list: %w", err)
		}
		accepted, err = ReadAccepted(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", acceptPath, err)
		}
	}
	scan, err := ReadScan(in)
	if err != nil {
		return err
	}
	report := Judge(scan, accepted)
	report.Write(out)
	if n := len(report.Blocking); n > 0 {
		return fmt.Errorf("%d vulnerabilities reached from Vigie's code and not accepted: upgrade their modules, or Go", n)
	}
	return nil
}

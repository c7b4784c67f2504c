// Package diag reports problems in user files (configuration, rule sets) as
// "file:line: message", the form editors and CI logs understand.
package diag

import (
	"fmt"
	"strings"
)

// Problem is one mistake at a place in a file. Line is 0 when unknown.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string {
	switch {
	case p.File == "":
		return p.Msg
	case p.Line <= 0:
		return p.File + ": " + p.Msg
	default:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
}

// List collects problems; its Err is nil when there are none.
type List []Problem

// Addf records a problem.
func (l *List) Addf(file string, line int, format string, args ...any) {
	*l = append(*l, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Err returns the list as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Error prints one problem per line.
func (l List) Error() string {
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Scan is what govulncheck reported: the scan's settings, the advisories
// it names and its findings.
type Scan struct {
	Config   Config
	Summary  map[string]string // OSV id -> summary
	Findings []Finding
}

// Config is the part of govulncheck's config message the report names.
type Config struct {
	Scanner   string `json:"scanner_version"`
	DB        string `json:"db"`
	GoVersion string `json:"go_version"`
	ScanLevel string `json:"scan_level"`
}

// Finding is one finding: an advisory and the way from Vigie's code to
// it, the vulnerable symbol, package or module first.
type Finding struct {
	OSV          string  `json:"osv"`
	FixedVersion string  `json:"fixed_version"`
	Trace        []Frame `json:"trace"`
}

// Frame is a step of a finding's trace.
type Frame struct {
	Module   string    `json:"module"`
	Version  string    `json:"version"`
	Package  string    `json:"package"`
	Function string    `json:"function"`
	Receiver string    `json:"receiver"`
	Position *Position `json:"position"`
}

// Position is where a frame is in the source.
type Position struct {
	Filename string `json:"filename"`
	Line     int    `json:"line"`
}

// stdlib is the module govulncheck names for Go's standard library.
const stdlib = "stdlib"

// Level is how close a vulnerability comes to Vigie's code.
type Level int

// Levels, from the farthest: a required module holds it, a package Vigie
// imports holds it, Vigie's code calls it.
const (
	InModule Level = iota
	InPackage
	Called
)

func (l Level) String() string {
	return [...]string{"in a required module, not imported", "in an imported package, not called", "called"}[l]
}

// level is the level a finding shows.
func (f Finding) level() Level {
	switch {
	case len(f.Trace) == 0 || f.Trace[0].Package == "":
		return InModule
	case f.Trace[0].Function == "":
		return InPackage
	}
	return Called
}

// ReadScan reads govulncheck's JSON stream: a sequence of objects, each
// holding one message (config, progress, SBOM, osv or finding).
func ReadScan(r io.Reader) (*Scan, error) {
	s := &Scan{Summary: map[string]string{}}
	dec := json.NewDecoder(r)
	seen := false
	for {
		var msg struct {
			Config  *Config  `json:"config"`
			Finding *Finding `json:"finding"`
			OSV     *struct {
				ID      string `json:"id"`
				Summary string `json:"summary"`
			} `json:"osv"`
		}
		err := dec.Decode(&msg)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read govulncheck's output: %w", err)
		}
		switch {
		case msg.Config != nil:
			s.Config, seen = *msg.Config, true
		case msg.Finding != nil:
			s.Findings = append(s.Findings, *msg.Finding)
		case msg.OSV != nil:
			s.Summary[msg.OSV.ID] = msg.OSV.Summary
		}
	}
	if !seen {
		return nil, errors.New("no scan in the input: run govulncheck with -format json")
	}
	return s, nil
}

// ReadAccepted reads the accepted list: an OSV id and its reason on each
// line, # comments and blank lines ignored. A line without a reason is an
// error: an acceptance says why.
func ReadAccepted(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(id, "GO-") || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("line %d: want an OSV id (GO-...) and the reason it is accepted", n)
		}
		out[id] = strings.TrimSpace(reason)
	}
	return out, sc.Err()
}

// Vuln is one advisory as the report tells it.
type Vuln struct {
	ID, Summary   string
	Level         Level
	Module, Found string
	Fixed         string
	Example       string // a trace from Vigie's code, for a called one
	// AcceptedBecause is the reason the accepted list gives, "" if none.
	AcceptedBecause string
}

// Report sorts a scan's advisories.
type Report struct {
	Config Config
	// Vulns holds every advisory, the called ones first, by id.
	Vulns []Vuln
	// Blocking are the called advisories not accepted, by id.
	Blocking []Vuln
	// Unused are accepted ids the scan no longer reports as called.
	Unused []string
}

// Judge sorts the scan's advisories by level, the closest finding of each
// deciding, and checks the called ones against the accepted list.
func Judge(s *Scan, accepted map[string]string) Report {
	byID := map[string]*Vuln{}
	var order []string
	for _, f := range s.Findings {
		v := byID[f.OSV]
		if v == nil {
			v = &Vuln{ID: f.OSV, Summary: s.Summary[f.OSV], Level: -1}
			byID[f.OSV] = v
			order = append(order, f.OSV)
		}
		if l := f.level(); l > v.Level {
			v.Level, v.Fixed = l, f.FixedVersion
			if len(f.Trace) > 0 {
				v.Module, v.Found = f.Trace[0].Module, f.Trace[0].Version
			}
			if l == Called {
				v.Example = trace(f.Trace)
			}
		}
	}
	r := Report{Config: s.Config}
	used := map[string]bool{}
	for _, id := range order {
		v := *byID[id]
		if v.Level == Called {
			if why, ok := accepted[id]; ok {
				v.AcceptedBecause = why
				used[id] = true
			} else {
				r.Blocking = append(r.Blocking, v)
			}
		}
		r.Vulns = append(r.Vulns, v)
	}
	slices.SortFunc(r.Vulns, func(a, b Vuln) int {
		if a.Level != b.Level {
			return int(b.Level) - int(a.Level)
		}
		return strings.Compare(a.ID, b.ID)
	})
	slices.SortFunc(r.Blocking, func(a, b Vuln) int { return strings.Compare(a.ID, b.ID) })
	for id := range accepted {
		if !used[id] {
			r.Unused = append(r.Unused, id)
		}
	}
	slices.Sort(r.Unused)
	return r
}

// trace renders a called finding's trace from Vigie's code to the
// vulnerable symbol.
func trace(frames []Frame) string {
	var steps []string
	for i := len(frames) - 1; i >= 0; i-- {
		f := frames[i]
		name := f.Function
		if f.Receiver != "" {
			name = strings.TrimPrefix(f.Receiver, "*") + "." + name
		}
		step := f.Package + "." + name
		if f.Position != nil && i == len(frames)-1 {
			step = fmt.Sprintf("%s:%d: %s", f.Position.Filename, f.Position.Line, step)
		}
		steps = append(steps, step)
	}
	return strings.Join(steps, " -> ")
}

// Write prints the report.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "govulncheck %s, %s scan with %s, database %s\n", r.Config.Scanner, r.Config.ScanLevel, r.Config.GoVersion, r.Config.DB)
	if len(r.Vulns) == 0 {
		fmt.Fprintln(w, "no known vulnerability in the modules Vigie requires")
	}
	for _, v := range r.Vulns {
		fmt.Fprintf(w, "%s (%s): %s\n  %s@%s, fixed in %s\n", v.ID, v.Level, v.Summary, v.Module, v.Found, orNone(v.Fixed))
		if v.Example != "" {
			fmt.Fprintf(w, "  e.g. %s\n", v.Example)
		}
		switch {
		case v.AcceptedBecause != "":
			fmt.Fprintf(w, "  ACCEPTED: %s\n", v.AcceptedBecause)
		case v.Level == Called && v.Module == stdlib:
			fmt.Fprintln(w, "  NOT ACCEPTED: build with a Go release that fixes it")
		case v.Level == Called:
			fmt.Fprintln(w, "  NOT ACCEPTED: upgrade the module to the fixed version")
		}
	}
	for _, id := range r.Unused {
		fmt.Fprintf(w, "note: %s is accepted but no longer called: take it off the list\n", id)
	}
	called := 0
	for _, v := range r.Vulns {
		if v.Level == Called {
			called++
		}
	}
	fmt.Fprintf(w, "%d vulnerabilities reported, %d called (%d accepted, %d not)\n", len(r.Vulns), called, called-len(r.Blocking), len(r.Blocking))
}

func orNone(s string) string {
	if s == "" {
		return "no release yet"
	}
	return s
}

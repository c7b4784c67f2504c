package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/scan.json is govulncheck v1.10.0's JSON output on Vigie with
// brotli v1.2.0 and go1.26.8, cut down to three advisories: brotli's
// (called), one of net/http's (called) and one of html/template's (in the
// module only).

func readScan(t *testing.T) *Scan {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "scan.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ReadScan(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJudgeLevels(t *testing.T) {
	r := Judge(readScan(t), nil)
	want := map[string]Level{"GO-2026-6888": Called, "GO-2026-6609": Called, "GO-2026-6599": InModule}
	if len(r.Vulns) != len(want) {
		t.Fatalf("%d advisories, want %d: %+v", len(r.Vulns), len(want), r.Vulns)
	}
	for i, v := range r.Vulns {
		if want[v.ID] != v.Level {
			t.Errorf("%s: %s, want %s", v.ID, v.Level, want[v.ID])
		}
		if i > 0 && v.Level > r.Vulns[i-1].Level {
			t.Errorf("%s (%s) listed after %s (%s): the called ones come first", v.ID, v.Level, r.Vulns[i-1].ID, r.Vulns[i-1].Level)
		}
	}
	for _, v := range r.Vulns {
		if v.ID == "GO-2026-6888" {
			if v.Module != "github.com/andybalholm/brotli" || v.Found != "v1.2.0" || v.Fixed != "v1.2.7" {
				t.Errorf("brotli: %s@%s fixed in %s", v.Module, v.Found, v.Fixed)
			}
			if !strings.HasPrefix(v.Example, "internal/fetch/") || !strings.HasSuffix(v.Example, "brotli.Reader.Read") {
				t.Errorf("brotli: trace %q, want from internal/fetch to brotli.Reader.Read", v.Example)
			}
		}
	}
}

func TestJudgeAccepted(t *testing.T) {
	for _, tc := range []struct {
		name     string
		accepted map[string]string
		blocking []string
		unused   []string
	}{
		{"none accepted", nil, []string{"GO-2026-6609", "GO-2026-6888"}, nil},
		{"the standard library's accepted", map[string]string{"GO-2026-6609": "fixed in go1.26.9"}, []string{"GO-2026-6888"}, nil},
		{"both accepted", map[string]string{"GO-2026-6609": "a", "GO-2026-6888": "b"}, nil, nil},
		// Accepting one that is not called changes nothing and is
		// reported, so that the list does not keep stale entries.
		{"one not called accepted", map[string]string{"GO-2026-6599": "x", "GO-2026-6609": "y"}, []string{"GO-2026-6888"}, []string{"GO-2026-6599"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Judge(readScan(t), tc.accepted)
			var got []string
			for _, v := range r.Blocking {
				got = append(got, v.ID)
			}
			if strings.Join(got, " ") != strings.Join(tc.blocking, " ") {
				t.Errorf("blocking %v, want %v", got, tc.blocking)
			}
			if strings.Join(r.Unused, " ") != strings.Join(tc.unused, " ") {
				t.Errorf("unused %v, want %v", r.Unused, tc.unused)
			}
		})
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "accepted")
	scan, err := os.ReadFile(filepath.Join("testdata", "scan.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(list, []byte("# the Go release\nGO-2026-6609 fixed in go1.26.9\n"), 0o644)
	var out bytes.Buffer
	err = run(bytes.NewReader(scan), &out, list)
	if err == nil || !strings.Contains(err.Error(), "1 vulnerabilities") {
		t.Errorf("error %v, want brotli's vulnerability to fail the run", err)
	}
	for _, want := range []string{"ACCEPTED: fixed in go1.26.9", "GO-2026-6888 (called)", "NOT ACCEPTED: upgrade the module", "3 vulnerabilities reported, 2 called (1 accepted, 1 not)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	os.WriteFile(list, []byte("GO-2026-6609 fixed in go1.26.9\nGO-2026-6888 a test\n"), 0o644)
	out.Reset()
	if err := run(bytes.NewReader(scan), &out, list); err != nil {
		t.Errorf("every called one accepted: %v", err)
	}
	if err := run(strings.NewReader(`{"progress":{"message":"x"}}`), &out, ""); err == nil {
		t.Error("an input with no scan passed")
	}
}

func TestReadAccepted(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		n        int
		bad      bool
	}{
		{"comments and blanks", "# why\n\nGO-2026-1 reason one\n  GO-2026-2   reason two  \n", 2, false},
		{"no reason", "GO-2026-1\n", 0, true},
		{"not an id", "CVE-2026-1 reason\n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadAccepted(strings.NewReader(tc.in))
			if (err != nil) != tc.bad {
				t.Fatalf("error %v, want one: %v", err, tc.bad)
			}
			if len(got) != tc.n {
				t.Errorf("%d ids, want %d: %v", len(got), tc.n, got)
			}
		})
	}
}

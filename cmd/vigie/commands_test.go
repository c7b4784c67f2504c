package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// commandFlags is every command and the flags it has, --help aside.
var commandFlags = []struct {
	path  []string
	flags []string
}{
	{[]string{"run"}, []string{"config", "log-format", "log-level"}},
	{[]string{"check"}, []string{"config"}},
	{[]string{"once"}, []string{"config", "log-format", "log-level"}},
	{[]string{"classify"}, []string{"config", "jsonl"}},
	{[]string{"eval"}, []string{"classifier", "part"}},
	{[]string{"replay"}, []string{"config", "since", "publish", "json", "log-format", "log-level"}},
	{[]string{"notify"}, []string{"config", "failures", "log-format", "log-level"}},
	{[]string{"failures", "list"}, []string{"config", "route", "older-than", "json", "log-format", "log-level"}},
	{[]string{"failures", "resend"}, []string{"config", "route", "older-than", "all", "json", "log-format", "log-level"}},
	{[]string{"failures", "purge"}, []string{"config", "route", "older-than", "all", "log-format", "log-level"}},
	{[]string{"feeds", "import"}, []string{"config", "dry-run"}},
	{[]string{"feeds", "export"}, []string{"config"}},
	{[]string{"feeds", "add"}, []string{"config", "id", "language", "dry-run", "log-format", "log-level"}},
	{[]string{"status"}, []string{"config", "json", "log-format", "log-level"}},
	{[]string{"stories"}, []string{"config", "min-items", "limit", "json", "log-format", "log-level"}},
	{[]string{"tail"}, []string{"config", "server", "json"}},
	{[]string{"version"}, nil},
	{[]string{"completion"}, nil},
	{[]string{"help"}, nil},
}

var longFlag = regexp.MustCompile(`--([a-z][a-z-]*)`)

// TestEveryCommandHasItsOwnFlags: each command's --help (and vigie help
// COMMAND) lists its own flags and no other, its usage line names the
// flags that are not common ones, and a flag of another command is a
// usage error (exit 2) that points at the command's help.
func TestEveryCommandHasItsOwnFlags(t *testing.T) {
	t.Parallel()
	var every []string
	for _, c := range commandFlags {
		every = append(every, c.flags...)
	}
	root := newRoot(nil, nil, nil)
	for _, tt := range commandFlags {
		t.Run(strings.Join(tt.path, " "), func(t *testing.T) {
			t.Parallel()
			want := append(slices.Clone(tt.flags), "help")
			slices.Sort(want)

			code, help, errOut := vigie(t, "", append(tt.path, "--help")...)
			if code != 0 || errOut != "" {
				t.Fatalf("--help: exit %d, stderr %q", code, errOut)
			}
			if !strings.HasPrefix(help, "Usage: vigie "+strings.Join(tt.path, " ")) {
				t.Errorf("--help does not start with its usage line:\n%s", help)
			}
			_, flagsPart, _ := strings.Cut(help, "\nFlags:\n")
			var got []string
			for _, m := range longFlag.FindAllStringSubmatch(flagsPart, -1) {
				got = append(got, m[1])
			}
			slices.Sort(got)
			got = slices.Compact(got)
			if !slices.Equal(got, want) {
				t.Errorf("--help lists the flags %v, want %v:\n%s", got, want, help)
			}
			if code, viaHelp, _ := vigie(t, "", append([]string{"help"}, tt.path...)...); code != 0 || viaHelp != help {
				t.Errorf("vigie help %s: exit %d, and not the text of --help:\n%s", strings.Join(tt.path, " "), code, viaHelp)
			}

			// The usage line names every flag but the common ones, and
			// only flags the command has.
			cmd, _, err := root.Find(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			var named []string
			for _, m := range longFlag.FindAllStringSubmatch(cmd.Use, -1) {
				named = append(named, m[1])
			}
			for _, f := range tt.flags {
				if !strings.HasPrefix(f, "log-") && !slices.Contains(named, f) {
					t.Errorf("the usage line %q does not name --%s", cmd.Use, f)
				}
			}
			for _, f := range named {
				if !slices.Contains(tt.flags, f) {
					t.Errorf("the usage line %q names --%s, which the command does not have", cmd.Use, f)
				}
			}

			// Every flag of the other commands is refused.
			for _, other := range every {
				if slices.Contains(tt.flags, other) {
					continue
				}
				code, _, errOut := vigie(t, "", append(slices.Clone(tt.path), "--"+other)...)
				if code != 2 || !strings.Contains(errOut, "unknown flag: --"+other) || !strings.Contains(errOut, "vigie "+strings.Join(tt.path, " ")+" --help") {
					t.Errorf("--%s: exit %d, stderr %q; want 2, the unknown flag and where help is", other, code, errOut)
				}
			}
		})
	}
}

// TestHelpAndVersion: the ways of asking for the list of commands and the
// version, and what a command line that is no command gets.
func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	_, list, _ := vigie(t, "", "help")
	tests := []struct {
		name       string
		args       []string
		code       int
		out, error string // what stdout is, what stderr contains
	}{
		{"help", []string{"help"}, 0, list, ""},
		{"--help", []string{"--help"}, 0, list, ""},
		{"-h", []string{"-h"}, 0, list, ""},
		{"nothing", nil, 2, "", "Usage:\n  vigie run"},
		{"version", []string{"version"}, 0, "vigie ", ""},
		{"--version", []string{"--version"}, 0, "vigie ", ""},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"help of no command", []string{"help", "frobnicate"}, 2, "", `no command "frobnicate"`},
		{"a flag of no command", []string{"--config", "x"}, 2, "", "unknown flag: --config"},
		{"a single dash long flag", []string{"check", "-config", "feeds.yaml"}, 2, "", "unknown shorthand flag: 'c' in -config"},
		{"extra argument", []string{"check", "feeds.yaml"}, 2, "", `vigie check: takes no argument, not "feeds.yaml"`},
		{"completion of no shell", []string{"completion", "tcsh"}, 2, "", "want one shell: bash, zsh, fish"},
		{"a group's help", []string{"failures", "--help"}, 0, "Usage: vigie failures list|resend|purge ...", ""},
		{"a group's help by help", []string{"help", "feeds"}, 0, "Usage: vigie feeds import|export|add ...", ""},
		{"a group without its command", []string{"feeds"}, 2, "", `vigie feeds: want import, export or add, not ""`},
		{"a command's extra argument", []string{"feeds", "export", "x.opml"}, 2, "", "vigie feeds export: takes no argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := vigie(t, "", tt.args...)
			if code != tt.code || !strings.HasPrefix(out, tt.out) || !strings.Contains(errOut, tt.error) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, tt.code, tt.out, tt.error)
			}
		})
	}
	if !strings.Contains(list, "vigie failures resend [--config F]") || !strings.Contains(list, "vigie completion bash|zsh|fish") {
		t.Errorf("vigie help lacks commands:\n%s", list)
	}
	// The flags may also follow the arguments, or be ended by --.
	dir := t.TempDir()
	doc := filepath.Join(dir, "article.txt")
	os.WriteFile(doc, []byte("Cyber norms at the UN\nThe OEWG met in New York.\n"), 0o644)
	cfg := filepath.Join(dir, "none.yaml")
	for _, args := range [][]string{
		{"classify", "--config", cfg, doc},
		{"classify", doc, "--config=" + cfg},
		{"classify", "--config", cfg, "--", doc},
	} {
		if code, out, errOut := vigie(t, "", args...); code != 0 || !strings.Contains(out, "article.txt: language en") {
			t.Errorf("%q: exit %d\n%s%s", args, code, out, errOut)
		}
	}
}

// TestCompletion: vigie completion writes a script for each shell that the
// shell accepts, and the completions it asks vigie for come from the
// command tree: the commands, a group's commands, a command's own flags.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			t.Parallel()
			code, script, errOut := vigie(t, "", "completion", shell)
			if code != 0 || !strings.Contains(script, "vigie") || !strings.Contains(script, "__complete") {
				t.Fatalf("exit %d, stderr %q, script:\n%.300s", code, errOut, script)
			}
			bin, err := exec.LookPath(shell)
			if err != nil {
				return // the shell is not installed: the script is checked by the completions below
			}
			path := writeFile(t, "vigie."+shell, script)
			if out, err := exec.Command(bin, "-n", path).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", shell, err, out)
			}
		})
	}
	tests := []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{[]string{""}, []string{"run", "check", "once", "classify", "eval", "replay", "notify", "failures", "feeds", "status", "stories", "tail", "version", "completion", "help"}, nil},
		{[]string{"failures", ""}, []string{"list", "resend", "purge"}, []string{"run"}},
		{[]string{"feeds", ""}, []string{"import", "export", "add"}, nil},
		{[]string{"check", "--"}, []string{"--config"}, []string{"--publish", "--log-level"}},
		{[]string{"replay", "--"}, []string{"--config", "--since", "--publish", "--json", "--log-level"}, []string{"--jsonl"}},
		{[]string{"run", "--log-format", ""}, []string{"text", "json", "auto"}, nil},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish"}, nil},
	}
	// File names are offered where a command takes files, and nowhere else.
	for _, args := range [][]string{{"classify", ""}, {"eval", ""}, {"feeds", "import", ""}} {
		if _, out, _ := vigie(t, "", append([]string{"__complete"}, args...)...); !strings.Contains(out, "\n:0\n") && !strings.HasPrefix(out, ":0\n") {
			t.Errorf("__complete %q: %q, want file names (directive 0)", args, out)
		}
	}
	if _, out, _ := vigie(t, "", "__complete", "run", "--config", ""); out != "yaml\nyml\n:8\n" {
		t.Errorf("__complete run --config: %q, want the YAML files (directive 8)", out)
	}
	for _, args := range [][]string{{"check", ""}, {"tail", ""}, {"failures", "list", ""}, {"feeds", "add", ""}} {
		if _, out, _ := vigie(t, "", append([]string{"__complete"}, args...)...); !strings.Contains(out, ":4\n") {
			t.Errorf("__complete %q: %q, want no file names (directive 4)", args, out)
		}
	}
	for _, tt := range tests {
		code, out, errOut := vigie(t, "", append([]string{"__complete"}, tt.args...)...)
		var got []string
		for _, l := range strings.Split(out, "\n") {
			if word, _, _ := strings.Cut(l, "\t"); word != "" && !strings.HasPrefix(word, ":") {
				got = append(got, word)
			}
		}
		if code != 0 {
			t.Errorf("__complete %q: exit %d, %s", tt.args, code, errOut)
		}
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("__complete %q: %v lacks %s", tt.args, got, w)
			}
		}
		for _, w := range tt.notWant {
			if slices.Contains(got, w) {
				t.Errorf("__complete %q: %v has %s", tt.args, got, w)
			}
		}
	}
}

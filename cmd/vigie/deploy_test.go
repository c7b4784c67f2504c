package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDeployCommandLines: the vigie command lines of deploy/ (the systemd
// unit, the image, Kubernetes, compose) name a command and flags it has:
// each one, with --help added, shows the command's help instead of a usage
// error.
func TestDeployCommandLines(t *testing.T) {
	t.Parallel()
	deploy := filepath.Join("..", "..", "deploy")
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(deploy, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	var lines [][]string
	for _, m := range regexp.MustCompile(`(?m)^ExecStart\w*=\S*/vigie (.+)$`).FindAllStringSubmatch(read("systemd/vigie.service"), -1) {
		lines = append(lines, strings.Fields(m[1]))
	}
	// The JSON arrays given to the image's entrypoint, /usr/local/bin/vigie.
	arrays := []struct{ file, pattern string }{
		{"docker/Dockerfile", `(?m)^CMD (\[.*\])$`},
		{"kubernetes/vigie.yaml", `(?m)^\s+args: (\[.*\])$`},
		{"compose/compose.yaml", `(?m)^\s+command: (\["run".*\])$`},
	}
	for _, a := range arrays {
		found := regexp.MustCompile(a.pattern).FindAllStringSubmatch(read(a.file), -1)
		if len(found) == 0 {
			t.Errorf("%s: no vigie command line found", a.file)
		}
		for _, m := range found {
			var args []string
			if err := json.Unmarshal([]byte(m[1]), &args); err != nil {
				t.Errorf("%s: %s: %v", a.file, m[1], err)
				continue
			}
			lines = append(lines, args)
		}
	}
	if len(lines) < 5 {
		t.Fatalf("%d vigie command lines found in deploy/, want the unit's two, the image's, Kubernetes' and compose's", len(lines))
	}
	for _, args := range lines {
		code, out, errOut := vigie(t, "", append(args, "--help")...)
		if code != 0 || !strings.HasPrefix(out, "Usage: vigie "+args[0]) {
			t.Errorf("vigie %s: exit %d, %s", strings.Join(args, " "), code, errOut)
		}
	}
}

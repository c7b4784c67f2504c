package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmbeddedNATSBeyondLoopback: an embedded server that would listen
// beyond loopback without asking clients who they are is refused by check
// and run alike, with exit 2 and the options to set, at the line of
// nats.listen; with a token file it passes check.
func TestEmbeddedNATSBeyondLoopback(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "feeds.yaml", "nats:\n  listen: 0.0.0.0:4222\nhttp:\n  listen: \"\"\nfeeds:\n  - id: a\n    url: https://a.example/\n")
	for _, cmd := range []string{"check", "run"} {
		code, _, errOut := vigie(t, "", cmd, "--config", path)
		want := path + `:2: nats.listen: "0.0.0.0:4222" is not a loopback address`
		if code != 2 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "nats.token_file, nats.user with nats.password_file, or nats.nkey_file") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q naming the options", cmd, code, errOut, want)
		}
	}

	dir := filepath.Dir(path)
	if err := os.WriteFile(filepath.Join(dir, "nats-token"), []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("nats:\n  listen: 0.0.0.0:4222\n  token_file: nats-token\nhttp:\n  listen: \"\"\nfeeds:\n  - id: a\n    url: https://a.example/\n"), 0o644)
	if code, out, errOut := vigie(t, "", "check", "--config", path); code != 0 {
		t.Errorf("check with a token file: exit %d\n%s%s", code, out, errOut)
	}
	os.Remove(filepath.Join(dir, "nats-token"))
	code, _, errOut := vigie(t, "", "check", "--config", path)
	if code != 2 || !strings.Contains(errOut, path+":3: nats.token_file: open ") {
		t.Errorf("check with a missing token file: exit %d, stderr %q", code, errOut)
	}
}

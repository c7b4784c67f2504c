package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// freeAddr is a loopback address that nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// With no daemon running, vigie status opens the store under data_dir and
// lists every configured feed; --json gives the fields of /api/feeds.
func TestStatusWithoutDaemon(t *testing.T) {
	// Not in parallel: the command opens and closes the store's lock
	// file (flock) twice, and a process that the parallel tests start
	// (the notifier of TestStoriesThroughSIGKILL) holds a copy of every
	// descriptor from its fork to its exec, lock included.
	dir := t.TempDir()
	cfg := filepath.Join(dir, "feeds.yaml")
	os.WriteFile(cfg, []byte("nats: {listen: "+freeAddr(t)+"}\ndata_dir: data\nfeeds:\n  - {id: first, url: https://a.example/rss}\n  - {id: second, url: \"https://b.example/rss?key=s3cret\"}\n"), 0o644)
	code, out, errOut := vigie(t, "", "status", "--config", cfg, "--log-level", "error")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "FEED ") || !strings.HasPrefix(lines[1], "first ") ||
		!strings.Contains(lines[2], "not read") || lines[3] != "2 feeds: 2 not read" {
		t.Errorf("table:\n%s", out)
	}

	code, out, errOut = vigie(t, "", "status", "--json", "--config", cfg, "--log-level", "error")
	if code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	var doc struct {
		Feeds []map[string]any `json:"feeds"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Feeds) != 2 {
		t.Fatalf("--json output %q: %v", out, err)
	}
	f := doc.Feeds[1]
	if f["id"] != "second" || f["state"] != "not_read" || f["url"] != "https://b.example/rss?redacted" || f["last_fetch"] != nil || f["items_24h"] != 0.0 {
		t.Errorf("second feed = %v", f)
	}
	if strings.Contains(out, "s3cret") {
		t.Error("the feed URL's query is shown")
	}
}

// A listener beyond loopback without http.token_file, or with a token file
// that cannot be read, is a configuration error for check and run, with
// file and line, naming token_file; the token never shows.
func TestTokenFileChecked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	short := filepath.Join(dir, "short-token")
	os.WriteFile(short, []byte("tooShort42\n"), 0o600)
	tests := []struct {
		name, http, want string
	}{
		{"no token file", "http:\n  listen: 0.0.0.0:0\n", ":6: http.listen: \"0.0.0.0:0\" is not a loopback address: set http.token_file"},
		{"absent token file", "http:\n  listen: 0.0.0.0:0\n  token_file: nowhere\n", ":7: http.token_file: open " + filepath.Join(dir, "nowhere")},
		{"short token", "http:\n  listen: 0.0.0.0:0\n  token_file: short-token\n", ":7: http.token_file: the token in " + short + " is shorter than 16 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(dir, "feeds.yaml")
			os.WriteFile(cfg, []byte("data_dir: data\nfeeds:\n  - {id: a, url: https://a.example/rss}\n\n"+tt.http), 0o644)
			for _, args := range [][]string{{"check"}, {"run", "--log-level", "error"}} {
				cmd := args[0]
				code, _, errOut := vigie(t, "", append(args, "--config", cfg)...)
				if code != 2 || !strings.Contains(errOut, cfg+tt.want) {
					t.Errorf("%s: exit %d, stderr %q; want 2 and %q", cmd, code, errOut, cfg+tt.want)
				}
				if strings.Contains(errOut, "tooShort42") {
					t.Errorf("%s shows the token: %q", cmd, errOut)
				}
			}
		})
	}
}

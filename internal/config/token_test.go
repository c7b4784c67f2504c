package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-news/vigie/internal/diag"
)

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9464": true, "127.8.0.1:9464": true, "[::1]:9464": true, "localhost:9464": true, "LocalHost:1": true,
		"0.0.0.0:9464": false, ":9464": false, "[::]:9464": false, "10.0.0.5:9464": false, "vigie.example:9464": false, "bad": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// A listen address beyond loopback needs http.token_file, reported at the
// line of http.listen.
func TestTokenFileRequired(t *testing.T) {
	tests := []struct {
		name, http, wantErr string
	}{
		{"loopback without token", "http: {listen: 127.0.0.1:9464}", ""},
		{"default listen", "", ""},
		{"disabled", `http: {listen: ""}`, ""},
		{"every interface without token", "http:\n  listen: 0.0.0.0:9464", "feeds.yaml:4: http.listen: \"0.0.0.0:9464\" is not a loopback address: set http.token_file"},
		{"empty host without token", "http: {listen: \":9464\"}", "feeds.yaml:3: http.listen: \":9464\" is not a loopback address: set http.token_file"},
		{"every interface with token", "http: {listen: 0.0.0.0:9464, token_file: token}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := "feeds:\n  - {id: a, url: https://a.example/rss}\n" + tt.http + "\n"
			_, err := Parse("feeds.yaml", []byte(data), func(string) (string, bool) { return "", false })
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one starting %q", err, tt.wantErr)
			}
		})
	}
}

func TestHTTPToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const secret = "s3cr3t-t0ken-0123456789abcdef"
	write("good", secret+"\n")
	write("empty", " \n")
	write("short", "abc123\n")
	write("two", "one two-words-here-long-enough\n")
	tests := []struct {
		file, want, wantErr string
	}{
		{"", "", ""},
		{"good", secret, ""},
		{filepath.Join(dir, "good"), secret, ""},
		{"missing", "", "feeds.yaml:5: http.token_file: open "},
		{"empty", "", "feeds.yaml:5: http.token_file: " + filepath.Join(dir, "empty") + " is empty"},
		{"short", "", "shorter than 16 characters"},
		{"two", "", "more than one word"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := "feeds:\n  - {id: a, url: https://a.example/rss}\nhttp:\n  listen: 0.0.0.0:9464\n  token_file: \"" + tt.file + "\"\n"
			if tt.file == "" {
				data = "feeds:\n  - {id: a, url: https://a.example/rss}\n"
			}
			cfg, err := Parse(filepath.Join(dir, "feeds.yaml"), []byte(data), func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			cfg.Path = "feeds.yaml" // shorter messages; paths were resolved from dir
			if tt.file != "" && !filepath.IsAbs(tt.file) {
				cfg.HTTP.TokenFile = filepath.Join(dir, tt.file)
			}
			got, err := cfg.HTTPToken()
			if got != tt.want {
				t.Errorf("token %q, want %q", got, tt.want)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
				return
			}
			var list diag.List
			if !errors.As(err, &list) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want a diag.List with %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "abc123") {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}

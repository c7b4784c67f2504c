package config

import (
	"strings"
	"testing"
)

// TestSafeLimits: settings that hurt a source's owner or the user are
// refused with their line and a reason; what is within the limits passes.
func TestSafeLimits(t *testing.T) {
	const goodSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // 24 bytes
	route := func(extra string) string {
		return "feeds:\n  - id: a\n    url: https://a.example/\nnotify:\n  - name: siem\n    type: webhook\n    url: https://hooks.example/x\n" + extra
	}
	tests := []struct {
		name, yaml string
		want       string // a problem starting so; "" for none
	}{
		// Schedules.
		{"every 30 seconds", "feeds:\n  - id: a\n    url: https://a.example/\n    schedule: \"@every 30s\"\n",
			`f.yaml:4: feeds[0].schedule: "@every 30s" fetches every 30s, more often than once a minute: a source's server is not to be read that often; for a source of your own, set allow_fast: true on the feed`},
		{"every 59 seconds", "feeds:\n  - id: a\n    url: https://a.example/\n    schedule: \"@every 59s\"\n", `f.yaml:4: feeds[0].schedule: "@every 59s" fetches every 59s`},
		{"every second, own source", "feeds:\n  - id: a\n    url: http://127.0.0.1:8080/rss\n    schedule: \"@every 1s\"\n    allow_fast: true\n", ""},
		{"every minute", "feeds:\n  - id: a\n    url: https://a.example/\n    schedule: \"@every 1m\"\n", ""},
		{"every minute, cron", "feeds:\n  - id: a\n    url: https://a.example/\n    schedule: \"* * * * *\"\n", ""},
		{"a fast default", "defaults:\n  schedule: \"@every 10s\"\nfeeds:\n  - id: a\n    url: https://a.example/\n  - id: b\n    url: https://b.example/\n",
			`f.yaml:2: defaults.schedule (the schedule of feeds[0]): "@every 10s" fetches every 10s`},
		{"a fast default, every feed allowed", "defaults:\n  schedule: \"@every 10s\"\nfeeds:\n  - id: a\n    url: https://a.example/\n    allow_fast: true\n", ""},
		{"a fast default, a slow feed", "defaults:\n  schedule: \"@every 10s\"\nfeeds:\n  - id: a\n    url: https://a.example/\n    schedule: \"@hourly\"\n", ""},
		{"allow_fast is a boolean", "feeds:\n  - id: a\n    url: https://a.example/\n    allow_fast: sometimes\n", `f.yaml:4: cannot unmarshal`},
		// min_score.
		{"negative min_score", route("    match: {min_score: -1}\n"),
			`f.yaml:8: notify[0].match.min_score: -1 is negative: scores are 0 or more`},
		{"negative min_score, block", route("    match:\n      min_score: -0.5\n"), `f.yaml:9: notify[0].match.min_score: -0.5 is negative`},
		{"zero min_score", route("    match: {min_score: 0}\n"), ""},
		{"positive min_score", route("    match: {min_score: 4.5}\n"), ""},
		// Webhook secrets.
		{"valid secret", route("    secret: " + goodSecret + "\n"), ""},
		{"valid secret, raw base64", route("    secret: whsec_" + strings.Repeat("QUFB", 10) + "QUE\n"), ""},
		{"no prefix", route("    secret: MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"),
			`f.yaml:8: notify[0].secret: not a Standard Webhooks secret: want whsec_ followed by the base64 of 24 to 64 random bytes`},
		{"not base64", route("    secret: whsec_not*base64!SECRETVALUE\n"), `f.yaml:8: notify[0].secret: not a Standard Webhooks secret`},
		{"empty key", route("    secret: whsec_\n"), `f.yaml:8: notify[0].secret: not a Standard Webhooks secret`},
		{"key too short", route("    secret: whsec_dGVzdA==\n"), `f.yaml:8: notify[0].secret: not a Standard Webhooks secret`},
		{"key too long", route("    secret: whsec_" + strings.Repeat("QUFB", 22) + "\n"), `f.yaml:8: notify[0].secret: not a Standard Webhooks secret`},
		// Empty files.
		{"empty file", "", `f.yaml: the file is empty: a configuration needs at least a feeds list`},
		{"blank lines", "\n  \n\n", `f.yaml: the file is empty`},
		{"comments only", "# feeds to come\n# nats: {}\n", `f.yaml: the file is empty`},
		{"an empty document", "---\n", `f.yaml:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.yaml), noEnv)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !hasProblem(err, tt.want)):
				t.Errorf("error %v, want one starting %q", err, tt.want)
			case err != nil && (strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "SECRETVALUE") || strings.Contains(err.Error(), "MfKQ9r8G")):
				t.Errorf("the error says EOF or shows a secret: %v", err)
			}
		})
	}
}

package main

import (
	"strings"
	"testing"
)

// TestCheckRefusesUnsafeLimits: vigie check refuses each setting that
// hurts others or the user, with exit 2, the file and line, and the reason;
// the same setting made safe passes.
func TestCheckRefusesUnsafeLimits(t *testing.T) {
	const feed = "feeds:\n  - id: a\n    url: https://a.example/rss\n"
	const route = "notify:\n  - name: siem\n    type: webhook\n    url: https://hooks.example/in\n"
	for _, tt := range []struct {
		name, bad, good, want string
	}{
		{"a schedule under a minute",
			feed + "    schedule: \"@every 20s\"\n",
			feed + "    schedule: \"@every 20s\"\n    allow_fast: true\n",
			`feeds.yaml:4: feeds[0].schedule: "@every 20s" fetches every 20s, more often than once a minute`},
		{"a negative min_score",
			feed + route + "    match: {min_score: -2}\n",
			feed + route + "    match: {min_score: 2}\n",
			`feeds.yaml:8: notify[0].match.min_score: -2 is negative`},
		{"a webhook secret that is not Standard Webhooks base64",
			feed + route + "    secret: whsec_plain-text-secret!\n",
			feed + route + "    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
			`feeds.yaml:8: notify[0].secret: not a Standard Webhooks secret`},
		{"an empty file", "\n", feed, `feeds.yaml: the file is empty: a configuration needs at least a feeds list`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "feeds.yaml", tt.bad)
			code, _, errOut := vigie(t, "", "check", "--config", path)
			if code != 2 || !strings.Contains(errOut, strings.Replace(tt.want, "feeds.yaml", path, 1)) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tt.want)
			}
			if strings.Contains(errOut, "plain-text-secret") {
				t.Errorf("the secret is in the message: %q", errOut)
			}
			path = writeFile(t, "feeds.yaml", tt.good)
			if code, _, errOut := vigie(t, "", "check", "--config", path); code != 0 {
				t.Errorf("made safe: exit %d, stderr %q", code, errOut)
			}
		})
	}
}

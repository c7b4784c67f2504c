package redact

import "testing"

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://example.org/feed":                "https://example.org/feed",
		"https://example.org/feed?token=s3cr3t":   "https://example.org/feed?redacted",
		"nats://user:s3cr3t@nats.example:4222":    "nats://redacted@nats.example:4222",
		"https://u:p@example.org/rss?key=1#frag":  "https://redacted@example.org/rss?redacted",
		"http://[::1:bad":                         "(unparsable URL)",
		"nats://a:s3cr3t@h:1,nats://b:s3cr3t@h:2": "nats://redacted@h:1,nats://redacted@h:2",
		"nats://alice:pw@a:4222,tls://b:4222":     "nats://redacted@a:4222,tls://b:4222",
		"https://example.org/feed?tags=a,b":       "https://example.org/feed?redacted",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHost(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"slack path", "https://hooks.slack.com/services/T000/B000/XXXXSECRET", "https://hooks.slack.com/<redacted>"},
		{"query token", "https://siem.example?token=abc", "https://siem.example/<redacted>"},
		{"user info", "https://user:pw@siem.example", "https://siem.example/<redacted>"},
		{"host only", "https://siem.example", "https://siem.example"},
		{"root path", "https://siem.example/", "https://siem.example"},
		{"unparseable", "://x y", "<redacted>"},
		{"no host", "hooks/secret", "<redacted>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Host(tt.in); got != tt.want {
				t.Errorf("Host(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	hook := "https://hooks.slack.com/services/T000/B000/XXXXSECRET?token=abc123"
	tests := []struct {
		name, in string
		secrets  []string
		want     string
	}{
		{"token", `Post "https://slack.com/api/chat.postMessage": token xoxb-1234 refused`, []string{"xoxb-1234"}, `Post "https://slack.com/api/chat.postMessage": token <redacted> refused`},
		{"url's path and query", "dial hooks.slack.com/services/T000/B000/XXXXSECRET?token=abc123: refused", []string{hook}, "dial hooks.slack.com/<redacted>?<redacted>: refused"},
		{"short secret left alone", "a bad answer", []string{"bad"}, "a bad answer"},
		{"none", "plain", nil, "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Secrets(tt.in, tt.secrets...); got != tt.want {
				t.Errorf("Secrets(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

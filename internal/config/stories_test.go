package config

import (
	"strings"
	"testing"
	"time"
)

func TestStoriesAndRoutesPerStory(t *testing.T) {
	const feeds = "feeds:\n  - id: a\n    url: https://a.example/\n"
	c, err := Parse("f.yaml", []byte(feeds+`notify:
  - name: desk
    type: slack
    url: https://hooks.slack.com/services/T/B/X
  - name: siem
    type: webhook
    url: https://siem.example/hook
    per: item
  - name: bot
    type: slack
    token: xoxb-123-456
    channel: C0123456789
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Stories.Window != DefaultStoryWindow {
		t.Errorf("stories.window = %v, want %v", c.Stories.Window, DefaultStoryWindow)
	}
	if got := c.Notify[0].Per + " " + c.Notify[1].Per + " " + c.Notify[2].Per; got != "story item story" {
		t.Errorf("per = %q, want story (the default), item, story", got)
	}
	c, err = Parse("f.yaml", []byte(feeds+"stories:\n  window: 24h\n"), noEnv)
	if err != nil || c.Stories.Window != 24*time.Hour {
		t.Errorf("stories.window: 24h gives %v, %v", c.Stories, err)
	}
}

func TestStoriesProblems(t *testing.T) {
	const feeds = "feeds:\n  - id: a\n    url: https://a.example/\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"window too short", "stories:\n  window: 10m\n", "f.yaml:5: stories.window: 10m0s is not between 1h and 720h"},
		{"per", "notify:\n  - name: r\n    type: webhook\n    url: https://r.example/\n    per: event\n", `f.yaml:8: notify[0].per: "event" is not story or item`},
		{"token without channel", "notify:\n  - name: r\n    type: slack\n    token: xoxb-1\n", "f.yaml:7: notify[0]: a bot token needs the channel"},
		{"channel without token", "notify:\n  - name: r\n    type: slack\n    url: https://hooks.slack.com/x\n    channel: C1\n", "f.yaml:8: notify[0]: channel needs a bot token"},
		{"token on a webhook", "notify:\n  - name: r\n    type: webhook\n    url: https://r.example/\n    token: xoxb-1\n    channel: C1\n", "f.yaml:8: notify[0]: token and channel are for slack routes"},
		{"not a slack token", "notify:\n  - name: r\n    type: slack\n    token: secret-value\n    channel: C1\n", "f.yaml:7: notify[0].token: not a Slack token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(feeds+tt.yaml), noEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one holding %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret-value") {
				t.Errorf("the token is echoed: %v", err)
			}
		})
	}
}

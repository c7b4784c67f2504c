package config

import (
	"strings"
	"testing"
	"time"
)

func TestMaxAge(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []time.Duration // each feed's MaxAgeOf(false)
		sitemap    time.Duration   // the first feed's MaxAgeOf(true)
		problem    string          // a problem starting so; "" for none
	}{
		{name: "unset", yaml: "feeds:\n  - id: a\n    url: https://a.example/\n",
			want: []time.Duration{DefaultMaxAge}, sitemap: DefaultSitemapMaxAge},
		{name: "default and per feed", yaml: "defaults:\n  max_age: 72h\nfeeds:\n  - id: a\n    url: https://a.example/\n  - id: b\n    url: https://b.example/\n    max_age: 24h\n",
			want: []time.Duration{72 * time.Hour, 24 * time.Hour}, sitemap: 72 * time.Hour},
		{name: "per feed, sitemap keeps its own", yaml: "feeds:\n  - id: a\n    url: https://a.example/\n    max_age: 240h\n",
			want: []time.Duration{240 * time.Hour}, sitemap: 240 * time.Hour},
		{name: "as long as the seen set", yaml: "feeds:\n  - id: a\n    url: https://a.example/\n    max_age: 2160h\n",
			want: []time.Duration{SeenRetention}, sitemap: SeenRetention},
		{name: "longer than the seen set", yaml: "feeds:\n  - id: a\n    url: https://a.example/\n    max_age: 2161h\n",
			problem: `f.yaml:4: feeds[0].max_age: 2161h0m0s is longer than the 90 days the seen set keeps`},
		{name: "default longer than the seen set", yaml: "defaults:\n  max_age: 4000h\nfeeds:\n  - id: a\n    url: https://a.example/\n",
			problem: `f.yaml:2: defaults.max_age: 4000h0m0s is longer than the 90 days`},
		{name: "negative", yaml: "feeds:\n  - id: a\n    url: https://a.example/\n    max_age: -1h\n",
			problem: `f.yaml:4: feeds[0].max_age: -1h0m0s is negative`},
		{name: "not a duration", yaml: "feeds:\n  - id: a\n    url: https://a.example/\n    max_age: 3 days\n",
			problem: `f.yaml:4: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("f.yaml", []byte(tt.yaml), noEnv)
			if tt.problem != "" {
				if err == nil {
					t.Fatalf("accepted; want a problem %q", tt.problem)
				}
				for _, line := range strings.Split(err.Error(), "\n") {
					if strings.HasPrefix(line, tt.problem) {
						return
					}
				}
				t.Fatalf("problems:\n%v\nwant one starting %q", err, tt.problem)
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tt.want {
				if got := c.Feeds[i].MaxAgeOf(false); got != w {
					t.Errorf("feeds[%d] max age = %s, want %s", i, got, w)
				}
			}
			if got := c.Feeds[0].MaxAgeOf(true); got != tt.sitemap {
				t.Errorf("feeds[0] max age as a sitemap = %s, want %s", got, tt.sitemap)
			}
		})
	}
}

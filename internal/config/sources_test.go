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

func TestListingSelectors(t *testing.T) {
	feed := "feeds:\n  - id: icann\n    url: https://www.icann.org/en/announcements\n    html:\n"
	tests := []struct {
		name, html string
		problems   []string // each must be a line of the error; none: valid
	}{
		{name: "valid", html: "      item: div.story\n      title: h3 a\n      link: h3 a\n      date: time\n      summary: p.standfirst\n"},
		{name: "required only", html: "      item: li.news-item\n      title: .title\n      link: a\n"},
		{name: "invalid selectors", html: "      item: div[class=\n      title: h3 >> a\n      link: a\n      date: ':nth-child(x)'\n",
			problems: []string{
				`f.yaml:5: feeds[0].html.item: "div[class=" is not a valid CSS selector`,
				`f.yaml:6: feeds[0].html.title: "h3 >> a" is not a valid CSS selector`,
				`f.yaml:8: feeds[0].html.date: ":nth-child(x)" is not a valid CSS selector`,
			}},
		{name: "missing item, title and link", html: "      date: time\n",
			problems: []string{
				`f.yaml:5: feeds[0].html.item: required: the CSS selector of one element per story`,
				`f.yaml:5: feeds[0].html.title: required`,
				`f.yaml:5: feeds[0].html.link: required`,
			}},
		{name: "unknown key", html: "      item: div\n      title: h3\n      link: a\n      author: .by\n",
			problems: []string{`f.yaml:8: feeds[0].html: unknown key "author"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("f.yaml", []byte(feed+tt.html), noEnv)
			if len(tt.problems) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.Feeds[0].HTML == nil || c.Feeds[0].HTML.Item == "" {
					t.Errorf("html block not read: %+v", c.Feeds[0].HTML)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			lines := strings.Split(err.Error(), "\n")
			for _, want := range tt.problems {
				found := false
				for _, l := range lines {
					found = found || strings.HasPrefix(l, want)
				}
				if !found {
					t.Errorf("no problem starts %q in:\n%v", want, err)
				}
			}
		})
	}
}

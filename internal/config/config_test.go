package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-news/vigie/internal/diag"
)

func noEnv(string) (string, bool) { return "", false }

func TestParseDefaults(t *testing.T) {
	c, err := Parse("/etc/vigie/feeds.yaml", []byte("feeds:\n  - id: a\n    url: https://example.org/feed\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.NATS.Listen != DefaultListen || c.NATS.SubjectPrefix != "news" || c.NATS.URL != "" {
		t.Errorf("nats defaults = %+v", c.NATS)
	}
	if c.DataDir != "/etc/vigie/data" {
		t.Errorf("data_dir = %q, want it relative to the config file", c.DataDir)
	}
	if got := strings.Join(c.Languages, " "); got != "en fr es ru zh ar vi ja de pt" {
		t.Errorf("languages = %q", got)
	}
	if c.Feeds[0].Schedule != DefaultSchedule || c.Feeds[0].Line != 2 {
		t.Errorf("feed = %+v", c.Feeds[0])
	}
	if len(c.Classifiers) != 1 || c.Classifiers[0] != "cyber-diplomacy" {
		t.Errorf("classifiers = %v", c.Classifiers)
	}
	if c.HTTP.Listen != DefaultHTTPListen {
		t.Errorf("http.listen = %q", c.HTTP.Listen)
	}
	if c.Feeds[0].FullText != "auto" || c.Defaults.FullText != "auto" {
		t.Errorf("fulltext = %q, defaults.fulltext = %q, want auto", c.Feeds[0].FullText, c.Defaults.FullText)
	}
}

func TestFullTextDefaults(t *testing.T) {
	c, err := Parse("f.yaml", []byte("defaults:\n  fulltext: never\nfeeds:\n  - id: a\n    url: https://a.example/\n  - id: b\n    url: https://b.example/\n    fulltext: always\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := c.Feeds[0].FullText, c.Feeds[1].FullText; a != "never" || b != "always" {
		t.Errorf("fulltext of a feed without its own: %q, with its own: %q; want never and always", a, b)
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each must appear as a line of the error
	}{
		{
			name: "unknown keys at every level",
			yaml: "nats:\n  urll: x\nfeeds:\n  - id: a\n    url: https://a.example/\n    schedul: '@hourly'\nbogus: 1\n",
			want: []string{
				`f.yaml:2: nats: unknown key "urll"`,
				`f.yaml:6: feeds[0]: unknown key "schedul"`,
				`f.yaml:7: unknown key "bogus"`,
			},
		},
		{
			name: "duplicate and malformed ids",
			yaml: "feeds:\n  - id: vna-fr\n    url: https://a.example/\n  - id: vna-fr\n    url: https://b.example/\n  - id: VNA_FR\n    url: https://c.example/\n",
			want: []string{
				`f.yaml:4: feeds[1].id: duplicate feed id "vna-fr" (first at line 2)`,
				`f.yaml:6: feeds[2].id: "VNA_FR" must match [a-z0-9-]+`,
			},
		},
		{
			name: "bad schedule, url and language",
			yaml: "feeds:\n  - id: a\n    url: ftp://a.example/\n    schedule: every day\n    language: xx\n  - id: b\n    url: not a url\n",
			want: []string{
				`f.yaml:3: feeds[0].url: bad URL "ftp://a.example/": scheme must be http or https`,
				`f.yaml:4: feeds[0].schedule: bad schedule "every day"`,
				`f.yaml:5: feeds[0].language: unknown language "xx"`,
				`f.yaml:7: feeds[1].url: bad URL "not a url"`,
			},
		},
		{
			name: "unknown configured language",
			yaml: "languages: [en, klingon]\nfeeds:\n  - id: a\n    url: https://a.example/\n",
			want: []string{`f.yaml:1: languages[1]: unknown language "klingon"`},
		},
		{
			name: "no feeds",
			yaml: "data_dir: /tmp/x\n",
			want: []string{`f.yaml:1: feeds: at least one feed is required`},
		},
		{
			name: "wrong type",
			yaml: "feeds:\n  - id: a\n    url: https://a.example/\n    timeout: soon\n",
			want: []string{`f.yaml:4: cannot unmarshal`},
		},
		{
			name: "negative fetch values",
			yaml: "fetch:\n  workers: -1\n  job_ack_wait: -1s\nfeeds:\n  - id: a\n    url: https://a.example/\n",
			want: []string{
				`f.yaml:2: fetch.workers: must not be negative`,
				`f.yaml:3: fetch.job_ack_wait: must not be negative`,
			},
		},
		{
			name: "bad fulltext modes",
			yaml: "defaults:\n  fulltext: sometimes\nfeeds:\n  - id: a\n    url: https://a.example/\n    fulltext: yes\n  - id: b\n    url: https://b.example/\n",
			want: []string{
				`f.yaml:2: defaults.fulltext: "sometimes" is not auto, always or never`,
				`f.yaml:6: feeds[0].fulltext: "yes" is not auto, always or never`,
			},
		},
		{
			name: "not yaml",
			yaml: "feeds: [\n",
			want: []string{`f.yaml:`},
		},
		{
			name: "unset secret",
			yaml: "feeds:\n  - id: a\n    url: https://a.example/\nnotify:\n  - name: soc\n    type: slack\n    url: ${SLACK_URL}\n",
			want: []string{`f.yaml:7: notify[0].url: environment variable SLACK_URL is not set`},
		},
		{
			name: "route states and orgs that are not keys",
			yaml: "feeds:\n  - id: a\n    url: https://a.example/\nnotify:\n  - name: soc\n    type: slack\n    url: https://hooks.example/\n    match:\n      states: [VN, XY]\n      orgs:\n        - UN\n        - un\n  - name: desk\n    type: slack\n    url: https://hooks.example/\n    match: {states: [jp, France]}\n",
			want: []string{
				`f.yaml:9: notify[0].match.states[1]: "XY" is not an ISO 3166-1 alpha-2 country code`,
				`f.yaml:12: notify[0].match.orgs[1]: "un" is not a body's key`,
				`f.yaml:16: notify[1].match.states[0]: "jp": write the ISO 3166-1 alpha-2 code in upper case, JP`,
				`f.yaml:16: notify[1].match.states[1]: "France" is not an ISO 3166-1 alpha-2 country code`,
			},
		},
		{
			name: "empty entity file path",
			yaml: "feeds:\n  - id: a\n    url: https://a.example/\nentities:\n  - desk.yaml\n  - \"\"\n",
			want: []string{`f.yaml:6: entities[1]: empty path`},
		},
		{
			name: "entities is a list",
			yaml: "feeds:\n  - id: a\n    url: https://a.example/\nentities: {file: desk.yaml}\n",
			want: []string{`f.yaml:4: entities: expected a list, found a mapping`},
		},
		{
			name: "bad route",
			yaml: "feeds:\n  - id: a\n    url: https://a.example/\nnotify:\n  - name: soc\n    type: email\n    url: https://hooks.example/\n    match: {feeds: [b]}\n",
			want: []string{
				`f.yaml:6: notify[0].type: "email" is not slack or webhook`,
				`f.yaml:8: notify[0].match.feeds[0]: no feed with id "b"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.yaml), noEnv)
			var list diag.List
			if !errors.As(err, &list) {
				t.Fatalf("err = %v, want a diag.List", err)
			}
			for _, w := range tt.want {
				found := false
				for _, p := range list {
					if strings.HasPrefix(p.String(), w) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing problem %q in:\n%v", w, err)
				}
			}
		})
	}
}

func TestEnvExpansion(t *testing.T) {
	env := map[string]string{"HOOK": "https://hooks.example/secret-token", "TOKEN": "s3cr3t"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := Parse("f.yaml", []byte(`feeds:
  - id: a
    url: https://a.example/
    headers: {Authorization: "Bearer ${TOKEN}"}
notify:
  - name: siem
    type: webhook
    url: ${HOOK}
`), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if c.Notify[0].URL != env["HOOK"] || c.Feeds[0].Headers["Authorization"] != "Bearer s3cr3t" {
		t.Errorf("not expanded: %+v %+v", c.Notify[0], c.Feeds[0].Headers)
	}
}

func TestSecretNotInProblems(t *testing.T) {
	lookup := func(string) (string, bool) { return "hxxp://hooks.example/T000/very-secret", true }
	_, err := Parse("f.yaml", []byte("feeds:\n  - id: a\n    url: https://a.example/\nnotify:\n  - name: x\n    type: slack\n    url: ${HOOK}\n"), lookup)
	if err == nil {
		t.Fatal("want an error for a non-http route URL")
	}
	if strings.Contains(err.Error(), "very-secret") {
		t.Errorf("the error shows the secret: %v", err)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "feeds.yaml"))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

// TestRepositoryFeeds checks that the feeds.yaml shipped at the root is valid.
func TestRepositoryFeeds(t *testing.T) {
	path := filepath.Join("..", "..", "feeds.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the repository's feeds.yaml: %v", err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Feeds) < 4 {
		t.Errorf("feeds.yaml lists %d feeds, want the four sources at least", len(c.Feeds))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("feeds:\n  - id: a\n    url: https://a.example/\n"))
	f.Add([]byte("nats: {url: 'nats://x:4222'}\nfeeds: [{id: b, url: 'http://b/'}]\nnotify: [{name: n, type: slack, url: '${X}'}]\n"))
	f.Add([]byte("feeds:\n  - [1, 2]\n  - {id: {a: b}}\n"))
	f.Add([]byte("nats:\n  listen: 0.0.0.0:4222\n  token_file: t\n  tls: {ca_file: a, cert_file: b, key_file: c}\nfeeds:\n  - {id: a, url: 'http://a/', schedule: '@every 5s', allow_fast: true}\n"))
	f.Add([]byte("nats: {url: 'tls://n:4222', creds_file: c, user: u}\nfeeds: [{id: a, url: 'http://a/', schedule: '@every 30s'}]\nnotify: [{name: n, type: webhook, url: 'http://h/', secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, match: {min_score: -1}}]\n"))
	f.Add([]byte(""))
	f.Add([]byte("# nothing\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data, noEnv)
		if err == nil && len(c.Feeds) == 0 {
			t.Fatal("a config without feeds was accepted")
		}
		if err == nil {
			// What was accepted is within the limits.
			for _, fd := range c.Feeds {
				if d := ScheduleInterval(fd.Schedule); d < MinInterval && !fd.AllowFast {
					t.Fatalf("feed %s every %s accepted without allow_fast", fd.ID, d)
				}
			}
			for _, r := range c.Notify {
				if r.Match.MinScore < 0 {
					t.Fatalf("route %s: negative min_score accepted", r.Name)
				}
			}
			if c.NATS.URL == "" && !IsLoopback(c.NATS.Listen) && !c.natsAuthenticates() {
				t.Fatalf("embedded server on %q without authentication accepted", c.NATS.Listen)
			}
		}
		var list diag.List
		if err != nil && !errors.As(err, &list) {
			t.Fatalf("error is not a diag.List: %v", err)
		}
	})
}

// A parsed configuration keeps the lines of the keys that later checks
// report on, but not the tree of its feeds, which each have their line.
func TestParseDropsFeedsTree(t *testing.T) {
	src := "feeds:\n  - id: a\n    url: https://example.org/feed\n  - id: b\n    url: https://example.org/b\nentities:\n  - extra.yaml\n"
	c, err := Parse("/etc/vigie/feeds.yaml", []byte(src), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.lines.has("feeds") {
		t.Error("the feeds tree is still kept")
	}
	if got := c.lines.of("entities", 0); got != 7 {
		t.Errorf("line of entities[0] = %d, want 7", got)
	}
	if c.Feeds[0].Line != 2 || c.Feeds[1].Line != 4 {
		t.Errorf("feed lines %d %d, want 2 4", c.Feeds[0].Line, c.Feeds[1].Line)
	}
}

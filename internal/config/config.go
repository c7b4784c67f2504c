// Package config reads and validates feeds.yaml, Vigie's one configuration
// file, reporting every problem as file:line: message.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/lang"
	"github.com/vigie-news/vigie/internal/notify/webhook"
	"github.com/vigie-news/vigie/internal/redact"
)

// Config is a loaded, validated feeds.yaml with defaults applied.
type Config struct {
	// Path is the file the configuration was read from.
	Path        string   `yaml:"-"`
	NATS        NATS     `yaml:"nats"`
	DataDir     string   `yaml:"data_dir"`
	Languages   []string `yaml:"languages"`
	Defaults    Defaults `yaml:"defaults"`
	Feeds       []Feed   `yaml:"feeds"`
	Classifiers []string `yaml:"classifiers"`
	HTTP        HTTP     `yaml:"http"`
	Fetch       Fetch    `yaml:"fetch"`
	Notify      []Route  `yaml:"notify"`
	// Entities are extra entity files (internal/entities/FORMAT.md), read
	// with the built-in ones; paths are relative to the configuration file.
	Entities []string `yaml:"entities"`
	// Stories tunes the grouping of the reports of one event.
	Stories Stories `yaml:"stories"`

	// lines finds where a value is in the file, for problems found after
	// Parse (by LoadEntities).
	lines lineIndex
}

// NATS says which NATS server to use and how subjects are named.
type NATS struct {
	// URL of an existing server or cluster; empty starts the embedded server.
	URL string `yaml:"url"`
	// Listen is the embedded server's client address.
	Listen        string `yaml:"listen"`
	SubjectPrefix string `yaml:"subject_prefix"`
	// Replicas of streams and KV buckets on a cluster (1 on a single server).
	Replicas int `yaml:"replicas"`
	// Name of this instance's connection, as NATS monitoring shows it;
	// default "vigie@<host name>".
	Name string `yaml:"name"`

	// How Vigie proves who it is to NATS (one of them), and what the
	// embedded server asks of its clients: a credentials file (JWT and
	// NKey seed, the operator model; external servers only), an NKey seed
	// file, a file holding a token, or a user with a file holding the
	// password. Paths are relative to the configuration file; see
	// NATSSecrets.
	CredsFile    string `yaml:"creds_file"`
	NKeyFile     string `yaml:"nkey_file"`
	TokenFile    string `yaml:"token_file"`
	User         string `yaml:"user"`
	PasswordFile string `yaml:"password_file"`
	// TLS encrypts the connections; with ca_file, cert_file and key_file
	// both sides check the other's certificate (mutual TLS).
	TLS NATSTLS `yaml:"tls"`
}

// NATSTLS names the PEM files of nats.tls. For a client: the CA that signed
// the server's certificate, and the client's own certificate and key. For
// the embedded server: its certificate and key, and the CA that clients'
// certificates must be signed by (which makes them required).
type NATSTLS struct {
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Defaults apply to every feed that does not set its own value.
type Defaults struct {
	Schedule string `yaml:"schedule"`
	// FullText is the feeds' fulltext mode when they set none (default
	// auto).
	FullText string `yaml:"fulltext"`
	// MaxAge is the feeds' max_age when they set none; 0 leaves each
	// feed its kind's default (see Feed.MaxAge).
	MaxAge time.Duration `yaml:"max_age"`
}

// Feed is one source.
type Feed struct {
	ID       string `yaml:"id"`
	Title    string `yaml:"title"`
	URL      string `yaml:"url"`
	Schedule string `yaml:"schedule"`
	// Language is a hint (a prior for short text), never an override.
	Language string            `yaml:"language"`
	Headers  map[string]string `yaml:"headers"`
	Timeout  time.Duration     `yaml:"timeout"`
	// FullText says when an item's page is read for its text: auto (when
	// the feed's text is short), always or never; see internal/article.
	FullText string `yaml:"fulltext"`
	// MaxAge drops items published longer ago than this: they are neither
	// published nor alerted. 0 (unset here and in defaults) means
	// DefaultMaxAge, or DefaultSitemapMaxAge for a news sitemap.
	MaxAge time.Duration `yaml:"max_age"`
	// HTML, when set, makes the feed a web page listing stories, read
	// with these CSS selectors (see HTML).
	HTML *HTML `yaml:"html"`
	// AllowFast lets the feed's schedule fetch more often than once a
	// minute: for a source the user owns, never for someone else's.
	AllowFast bool `yaml:"allow_fast"`
	// Line is where the feed starts in the file, for messages.
	Line int `yaml:"-"`
}

// HTTP is the operations listener and the status page.
type HTTP struct {
	Listen string `yaml:"listen"`
	// TokenFile holds the bearer token that the status page and /api/ ask
	// for (relative to the configuration file); required when Listen is
	// not a loopback address. See HTTPToken.
	TokenFile string `yaml:"token_file"`
}

// Fetch tunes the HTTP client that reads feeds.
type Fetch struct {
	UserAgent     string        `yaml:"user_agent"`
	Timeout       time.Duration `yaml:"timeout"`
	MaxBodyBytes  int64         `yaml:"max_body_bytes"`
	PerHost       int           `yaml:"per_host"`
	HostGap       time.Duration `yaml:"host_gap"`
	MaxConcurrent int           `yaml:"max_concurrent"`
	Workers       int           `yaml:"workers"`
	// JobAckWait is how long a fetch job may go without news from its
	// worker (a killed instance) before another instance gets it.
	JobAckWait time.Duration `yaml:"job_ack_wait"`
}

// Route is a notification destination and the alerts it wants.
type Route struct {
	Name     string        `yaml:"name"`
	Type     string        `yaml:"type"`
	URL      string        `yaml:"url"`
	Secret   string        `yaml:"secret"`
	Template string        `yaml:"template"`
	Timeout  time.Duration `yaml:"timeout"`
	Digest   time.Duration `yaml:"digest"`
	// Per says whether the route sends a message per story (the first
	// report; later ones update it) or per item, as routes did before
	// stories: PerStory (the default) or PerItem.
	Per string `yaml:"per"`
	// Token is a Slack bot token (xoxb-...): with it and Channel, a slack
	// route posts through Slack's Web API, and updates a story's message
	// in place rather than following it up.
	Token   string `yaml:"token"`
	Channel string `yaml:"channel"`
	// FollowUp spaces the "also reported by" follow-ups of one story on a
	// slack route without a token (default 1h).
	FollowUp time.Duration `yaml:"follow_up"`
	Match    Match         `yaml:"match"`
	Line     int           `yaml:"-"`
}

// Values of Route.Per.
const (
	PerStory = "story"
	PerItem  = "item"
)

// Stories tunes the grouping of reports into stories.
type Stories struct {
	// Window is how far apart the first and last reports of one story
	// may be (default DefaultStoryWindow); stories are kept that long
	// after their last report.
	Window time.Duration `yaml:"window"`
}

// DefaultStoryWindow is the stories' window when the configuration sets
// none.
const DefaultStoryWindow = 72 * time.Hour

// Match selects alerts; an empty list matches everything. An alert matches
// a list when it has one of the values listed (for Topics, States and Orgs:
// when one of its topics, states or bodies is listed), and the match when it
// matches every list given, so that States and Orgs together want an alert
// that names one of the states and one of the bodies.
type Match struct {
	Classifiers []string `yaml:"classifiers"`
	Topics      []string `yaml:"topics"`
	Languages   []string `yaml:"languages"`
	Feeds       []string `yaml:"feeds"`
	MinScore    float64  `yaml:"min_score"`
	// States are ISO 3166-1 alpha-2 codes, Orgs the keys of bodies, as in
	// an alert's entities.
	States []string `yaml:"states"`
	Orgs   []string `yaml:"orgs"`
}

// Defaults for keys left out of feeds.yaml.
const (
	DefaultListen        = "127.0.0.1:4222"
	DefaultSubjectPrefix = "news"
	DefaultDataDir       = "./data"
	DefaultSchedule      = "*/15 * * * *"
	DefaultHTTPListen    = "127.0.0.1:9464"
	DefaultClassifier    = "cyber-diplomacy"
	DefaultFullText      = "auto"
	// DefaultMaxAge is the max_age of a feed that sets none: older items
	// are not news.
	DefaultMaxAge = 60 * 24 * time.Hour
	// DefaultSitemapMaxAge is the max_age of a news sitemap that sets
	// none: such sitemaps list the articles of the last two days.
	DefaultSitemapMaxAge = 72 * time.Hour
	// SeenRetention is how long the seen set keeps an item's id (the
	// vigie_seen bucket's TTL). A max_age longer than this could let an
	// item that left the set be published again, so it is refused.
	SeenRetention = 90 * 24 * time.Hour
)

// ErrNotFound is returned (wrapped) when the configuration file does not exist.
var ErrNotFound = errors.New("configuration file not found")

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9-]+$`)
	subjectToken  = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	envReference  = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	cronParser    = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	routeTypes    = map[string]bool{"slack": true, "webhook": true}
	fullTextModes = map[string]bool{"auto": true, "always": true, "never": true}
	durationType  = reflect.TypeOf(time.Duration(0))
	stringMapType = reflect.TypeOf(map[string]string(nil))
)

// MinInterval is the shortest time between two fetches of a feed that
// does not set allow_fast.
const MinInterval = time.Minute

// ScheduleInterval is the shortest time between two ticks of a schedule:
// the period of an @every schedule, a minute or more for the others (a
// cron spec names minutes); 0 for a schedule that does not parse.
func ScheduleInterval(spec string) time.Duration {
	s, err := ParseSchedule(spec)
	if err != nil {
		return 0
	}
	if every, ok := s.(cron.ConstantDelaySchedule); ok {
		return every.Delay
	}
	return time.Minute
}

// scheduleLine is the line of a feed's schedule, or of the default one
// when the feed has none.
func scheduleLine(lines lineIndex, i int) int {
	if lines.has("feeds", i, "schedule") {
		return lines.of("feeds", i, "schedule")
	}
	if lines.has("defaults", "schedule") {
		return lines.of("defaults", "schedule")
	}
	return lines.of("feeds", i)
}

// scheduleKey names the key that set a feed's schedule.
func scheduleKey(lines lineIndex, i int, where string) string {
	if lines.has("feeds", i, "schedule") {
		return where + ".schedule"
	}
	return "defaults.schedule (the schedule of " + where + ")"
}

// ParseSchedule parses a feed schedule: a five-field cron spec or a
// descriptor such as @every 30m or @hourly.
func ParseSchedule(spec string) (cron.Schedule, error) {
	return cronParser.Parse(spec)
}

// Load reads and validates the file at path. Its error is a diag.List with
// every problem found, or wraps ErrNotFound.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse validates data read from file. lookupEnv resolves ${VAR} references
// in string values.
func Parse(file string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	var problems diag.List
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); errors.Is(err, io.EOF) {
		// Nothing but white space and comments: the decoder's "EOF" would
		// say nothing to a user.
		problems.Addf(file, 0, "the file is empty: a configuration needs at least a feeds list, such as feeds: [{id: my-feed, url: \"https://example.org/rss\"}]")
		return nil, problems
	} else if err != nil {
		problems.Addf(file, yamlErrorLine(err), "%s", yamlErrorMessage(err))
		return nil, problems
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		problems.Addf(file, doc.Line, "expected a mapping with at least a feeds key")
		return nil, problems
	}
	checkKeys(file, doc, reflect.TypeOf(Config{}), "", &problems)
	expandEnv(file, doc, "", lookupEnv, &problems)

	var c Config
	if err := doc.Decode(&c); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				problems.Addf(file, yamlErrorLine(errors.New(msg)), "%s", yamlErrorMessage(errors.New(msg)))
			}
		} else {
			problems.Addf(file, 0, "%v", err)
		}
		return nil, problems
	}
	c.Path = file
	lines := newLineIndex(doc)
	c.lines = lines
	if !lines.has("http", "listen") {
		c.HTTP.Listen = DefaultHTTPListen
	}
	for i := range c.Feeds {
		c.Feeds[i].Line = lines.of("feeds", i)
	}
	for i := range c.Notify {
		c.Notify[i].Line = lines.of("notify", i)
	}
	c.applyDefaults(file)
	c.validate(file, lines, &problems)
	if err := problems.Err(); err != nil {
		return nil, err
	}
	// Each feed has its line already; the problems found later are of
	// other keys, and a tree of thousands of feeds need not live on.
	c.lines = lines.without("feeds")
	return &c, nil
}

func (c *Config) applyDefaults(file string) {
	if c.NATS.Listen == "" {
		c.NATS.Listen = DefaultListen
	}
	if c.NATS.SubjectPrefix == "" {
		c.NATS.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.NATS.Replicas == 0 {
		c.NATS.Replicas = 1
	}
	if c.NATS.Name == "" {
		host, _ := os.Hostname()
		c.NATS.Name = "vigie@" + host
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	// A relative data_dir is relative to the configuration file, so that the
	// daemon finds the same store whatever its working directory.
	if !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(filepath.Dir(file), c.DataDir)
	}
	if len(c.Languages) == 0 {
		c.Languages = append([]string(nil), lang.DefaultLanguages...)
	}
	if c.Defaults.Schedule == "" {
		c.Defaults.Schedule = DefaultSchedule
	}
	if c.Classifiers == nil {
		c.Classifiers = []string{DefaultClassifier}
	}
	if c.Defaults.FullText == "" {
		c.Defaults.FullText = DefaultFullText
	}
	if c.Stories.Window == 0 {
		c.Stories.Window = DefaultStoryWindow
	}
	for i := range c.Notify {
		if c.Notify[i].Per == "" {
			c.Notify[i].Per = PerStory
		}
	}
	for i := range c.Feeds {
		if c.Feeds[i].Schedule == "" {
			c.Feeds[i].Schedule = c.Defaults.Schedule
		}
		if c.Feeds[i].FullText == "" {
			c.Feeds[i].FullText = c.Defaults.FullText
		}
		if c.Feeds[i].MaxAge == 0 {
			c.Feeds[i].MaxAge = c.Defaults.MaxAge
		}
	}
}

func (c *Config) validate(file string, lines lineIndex, p *diag.List) {
	if c.NATS.URL != "" {
		for _, u := range strings.Split(c.NATS.URL, ",") {
			if _, err := url.Parse(strings.TrimSpace(u)); err != nil || !strings.Contains(u, "://") {
				p.Addf(file, lines.of("nats", "url"), "nats.url: %q is not a URL such as nats://host:4222", redact.URL(u))
			}
		}
	} else if _, _, err := net.SplitHostPort(c.NATS.Listen); err != nil {
		p.Addf(file, lines.of("nats", "listen"), "nats.listen: %q is not host:port", c.NATS.Listen)
	}
	c.validateNATSSecurity(file, lines, p)
	if !subjectToken.MatchString(c.NATS.SubjectPrefix) {
		p.Addf(file, lines.of("nats", "subject_prefix"), "nats.subject_prefix: %q is not a valid subject prefix (letters, digits, - and _, dot-separated)", c.NATS.SubjectPrefix)
	}
	if c.NATS.Replicas < 1 || c.NATS.Replicas > 5 {
		p.Addf(file, lines.of("nats", "replicas"), "nats.replicas: %d is not between 1 and 5", c.NATS.Replicas)
	}
	seenLang := map[string]bool{}
	for i, code := range c.Languages {
		switch {
		case !lang.Supported(code):
			p.Addf(file, lines.of("languages", i), "languages[%d]: unknown language %q (use ISO 639-1 codes such as en, fr, vi)", i, code)
		case seenLang[code]:
			p.Addf(file, lines.of("languages", i), "languages[%d]: %q is listed twice", i, code)
		}
		seenLang[code] = true
	}
	if _, err := ParseSchedule(c.Defaults.Schedule); err != nil {
		p.Addf(file, lines.of("defaults", "schedule"), "defaults.schedule: bad schedule %q: %v", c.Defaults.Schedule, err)
	}
	if !fullTextModes[c.Defaults.FullText] {
		p.Addf(file, lines.of("defaults", "fulltext"), "defaults.fulltext: %q is not auto, always or never", c.Defaults.FullText)
	}
	if len(c.Feeds) == 0 {
		p.Addf(file, lines.of("feeds"), "feeds: at least one feed is required")
	}
	ids := map[string]int{}
	fastDefault := false // a too-fast default schedule was reported
	for i, f := range c.Feeds {
		where := fmt.Sprintf("feeds[%d]", i)
		checkName(p, file, f.Line, lines.of("feeds", i, "id"), where, "id", "feed id", f.ID, ids)
		if err := checkURL(f.URL); err != nil {
			p.Addf(file, lines.of("feeds", i, "url"), "%s.url: %v", where, err)
		}
		if _, err := ParseSchedule(f.Schedule); err != nil && f.Schedule != c.Defaults.Schedule {
			p.Addf(file, lines.of("feeds", i, "schedule"), "%s.schedule: bad schedule %q: %v", where, f.Schedule, err)
		} else if d := ScheduleInterval(f.Schedule); err == nil && d < MinInterval && !f.AllowFast {
			// Someone else's server is read no more than once a minute; a
			// default that is too fast is reported once, at its own line.
			if lines.has("feeds", i, "schedule") || !fastDefault {
				p.Addf(file, scheduleLine(lines, i), "%s: %q fetches every %s, more often than once a minute: a source's server is not to be read that often; for a source of your own, set allow_fast: true on the feed", scheduleKey(lines, i, where), f.Schedule, d)
			}
			if !lines.has("feeds", i, "schedule") {
				fastDefault = true
			}
		}
		if f.Language != "" && !lang.Supported(f.Language) {
			p.Addf(file, lines.of("feeds", i, "language"), "%s.language: unknown language %q", where, f.Language)
		}
		if f.Timeout < 0 {
			p.Addf(file, lines.of("feeds", i, "timeout"), "%s.timeout: must not be negative", where)
		}
		if !fullTextModes[f.FullText] && f.FullText != c.Defaults.FullText {
			p.Addf(file, lines.of("feeds", i, "fulltext"), "%s.fulltext: %q is not auto, always or never", where, f.FullText)
		}
	}
	c.validateSources(file, lines, p)
	for _, n := range []struct {
		key string
		v   int64
	}{
		{"timeout", int64(c.Fetch.Timeout)}, {"max_body_bytes", c.Fetch.MaxBodyBytes},
		{"per_host", int64(c.Fetch.PerHost)}, {"max_concurrent", int64(c.Fetch.MaxConcurrent)},
		{"workers", int64(c.Fetch.Workers)}, {"job_ack_wait", int64(c.Fetch.JobAckWait)},
	} {
		if n.v < 0 {
			p.Addf(file, lines.of("fetch", n.key), "fetch.%s: must not be negative (0 means the default)", n.key)
		}
	}
	for i, name := range c.Classifiers {
		if strings.TrimSpace(name) == "" {
			p.Addf(file, lines.of("classifiers", i), "classifiers[%d]: empty name", i)
		}
	}
	for i, name := range c.Entities {
		if strings.TrimSpace(name) == "" {
			p.Addf(file, lines.of("entities", i), "entities[%d]: empty path", i)
		}
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			p.Addf(file, lines.of("http", "listen"), "http.listen: %q is not host:port", c.HTTP.Listen)
		} else if !IsLoopback(c.HTTP.Listen) && strings.TrimSpace(c.HTTP.TokenFile) == "" {
			p.Addf(file, lines.of("http", "listen"), "http.listen: %q is not a loopback address: set http.token_file, a file holding the token that the status page and /api/ will ask for", c.HTTP.Listen)
		}
	}
	if w := c.Stories.Window; w < time.Hour || w > 30*24*time.Hour {
		p.Addf(file, lines.of("stories", "window"), "stories.window: %v is not between 1h and 720h", w)
	}
	names := map[string]int{}
	for i, r := range c.Notify {
		where := fmt.Sprintf("notify[%d]", i)
		checkName(p, file, r.Line, lines.of("notify", i, "name"), where, "name", "route name", r.Name, names)
		if !routeTypes[r.Type] {
			p.Addf(file, lines.of("notify", i, "type"), "%s.type: %q is not slack or webhook", where, r.Type)
		}
		// The URL is usually a secret: never echo it. A slack route with a
		// bot token needs none (it posts to Slack's Web API).
		botOnly := r.URL == "" && r.Type == "slack" && r.Token != ""
		if err := checkURL(r.URL); err != nil && !botOnly {
			p.Addf(file, lines.of("notify", i, "url"), "%s.url: not a valid http(s) URL", where)
		}
		for j, l := range r.Match.Languages {
			if l != "und" && !lang.Supported(l) {
				p.Addf(file, lines.of("notify", i, "match", "languages", j), "%s.match.languages[%d]: unknown language %q", where, j, l)
			}
		}
		for j, id := range r.Match.Feeds {
			if ids[id] == 0 {
				p.Addf(file, lines.of("notify", i, "match", "feeds", j), "%s.match.feeds[%d]: no feed with id %q", where, j, id)
			}
		}
		for j, s := range r.Match.States {
			if !entities.IsStateKey(s) {
				p.Addf(file, lines.of("notify", i, "match", "states", j), "%s.match.states[%d]: %s", where, j, stateProblem(s))
			}
		}
		for j, o := range r.Match.Orgs {
			if !entities.IsOrgKey(o) {
				p.Addf(file, lines.of("notify", i, "match", "orgs", j), "%s.match.orgs[%d]: %q is not a body's key: want its upper-case acronym (A-Z, 0-9), such as UN", where, j, o)
			}
		}
		if r.Match.MinScore < 0 {
			p.Addf(file, lines.of("notify", i, "match", "min_score"), "%s.match.min_score: %v is negative: scores are 0 or more, so it would match every alert; leave it out (or 0) for every alert", where, r.Match.MinScore)
		}
		if r.Secret != "" {
			// The secret is never echoed.
			if err := webhook.CheckSecret(r.Secret); err != nil {
				p.Addf(file, lines.of("notify", i, "secret"), "%s.secret: %v", where, err)
			}
		}
		if r.Timeout < 0 || r.Digest < 0 || r.FollowUp < 0 {
			p.Addf(file, r.Line, "%s: timeout, digest and follow_up must not be negative", where)
		}
		if r.Per != PerStory && r.Per != PerItem {
			p.Addf(file, lines.of("notify", i, "per"), "%s.per: %q is not story or item", where, r.Per)
		}
		switch {
		case (r.Token != "" || r.Channel != "") && r.Type != "slack":
			p.Addf(file, lines.of("notify", i, "token"), "%s: token and channel are for slack routes", where)
		case r.Token != "" && r.Channel == "":
			p.Addf(file, lines.of("notify", i, "token"), "%s: a bot token needs the channel to post in (channel: C0123456789 or #name)", where)
		case r.Channel != "" && r.Token == "":
			p.Addf(file, lines.of("notify", i, "channel"), "%s: channel needs a bot token (token: ${SLACK_BOT_TOKEN}); an incoming webhook posts where it was made for", where)
		case r.Token != "" && !strings.HasPrefix(r.Token, "xox"):
			// The token is never echoed.
			p.Addf(file, lines.of("notify", i, "token"), "%s.token: not a Slack token (xoxb-...)", where)
		}
	}
}

// stateProblem says why s is not a state's key.
func stateProblem(s string) string {
	if up := strings.ToUpper(s); up != s && entities.IsStateKey(up) {
		return fmt.Sprintf("%q: write the ISO 3166-1 alpha-2 code in upper case, %s", s, up)
	}
	return fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 country code (such as VN, JP, FR)", s)
}

// checkName checks a name that goes into subjects and consumer names: it
// is required, matches [a-z0-9-]+ and is unique. seen maps the names
// accepted so far to their lines; itemLine is where the list entry starts.
func checkName(p *diag.List, file string, itemLine, line int, where, key, noun, name string, seen map[string]int) {
	switch {
	case name == "":
		p.Addf(file, itemLine, "%s: %s is required", where, key)
	case !idPattern.MatchString(name):
		p.Addf(file, line, "%s.%s: %q must match [a-z0-9-]+", where, key, name)
	case seen[name] != 0:
		p.Addf(file, line, "%s.%s: duplicate %s %q (first at line %d)", where, key, noun, name, seen[name])
	default:
		seen[name] = line
	}
}

func checkURL(raw string) error {
	if raw == "" {
		return errors.New("url is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad URL %q", redact.URL(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("bad URL %q: scheme must be http or https", redact.URL(raw))
	}
	if u.Host == "" {
		return fmt.Errorf("bad URL %q: no host", redact.URL(raw))
	}
	return nil
}

// checkKeys reports keys that the configuration does not know, walking the
// YAML tree beside the Go types that it decodes into.
func checkKeys(file string, n *yaml.Node, t reflect.Type, path string, p *diag.List) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := map[string]reflect.Type{}
		var known []string
		for i := 0; i < t.NumField(); i++ {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = t.Field(i).Type
			known = append(known, tag)
		}
		sort.Strings(known)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			ft, ok := fields[key.Value]
			if !ok {
				p.Addf(file, key.Line, "%sunknown key %q (known: %s)", prefix(path), key.Value, strings.Join(known, ", "))
				continue
			}
			checkKeys(file, val, ft, join(path, key.Value), p)
		}
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, item := range n.Content {
			checkKeys(file, item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), p)
		}
	case n.Kind == yaml.MappingNode && t != stringMapType:
		p.Addf(file, n.Line, "%sexpected %s, found a mapping", prefix(path), kindName(t))
	case n.Kind == yaml.SequenceNode:
		p.Addf(file, n.Line, "%sexpected %s, found a list", prefix(path), kindName(t))
	}
}

// expandEnv replaces ${VAR} in string scalars. An unset variable is an
// error: a webhook URL or secret that silently became empty is worse.
func expandEnv(file string, n *yaml.Node, path string, lookup func(string) (string, bool), p *diag.List) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expandEnv(file, n.Content[i+1], join(path, n.Content[i].Value), lookup, p)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			expandEnv(file, c, fmt.Sprintf("%s[%d]", path, i), lookup, p)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		n.Value = envReference.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := ref[2 : len(ref)-1]
			v, ok := lookup(name)
			if !ok {
				p.Addf(file, n.Line, "%senvironment variable %s is not set", prefix(path), name)
			}
			return v
		})
	}
}

func kindName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration such as 30s"
	case t.Kind() == reflect.Struct:
		return "a mapping"
	case t.Kind() == reflect.Slice:
		return "a list"
	default:
		return "a " + t.Kind().String()
	}
}

func prefix(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// lineIndex finds the line of a value in the YAML tree by key and index.
type lineIndex struct{ root *yaml.Node }

func newLineIndex(root *yaml.Node) lineIndex { return lineIndex{root} }

// without is the index with the top-level key dropped, for keeping the
// rest of the tree but not that part of it.
func (l lineIndex) without(key string) lineIndex {
	if l.root == nil || l.root.Kind != yaml.MappingNode {
		return l
	}
	root := *l.root
	root.Content = nil
	for i := 0; i+1 < len(l.root.Content); i += 2 {
		if l.root.Content[i].Value != key {
			root.Content = append(root.Content, l.root.Content[i], l.root.Content[i+1])
		}
	}
	return lineIndex{&root}
}

// has reports whether the path (mapping keys, list indexes) is present.
func (l lineIndex) has(path ...any) bool {
	_, whole := l.find(path)
	return whole
}

// of returns the line of the node at the path (string keys, int indexes),
// or of the deepest node found on the way.
func (l lineIndex) of(path ...any) int {
	n, _ := l.find(path)
	if n == nil {
		return 0 // a Config that was not parsed
	}
	return n.Line
}

// find returns the node at the path, or the deepest one found on the way,
// and whether it is the path's own. A scalar value gives way to its key,
// whose line is the one a message names.
func (l lineIndex) find(path []any) (*yaml.Node, bool) {
	n := l.root
	if n == nil {
		return nil, false
	}
	for _, step := range path {
		var next *yaml.Node
		switch s := step.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == s {
						next = n.Content[i+1]
						if next.Kind == yaml.ScalarNode {
							next = n.Content[i]
						}
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && s < len(n.Content) {
				next = n.Content[s]
			}
		}
		if next == nil {
			return n, false
		}
		n = next
	}
	return n, true
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

func yamlErrorLine(err error) int {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	var n int
	fmt.Sscanf(m[1], "%d", &n)
	return n
}

func yamlErrorMessage(err error) string {
	msg := yamlLine.ReplaceAllString(err.Error(), "")
	return strings.TrimPrefix(msg, "yaml: ")
}

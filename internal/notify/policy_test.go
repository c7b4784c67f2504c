package notify_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

func TestFilterSubjects(t *testing.T) {
	t.Parallel()
	many := make([]string, 200)
	for i := range many {
		many[i] = "feed-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	tests := []struct {
		name string
		m    config.Match
		want []string
	}{
		{"everything", config.Match{}, []string{"news.alert.*.*.*"}},
		{"languages", config.Match{Languages: []string{"fr", "en", "fr"}}, []string{"news.alert.*.en.*", "news.alert.*.fr.*"}},
		{"every part", config.Match{Classifiers: []string{"cyber-diplomacy"}, Languages: []string{"fr", "ja"}, Feeds: []string{"vna-fr", "jica-ja"}},
			[]string{"news.alert.cyber-diplomacy.fr.jica-ja", "news.alert.cyber-diplomacy.fr.vna-fr", "news.alert.cyber-diplomacy.ja.jica-ja", "news.alert.cyber-diplomacy.ja.vna-fr"}},
		{"topics and score are checked in code", config.Match{Topics: []string{"norms"}, MinScore: 3}, []string{"news.alert.*.*.*"}},
		{"a path is not a subject token", config.Match{Classifiers: []string{"rules/my.yaml"}, Languages: []string{"vi"}}, []string{"news.alert.*.vi.*"}},
		{"too many combinations widen the largest list", config.Match{Languages: []string{"fr", "en"}, Feeds: many}, []string{"news.alert.*.en.*", "news.alert.*.fr.*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notify.FilterSubjects("news", tt.m); !slices.Equal(got, tt.want) {
				t.Errorf("FilterSubjects = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	a := newAlert("x", "fr", "vna-fr", 3, "norms", "cbm")
	a.Entities = vigie.Entities{States: []string{"JP", "VN"}, Orgs: []string{"UN"}}
	tests := []struct {
		name string
		m    config.Match
		want bool
	}{
		{"empty match", config.Match{}, true},
		{"classifier", config.Match{Classifiers: []string{"cyber-diplomacy"}}, true},
		{"other classifier", config.Match{Classifiers: []string{"other"}}, false},
		{"language", config.Match{Languages: []string{"en", "fr"}}, true},
		{"other language", config.Match{Languages: []string{"en"}}, false},
		{"feed", config.Match{Feeds: []string{"vna-fr"}}, true},
		{"other feed", config.Match{Feeds: []string{"reuters"}}, false},
		{"one topic of several", config.Match{Topics: []string{"attribution-sanctions", "cbm"}}, true},
		{"no topic in common", config.Match{Topics: []string{"cybercrime"}}, false},
		{"score at the minimum", config.Match{MinScore: 3}, true},
		{"score below the minimum", config.Match{MinScore: 3.5}, false},
		{"all parts", config.Match{Classifiers: []string{"cyber-diplomacy"}, Languages: []string{"fr"}, Feeds: []string{"vna-fr"}, Topics: []string{"norms"}, MinScore: 1}, true},
		{"a state it names", config.Match{States: []string{"VN"}}, true},
		{"one of the states it names", config.Match{States: []string{"JP", "FR"}}, true},
		{"a state it does not name", config.Match{States: []string{"FR"}}, false},
		{"a body it names", config.Match{Orgs: []string{"ASEAN", "UN"}}, true},
		{"a body it does not name", config.Match{Orgs: []string{"EU"}}, false},
		{"a state and a body it names", config.Match{States: []string{"VN"}, Orgs: []string{"UN"}}, true},
		{"a state it names, a body it does not", config.Match{States: []string{"VN"}, Orgs: []string{"EU"}}, false},
		{"a body it names, a state it does not", config.Match{States: []string{"FR"}, Orgs: []string{"UN"}}, false},
		{"states with the other parts", config.Match{Languages: []string{"fr"}, Topics: []string{"cbm"}, States: []string{"JP"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notify.Matches(tt.m, a); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	backoff := notify.Backoff(time.Second, 15*time.Minute)
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{5, 8 * time.Second, 16 * time.Second},
		{11, 7*time.Minute + 30*time.Second, 15 * time.Minute},
		{100, 7*time.Minute + 30*time.Second, 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(time.Duration(tt.attempt).String(), func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for range 50 {
				d := backoff(tt.attempt)
				if d < tt.min || d > tt.max {
					t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tt.attempt, d, tt.min, tt.max)
				}
				seen[d] = true
			}
			if len(seen) < 2 {
				t.Errorf("backoff(%d) has no jitter: always %v", tt.attempt, seen)
			}
		})
	}
}

func TestNewRejectsBadRoutes(t *testing.T) {
	t.Parallel()
	const url = "https://hooks.example/services/SECRETPATH"
	tests := []struct {
		name  string
		route config.Route
		want  string
	}{
		{"unknown type", config.Route{Name: "r", Type: "email", URL: url}, "not slack or webhook"},
		{"bad secret", config.Route{Name: "r", Type: "webhook", URL: url, Secret: "whsec_!!notbase64SECRETVALUE"}, "whsec_"},
		{"bad template", config.Route{Name: "r", Type: "slack", URL: url, Template: "{{.Title"}, "template"},
		{"template on a webhook", config.Route{Name: "r", Type: "webhook", URL: url, Template: "{{.Title}}"}, "slack routes only"},
		{"bad name", config.Route{Name: "R 1", Type: "slack", URL: url}, "must match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Validation fails before NATS is used.
			_, err := notify.New(context.Background(), nil, []config.Route{tt.route}, notify.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want it to mention %q", err, tt.want)
			}
			for _, secret := range []string{"SECRETPATH", "SECRETVALUE"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows a secret", err)
				}
			}
		})
	}
	dup := config.Route{Name: "same", Type: "slack", URL: url}
	if _, err := notify.New(context.Background(), nil, []config.Route{dup, dup}, notify.Options{}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("New with a duplicate route name: %v", err)
	}
}

// TestNewHonoursItsContext: New's calls to NATS end with its context, so
// that a shutdown while the routes are being set up does not wait for them.
func TestNewHonoursItsContext(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	routes := []config.Route{{Name: "siem", Type: "webhook", URL: "https://siem.example/hook"}}
	if _, err := notify.New(ctx, b.JS, routes, notify.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("New with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestNewCreatesAndUpdatesConsumers(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	info := func(route string) *jetstream.ConsumerInfo {
		t.Helper()
		c, err := b.JS.Consumer(context.Background(), broker.AlertsStream, notify.ConsumerName(route))
		if err != nil {
			t.Fatal(err)
		}
		i, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	routes := []config.Route{
		{Name: "soc-slack", Type: "slack", URL: "https://hooks.slack.com/services/T/B/X", Match: config.Match{Languages: []string{"fr"}}},
		{Name: "siem", Type: "webhook", URL: "https://siem.example/hook", Timeout: 5 * time.Second},
		{Name: "daily", Type: "webhook", URL: "https://siem.example/daily", Digest: time.Hour},
	}
	if _, err := notify.New(context.Background(), b.JS, routes, notify.Options{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		route      string
		maxPending int
		ackWait    time.Duration
		filters    []string
	}{
		{"soc-slack", 1, 35 * time.Second, []string{"news.alert.*.fr.*"}},
		{"siem", 4, 25 * time.Second, []string{"news.alert.*.*.*"}},
		{"daily", 1000, time.Minute, []string{"news.alert.*.*.*"}},
	}
	for _, tt := range tests {
		t.Run(tt.route, func(t *testing.T) {
			c := info(tt.route).Config
			if c.AckPolicy != jetstream.AckExplicitPolicy || c.DeliverPolicy != jetstream.DeliverNewPolicy || c.MaxDeliver != -1 ||
				c.MaxAckPending != tt.maxPending || c.AckWait != tt.ackWait || !slices.Equal(c.FilterSubjects, tt.filters) {
				t.Errorf("consumer config: ack %v deliver %v max deliver %d max pending %d ack wait %v filters %q",
					c.AckPolicy, c.DeliverPolicy, c.MaxDeliver, c.MaxAckPending, c.AckWait, c.FilterSubjects)
			}
		})
	}
	// A changed match updates the durable consumer in place.
	routes[0].Match.Languages = []string{"en", "vi"}
	if _, err := notify.New(context.Background(), b.JS, routes, notify.Options{}); err != nil {
		t.Fatal(err)
	}
	if got, want := info("soc-slack").Config.FilterSubjects, []string{"news.alert.*.en.*", "news.alert.*.vi.*"}; !slices.Equal(got, want) {
		t.Errorf("filters after the change = %q, want %q", got, want)
	}
}

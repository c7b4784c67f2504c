package slack_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/notify/receiver"
	"github.com/vigie-news/vigie/internal/notify/slack"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func alert() *vigie.Alert {
	a := &vigie.Alert{
		Item: vigie.Item{
			Schema: vigie.AlertSchema, ID: "9f2c1e0a7b3d4c5e",
			Feed:  vigie.FeedRef{ID: "vna-fr", Title: "Vietnam News Agency (FR)", URL: "https://www.vietnamplus.vn/rss"},
			Title: "Le Vietnam à l'OEWG : normes & mesures de confiance <2026>",
			Summary: "Le Vietnam a présenté à New York sa position sur les normes de comportement responsable " +
				"des États dans le cyberespace et sur le futur mécanisme permanent.",
			URL:       "https://www.vietnamplus.vn/le-vietnam-a-loewg|2026.vnp",
			Published: time.Date(2026, 11, 20, 8, 30, 0, 0, time.FixedZone("ICT", 7*3600)),
			Lang:      "fr", LangConfidence: 0.98,
			Entities: vigie.Entities{States: []string{"US", "VN"}, Orgs: []string{"UN"}},
		},
		Classifier: "cyber-diplomacy", Score: 7.5,
		Topics: []vigie.Topic{
			{ID: "un-processes", Score: 4, Evidence: []vigie.Evidence{{Term: "OEWG", Field: "title", Count: 1}, {Term: "mécanisme permanent", Field: "summary", Count: 1}}},
			{ID: "norms", Score: 3.5, Evidence: []vigie.Evidence{{Term: "normes", Field: "title", Count: 2}}},
		},
	}
	return a
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep the goldens readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := strings.TrimSpace(buf.String())
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(want)) != got {
		t.Errorf("%s differs:\n got %s\nwant %s", name, got, want)
	}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		name, template, golden string
	}{
		{"default text", "", "alert.json"},
		{"template text", "{{.Title}} [{{.Lang}}] score {{.Score}}", "alert-template.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := slack.New("https://hooks.slack.com/services/T/B/X", tt.template, nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			m, err := s.Message(alert())
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, m)
		})
	}
}

func TestDigestMessage(t *testing.T) {
	b := alert()
	b.ID, b.Title, b.Lang, b.Topics = "0000000000000001", "ICANN & the multistakeholder model", "en", []vigie.Topic{{ID: "internet-governance"}}
	golden(t, "digest.json", slack.DigestMessage(&receiver.Digest{Route: "soc", Alerts: []*vigie.Alert{alert(), b}}))
}

// TestEntityLine checks the line that names the states and bodies of an
// alert: each part only when the alert names some, none at all when it
// names none, in the message and in a digest.
func TestEntityLine(t *testing.T) {
	tests := []struct {
		name     string
		entities vigie.Entities
		want     string // "" when no line is expected
	}{
		{"states and bodies", vigie.Entities{States: []string{"JP", "VN"}, Orgs: []string{"ASEAN", "UN"}}, "*States:* JP, VN  ·  *Bodies:* ASEAN, UN"},
		{"states only", vigie.Entities{States: []string{"FR"}, Orgs: []string{}}, "*States:* FR"},
		{"bodies only", vigie.Entities{States: []string{}, Orgs: []string{"EU"}}, "*Bodies:* EU"},
		{"none", vigie.Entities{States: []string{}, Orgs: []string{}}, ""},
		{"none, from an old payload", vigie.Entities{}, ""},
	}
	s, err := slack.New("https://hooks.slack.com/services/T/B/X", "", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := alert()
			a.Entities = tt.entities
			m, err := s.Message(a)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, e := range m.Blocks[len(m.Blocks)-1].Elements {
				if strings.Contains(e.Text, "States:") || strings.Contains(e.Text, "Bodies:") {
					lines = append(lines, e.Text)
				}
			}
			switch {
			case tt.want == "" && len(lines) > 0:
				t.Errorf("entity line %q, want none", lines)
			case tt.want != "" && (len(lines) != 1 || lines[0] != tt.want):
				t.Errorf("entity lines %q, want [%q]", lines, tt.want)
			}
			digest := slack.DigestMessage(&receiver.Digest{Route: "soc", Alerts: []*vigie.Alert{a}})
			plain := strings.ReplaceAll(tt.want, "*", "")
			got := digest.Blocks[1].Text.Text
			named := strings.Contains(got, "States:") || strings.Contains(got, "Bodies:")
			switch {
			case plain == "" && named:
				t.Errorf("digest line %q names entities, want none", got)
			case plain != "" && !strings.HasSuffix(got, "\n"+plain):
				t.Errorf("digest line %q, want it to end with %q", got, plain)
			}
		})
	}
}

func TestBadTemplate(t *testing.T) {
	if _, err := slack.New("https://hooks.slack.com/x", "{{.Title", nil, nil, nil); err == nil {
		t.Error("New accepted a template that does not parse")
	}
	if _, err := slack.New("https://hooks.slack.com/x", "{{.NoSuchField}}", nil, nil, nil); err == nil {
		t.Error("New accepted a template that names a field an alert does not have")
	}
}

func TestPacerQueuesInOrder(t *testing.T) {
	// Each Wait reserves the next slot: n callers take n slots, none dropped.
	p := slack.NewPacer(time.Millisecond)
	for i := range 5 {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatalf("Wait %d: %v", i, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.Delay(time.Hour)
	if err := p.Wait(ctx); err == nil {
		t.Error("Wait returned nil for a cancelled context while delayed an hour")
	}
}

// TestFeedTextCannotMention checks that a title written to ping a channel
// reaches Slack escaped everywhere: the blocks, the notification text, a
// template's output and a digest.
func TestFeedTextCannotMention(t *testing.T) {
	a := alert()
	a.Title, a.Summary = "<!channel> urgent", "see <https://evil.example|here>"
	raw := func(v any) string {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	var out []string
	for _, tmpl := range []string{"", "*{{.Title}}* {{.Summary}} <{{.URL}}|open>"} {
		s, err := slack.New("https://hooks.slack.com/services/T/B/X", tmpl, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.Message(a)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw(m))
	}
	out = append(out, raw(slack.DigestMessage(&receiver.Digest{Route: "soc", Alerts: []*vigie.Alert{a}})))
	for _, o := range out {
		if strings.Contains(o, "<!channel>") || strings.Contains(o, "<https://evil") {
			t.Errorf("feed text reaches Slack unescaped: %s", o)
		}
	}
	if !strings.Contains(out[1], `<https://www.vietnamplus.vn/le-vietnam-a-loewg|2026.vnp|open>`) {
		t.Errorf("the template's own link markup was escaped: %s", out[1])
	}
}

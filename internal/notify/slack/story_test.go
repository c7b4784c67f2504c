package slack_test

import (
	"strings"
	"testing"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/notify/receiver"
	"github.com/vigie-news/vigie/internal/notify/slack"
	"github.com/vigie-news/vigie/internal/notify/slack/slacktest"
)

// storyOf puts alerts in one story, as they would have joined it.
func storyOf(id string, alerts ...*vigie.Alert) {
	for i, a := range alerts {
		a.Story = &vigie.Story{ID: id, FirstSeen: alerts[0].Published, Items: i + 1, Languages: []string{"en", "fr"}, Feeds: i + 1}
	}
}

// A digest of a route that notifies per story counts stories and lists
// each once, with the sources of its other reports.
func TestStoryDigestMessage(t *testing.T) {
	a, b, c := alert(), alert(), alert()
	b.ID, b.Feed.Title, b.Lang = "b", "Kyodo", "ja"
	c.ID, c.Title, c.Feed.Title = "c", "Another story", "ICANN"
	storyOf("s1", a, b)
	storyOf("s2", c)
	m := slack.DigestMessage(&receiver.Digest{Route: "desk", Alerts: []*vigie.Alert{a, c, b}, PerStory: true})
	if m.Blocks[0].Text.Text != "Vigie: 2 stories (3 reports)" {
		t.Errorf("header %q", m.Blocks[0].Text.Text)
	}
	if len(m.Blocks) != 3 || !strings.Contains(m.Blocks[1].Text.Text, "Also reported by <") || !strings.Contains(m.Blocks[1].Text.Text, "|Kyodo> (ja)") ||
		!strings.Contains(m.Blocks[1].Text.Text, "2 reports, 2 feeds, 2 languages: en, fr") || strings.Contains(m.Blocks[2].Text.Text, "Also reported") {
		t.Errorf("blocks %+v %+v", m.Blocks[1].Text, m.Blocks[2].Text)
	}
}

// The follow-up of a story on an incoming webhook names the new reports'
// sources, and cannot mention anyone whatever a feed writes.
func TestFollowUpMessage(t *testing.T) {
	u := &receiver.StoryUpdate{
		Story: &vigie.Story{ID: "s1", Items: 3, Languages: []string{"fr", "ja", "ru"}, Feeds: 3},
		First: receiver.Report{ID: "a1", Title: "Le Vietnam à l'OEWG <!channel>", URL: "https://vnp.example/a1"},
		Told:  []receiver.Report{{ID: "a1"}},
		New:   []receiver.Report{{ID: "a2", FeedTitle: "NHK", Lang: "ja", URL: "https://nhk.example/a2"}, {ID: "a3", Feed: "tass", Lang: "ru"}},
	}
	m := slack.FollowUpMessage(u)
	if !strings.HasPrefix(m.Text, "Also reported by NHK (ja), tass (ru): Le Vietnam") || strings.Contains(m.Text, "<!channel>") {
		t.Errorf("text %q", m.Text)
	}
	if got := m.Blocks[1].Elements[0].Text; !strings.Contains(got, "3 reports, 3 feeds, 3 languages: fr, ja, ru") || strings.Contains(got, "<!channel>") {
		t.Errorf("context %q", got)
	}
}

// The Web API's refusals are final or worth retrying as Slack documents
// them, and the token never shows in an error.
func TestBotErrors(t *testing.T) {
	api := slacktest.NewAPI(t, "xoxb-right")
	bot, err := slack.NewBot(api.URL, "xoxb-wrong-secret", "C1", "desk", "", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := bot.Notify(t.Context(), alert())
	if err == nil || retry || !strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), "xoxb-wrong-secret") {
		t.Errorf("wrong token: retry %v, %v", retry, err)
	}
	good, _ := slack.NewBot(api.URL, "xoxb-right", "C1", "desk", "", nil, nil, nil)
	a := alert()
	storyOf("s1", a)
	ref, _, err := good.NotifyStory(t.Context(), a)
	if err != nil || ref.TS == "" || ref.Channel != "C1" || len(ref.Body) == 0 {
		t.Fatalf("NotifyStory: %+v, %v", ref, err)
	}
	if m := api.Messages(); len(m) != 1 || m[0].Story() != "s1" {
		t.Errorf("posted %+v, want one message whose metadata names s1", m)
	}
}

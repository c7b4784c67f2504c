package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
	"github.com/vigie-news/vigie/internal/notify/slack/slacktest"
)

// storyAlert is an alert of a story, the items-th report of it.
func storyAlert(id, lang, feed, story string, items int) *vigie.Alert {
	a := newAlert(id, lang, feed, 5, "attribution-sanctions")
	a.Story = &vigie.Story{ID: story, FirstSeen: a.Published, Items: items, Languages: []string{lang}, Feeds: items}
	return a
}

// clock is a test's time, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// storyNote reads what a route noted of a story.
func storyNote(t *testing.T, js jetstream.JetStream, route, story string) (told, pending int) {
	t.Helper()
	kv, err := js.KeyValue(context.Background(), notify.StoriesBucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(context.Background(), route+"."+story)
	if err != nil {
		return 0, 0
	}
	var n struct {
		Told    []json.RawMessage `json:"told"`
		Pending []json.RawMessage `json:"pending"`
	}
	if err := json.Unmarshal(e.Value(), &n); err != nil {
		t.Fatal(err)
	}
	return len(n.Told), len(n.Pending)
}

// A webhook route gets a story's first report as an alert and each later
// one as a signed story.updated event; a route with per: item gets every
// alert as before.
func TestWebhookPerStory(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	perStory, perItem := newReceiver(t, nil), newReceiver(t, nil)
	routes := []config.Route{
		{Name: "siem", Type: "webhook", URL: perStory.srv.URL, Secret: testSecret},
		{Name: "siem-items", Type: "webhook", URL: perItem.srv.URL, Secret: testSecret, Per: config.PerItem},
	}
	start(t, b.JS, routes, notify.Options{})
	publish(t, b,
		storyAlert("a1", "fr", "vna-fr", "s1", 1),
		storyAlert("a2", "ja", "nhk", "s1", 2),
		storyAlert("b1", "en", "un", "s2", 1),
		storyAlert("a3", "ru", "tass", "s1", 3),
	)
	perStory.waitFor(t, "four messages", func() bool { return len(perStory.delivered()) == 4 })
	perItem.waitFor(t, "four alerts", func() bool { return len(perItem.delivered()) == 4 })
	waitFor(t, "the routes idle", nil, func() bool { return consumerIdle(t, b.JS, "siem") && consumerIdle(t, b.JS, "siem-items") })

	// Four alerts at once go to four workers: any report of s1 may be
	// the one sent as its alert.
	alerts, updates := map[string]int{}, map[string]int{}
	for id, n := range perStory.delivered() {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	for _, r := range perStory.requests() {
		if err := verify(testSecret, r); err != nil {
			t.Errorf("%s: %v", r.ID, err)
		}
		var body struct {
			Schema  string `json:"schema"`
			Type    string `json:"type"`
			Story   *vigie.Story
			First   struct{ ID string }
			Reports []struct{ ID string }
			Alert   *vigie.Alert
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Story == nil {
			t.Fatalf("%s without its story: %s", r.ID, r.Body)
		}
		switch {
		case body.Type == "story.updated":
			updates[body.Story.ID]++
			if body.Schema != "vigie.story-update/v1" || len(body.Reports) != 1 || body.Alert == nil ||
				r.ID != "story."+body.Story.ID+"."+body.Reports[0].ID || body.First.ID == body.Reports[0].ID {
				t.Errorf("story update %s: %s", r.ID, r.Body)
			}
		case body.Schema == vigie.AlertSchema:
			alerts[body.Story.ID]++
		default:
			t.Errorf("%s: %s", r.ID, r.Body)
		}
	}
	if alerts["s1"] != 1 || updates["s1"] != 2 || alerts["s2"] != 1 || updates["s2"] != 0 {
		t.Errorf("alerts %v, updates %v: want one alert per story, and s1's two later reports as updates", alerts, updates)
	}
	if told, _ := storyNote(t, b.JS, "siem", "s1"); told != 3 {
		t.Errorf("the route noted %d reports of s1, want 3", told)
	}
}

// A Slack incoming webhook gets a story's first report at once, and the
// later ones in one "also reported by" follow-up an hour after its last
// message, never more often.
func TestSlackFollowUpsOncePerHour(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	hook := newReceiver(t, nil)
	clk := &clock{now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	svc := start(t, b.JS, []config.Route{{Name: "desk", Type: "slack", URL: hook.srv.URL}},
		notify.Options{Now: clk.Now, SlackInterval: time.Millisecond})
	texts := func() []string {
		var out []string
		for _, r := range hook.requests() {
			var m struct{ Text string }
			_ = json.Unmarshal(r.Body, &m)
			out = append(out, m.Text)
		}
		return out
	}

	publish(t, b, storyAlert("a1", "fr", "vna-fr", "s1", 1))
	hook.waitFor(t, "the story's message", func() bool { return len(hook.requests()) == 1 })
	publish(t, b, storyAlert("a2", "ja", "nhk", "s1", 2), storyAlert("a3", "ru", "tass", "s1", 3))
	waitFor(t, "two reports pending", nil, func() bool { _, p := storyNote(t, b.JS, "desk", "s1"); return p == 2 })
	if n := len(hook.requests()); n != 1 {
		t.Fatalf("%d messages before the hour is out, want 1: %v", n, texts())
	}

	clk.Advance(time.Hour)
	svc.WakeFollowUps()
	hook.waitFor(t, "the follow-up", func() bool { return len(hook.requests()) == 2 })
	follow := texts()[1]
	if !strings.HasPrefix(follow, "Also reported by Feed nhk (ja), Feed tass (ru)") {
		t.Errorf("follow-up %q: want both later reports in one message", follow)
	}

	publish(t, b, storyAlert("a4", "de", "dw", "s1", 4))
	waitFor(t, "one report pending", nil, func() bool { _, p := storyNote(t, b.JS, "desk", "s1"); return p == 1 })
	clk.Advance(59 * time.Minute)
	svc.WakeFollowUps()
	clk.Advance(time.Minute)
	svc.WakeFollowUps()
	hook.waitFor(t, "the second follow-up", func() bool { return len(hook.requests()) == 3 })
	if got := texts(); len(got) != 3 || !strings.HasPrefix(got[2], "Also reported by Feed dw (de)") {
		t.Errorf("messages %q", got)
	}
	// The follow-up is noted once Slack took it.
	waitFor(t, "every report noted as told", nil, func() bool {
		told, pending := storyNote(t, b.JS, "desk", "s1")
		return told == 4 && pending == 0
	})
}

// A Slack route with a bot token posts a story once and updates its
// message in place with every later report.
func TestSlackBotUpdatesTheStoryMessage(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	api := slacktest.NewAPI(t, "xoxb-test")
	start(t, b.JS, []config.Route{{Name: "desk", Type: "slack", URL: api.URL, Token: "xoxb-test", Channel: "C1"}},
		notify.Options{SlackInterval: time.Millisecond})
	publish(t, b,
		storyAlert("a1", "fr", "vna-fr", "s1", 1),
		storyAlert("a2", "ja", "nhk", "s1", 2),
		storyAlert("b1", "en", "un", "s2", 1),
		storyAlert("a3", "ru", "tass", "s1", 3),
	)
	waitFor(t, "two messages and two updates", api.Wake(), func() bool {
		return api.Calls("chat.postMessage") == 2 && api.Calls("chat.update") == 2
	})
	waitFor(t, "the route idle", nil, func() bool { return consumerIdle(t, b.JS, "desk") })
	msgs := api.Messages()
	if len(msgs) != 2 || msgs[0].Story() != "s1" || msgs[1].Story() != "s2" {
		t.Fatalf("messages %+v", msgs)
	}
	if s1 := string(msgs[0].Blocks); msgs[0].Updates != 2 || !strings.Contains(s1, "Feed nhk") || !strings.Contains(s1, "Feed tass") {
		t.Errorf("story s1's message, updated %d times: %s", msgs[0].Updates, s1)
	}
	if msgs[1].Updates != 0 {
		t.Errorf("story s2's message updated %d times", msgs[1].Updates)
	}
}

// A post that Slack took but whose answer never came (the route gave up
// waiting, or the process died) is found in the channel's history, not
// posted again.
func TestSlackBotFindsAPostCutShort(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	api := slacktest.NewAPI(t, "xoxb-test")
	api.Hold(func(method string, n int, r *http.Request) {
		if method == "chat.postMessage" && n == 1 {
			<-r.Context().Done() // Slack posts it; the answer comes too late
		}
	})
	start(t, b.JS, []config.Route{{Name: "desk", Type: "slack", URL: api.URL, Token: "xoxb-test", Channel: "C1", Timeout: 300 * time.Millisecond}},
		notify.Options{SlackInterval: time.Millisecond})
	publish(t, b, storyAlert("a1", "fr", "vna-fr", "s1", 1))
	waitFor(t, "the history looked at", api.Wake(), func() bool { return api.Calls("conversations.history") >= 1 })
	publish(t, b, storyAlert("a2", "ja", "nhk", "s1", 2))
	waitFor(t, "the update", api.Wake(), func() bool { return api.Calls("chat.update") == 1 })
	if n := api.Calls("chat.postMessage"); n != 1 || len(api.Messages()) != 1 {
		t.Errorf("%d posts, %d messages: want the story posted once", n, len(api.Messages()))
	}
	if m := api.Messages()[0]; !strings.Contains(string(m.Blocks), "Feed nhk") {
		t.Errorf("the message found was not updated: %s", m.Blocks)
	}
}

// When a story's first report fails for good, the next report of the
// story is sent as its first message, not as an update of nothing.
func TestStoryFirstFailsForGood(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, id string, n int) int {
		if id == "a1.cyber-diplomacy" {
			w.WriteHeader(http.StatusGone)
			return http.StatusGone
		}
		return http.StatusOK
	})
	svc := start(t, b.JS, []config.Route{{Name: "siem", Type: "webhook", URL: rc.srv.URL, Secret: testSecret}}, notify.Options{})
	publish(t, b, storyAlert("a1", "fr", "vna-fr", "s1", 1))
	waitFor(t, "the failure recorded", nil, func() bool { return svc.stats("siem").Failed == 1 })
	publish(t, b, storyAlert("a2", "ja", "nhk", "s1", 2))
	rc.waitFor(t, "the second report", func() bool { return rc.delivered()["a2.cyber-diplomacy"] == 1 })
	if got := rc.delivered(); len(got) != 1 {
		t.Errorf("delivered %v, want the second report as the story's alert", got)
	}
}

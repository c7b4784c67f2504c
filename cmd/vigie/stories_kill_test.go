package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	payload "github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/notify"
	"github.com/vigie-news/vigie/internal/notify/slack/slacktest"
)

// TestMain lets a test run this binary as vigie itself: with
// VIGIE_TEST_MAIN set, the process is `vigie <its arguments>`.
func TestMain(m *testing.M) {
	if os.Getenv("VIGIE_TEST_MAIN") != "" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const killSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// recorder is a webhook or Slack incoming-webhook receiver that keeps what
// it received; its hold-th request waits for release before it answers.
type recorder struct {
	srv     *httptest.Server
	hold    int
	held    chan struct{}
	release chan struct{}

	mu   sync.Mutex
	reqs []recorded
	n    int
}

type recorded struct {
	id, ts, sig string
	body        []byte
}

func newRecorder(t *testing.T, hold int) *recorder {
	rc := &recorder{hold: hold, held: make(chan struct{}), release: make(chan struct{})}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.n++
		n := rc.n
		// The receiver has the message once it has read it, answered or
		// not: a real one acts on it.
		rc.reqs = append(rc.reqs, recorded{r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body})
		rc.mu.Unlock()
		if n == rc.hold {
			close(rc.held)
			<-rc.release
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *recorder) received() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]recorded(nil), rc.reqs...)
}

func verifySignature(r recorded) error {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(killSecret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.id + "." + r.ts + "."))
	mac.Write(r.body)
	if r.sig != "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		return fmt.Errorf("%s: bad signature", r.id)
	}
	return nil
}

// notifier runs `vigie notify` as a process of its own.
func notifier(t *testing.T, cfg string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "notify", "--config", cfg, "--log-format", "json", "--log-level", "debug")
	cmd.Env = append(os.Environ(), "VIGIE_TEST_MAIN=1")
	log, err := os.Create(filepath.Join(t.TempDir(), "notify.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			data, _ := os.ReadFile(log.Name())
			t.Logf("notifier log:\n%s", lastLines(string(data), 40))
		}
	})
	return cmd
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// until waits for cond; the deadline only keeps a broken test from
// hanging.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Three receivers of the stories of 4 events, 3 reports each: a Slack
// route with a bot token, a Slack incoming webhook, and a signed webhook.
// The notifier is killed (SIGKILL) while each receiver holds a request it
// has read and not answered, then started again. Each receiver ends with
// one message per story and every later report told once: the Slack bot
// finds the post it never heard back about in the channel's history; the
// webhook repeats the held request with its webhook-id, which the receiver
// drops; the incoming webhook, which has no such id, repeats the message
// held at the kill, and nothing else.
func TestStoriesThroughSIGKILL(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs vigie notify twice and waits for redeliveries")
	}
	b, err := broker.Open(context.Background(), broker.Options{Listen: "127.0.0.1:-1", StoreDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())

	api := slacktest.NewAPI(t, "xoxb-kill-test")
	botHeld, botRelease := make(chan struct{}), make(chan struct{})
	api.Hold(func(method string, n int, _ *http.Request) {
		if method == "chat.postMessage" && n == 3 {
			close(botHeld)
			<-botRelease
		}
	})
	hook := newRecorder(t, 3) // the third story's message
	siem := newRecorder(t, 6) // any of the first reports and updates
	dir := t.TempDir()
	cfg := filepath.Join(dir, "feeds.yaml")
	yaml := fmt.Sprintf(`nats:
  url: %s
data_dir: %s
http:
  listen: ""
feeds:
  - id: unused
    url: http://127.0.0.1:9/rss
notify:
  - name: bot
    type: slack
    url: %s
    token: xoxb-kill-test
    channel: C1
    timeout: 6s
  - name: hook
    type: slack
    url: %s/services/T/B/X
    follow_up: 2s
    timeout: 6s
  - name: siem
    type: webhook
    url: %s/in
    secret: %s
    timeout: 6s
`, b.Server.ClientURL(), dir, api.URL, hook.srv.URL, siem.srv.URL, killSecret)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := notifier(t, cfg)
	until(t, "the routes' consumers", func() bool {
		for _, r := range []string{"bot", "hook", "siem"} {
			if _, err := b.JS.Consumer(context.Background(), broker.AlertsStream, notify.ConsumerName(r)); err != nil {
				return false
			}
		}
		return true
	})
	const stories, reports = 4, 3
	for s := range stories {
		for r := range reports {
			a := &payload.Alert{
				Item: payload.Item{Schema: payload.AlertSchema, ID: fmt.Sprintf("s%d-r%d", s, r),
					Feed:  payload.FeedRef{ID: fmt.Sprintf("feed-%d", r), Title: fmt.Sprintf("Feed %d", r), URL: "https://example.org/rss"},
					Title: fmt.Sprintf("Story %d, report %d", s, r), URL: fmt.Sprintf("https://example.org/s%d/r%d", s, r),
					Lang: []string{"fr", "ja", "ru"}[r], Published: time.Now(),
					Story: &payload.Story{ID: fmt.Sprintf("story-%d", s), Items: r + 1, Languages: []string{"fr"}, Feeds: r + 1}},
				Classifier: "cyber-diplomacy", Score: 5,
			}
			if err := b.PublishAlert(context.Background(), a); err != nil {
				t.Fatal(err)
			}
		}
	}

	for _, c := range []chan struct{}{botHeld, hook.held, siem.held} {
		select {
		case <-c:
		case <-time.After(90 * time.Second):
			t.Fatal("a receiver never got the request it holds")
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(botRelease)
	close(hook.release)
	close(siem.release)

	notifier(t, cfg)

	// The Slack bot: one message per story, each rewritten with its
	// three reports' sources.
	until(t, "every story's message with its three reports", func() bool {
		msgs := api.Messages()
		if len(msgs) != stories {
			return false
		}
		for _, m := range msgs {
			if !strings.Contains(string(m.Blocks), "Feed 1") || !strings.Contains(string(m.Blocks), "Feed 2") {
				return false
			}
		}
		return true
	})
	if n := api.Calls("chat.postMessage"); n != stories {
		t.Errorf("the bot posted %d times for %d stories", n, stories)
	}

	// The webhook: each story's alert and its two updates, each once
	// after dropping repeats by webhook-id; a repeat is the same request.
	until(t, "every alert and update at the webhook", func() bool {
		ids := map[string]bool{}
		for _, r := range siem.received() {
			ids[r.id] = true
		}
		return len(ids) == stories*reports
	})
	first := map[string][]byte{}
	alerts, updates, repeats := map[string]int{}, map[string]int{}, 0
	for _, r := range siem.received() {
		if err := verifySignature(r); err != nil {
			t.Error(err)
		}
		if prev, ok := first[r.id]; ok {
			repeats++
			if !bytes.Equal(prev, r.body) {
				t.Errorf("%s repeated with another body", r.id)
			}
			continue
		}
		first[r.id] = r.body
		var body struct {
			Type  string         `json:"type"`
			Story *payload.Story `json:"story"`
		}
		_ = json.Unmarshal(r.body, &body)
		if body.Type == "story.updated" {
			updates[body.Story.ID]++
		} else {
			alerts[body.Story.ID]++
		}
	}
	for s := range stories {
		id := fmt.Sprintf("story-%d", s)
		if alerts[id] != 1 || updates[id] != reports-1 {
			t.Errorf("%s: %d alerts, %d updates at the webhook; want 1 and %d", id, alerts[id], updates[id], reports-1)
		}
	}

	// The incoming webhook: each story's message, and its later reports
	// in follow-ups, each named once.
	until(t, "every later report in a follow-up", func() bool {
		named := 0
		for _, r := range hook.received() {
			var m struct{ Text string }
			_ = json.Unmarshal(r.body, &m)
			if strings.HasPrefix(m.Text, "Also reported by") {
				named += strings.Count(m.Text, "Feed ")
			}
		}
		return named >= stories*(reports-1)
	})
	messages := map[string]int{}
	var followUps []string
	for _, r := range hook.received() {
		var m struct{ Text string }
		_ = json.Unmarshal(r.body, &m)
		if strings.HasPrefix(m.Text, "Also reported by") {
			followUps = append(followUps, m.Text)
		} else {
			messages[m.Text]++
		}
	}
	again := 0
	for text, n := range messages {
		again += n - 1
		if n > 2 {
			t.Errorf("%q posted %d times", text, n)
		}
	}
	if len(messages) != stories || again > 1 {
		t.Errorf("%d stories posted to the incoming webhook, %d messages repeated; want %d stories and at most the one held at the kill", len(messages), again, stories)
	}
	for s := range stories {
		for r := 1; r < reports; r++ {
			name := fmt.Sprintf("Feed %d", r)
			title := fmt.Sprintf("Story %d, report 0", s)
			n := 0
			for _, f := range followUps {
				if strings.Contains(f, title) && strings.Contains(f, name) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s of story %d named in %d follow-ups, want 1: %q", name, s, n, followUps)
			}
		}
	}
	t.Logf("bot: %d posts, %d updates; webhook: %d requests, %d repeats by webhook-id; incoming webhook: %d stories, %d repeated, %d follow-ups",
		api.Calls("chat.postMessage"), api.Calls("chat.update"), len(siem.received()), repeats, len(messages), again, len(followUps))
}

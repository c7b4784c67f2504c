package cluster

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/notify/slack/slacktest"
)

// Receiver is a webhook endpoint for a notification route: it records each
// delivery by farm item and by webhook-id.
type Receiver struct {
	*httptest.Server
	// Delay holds each delivery before it is answered, so that deliveries
	// are in flight when a fault is injected; set it before the first.
	Delay    time.Duration
	inflight atomic.Int64
	mu       sync.Mutex
	perKey   map[string]int
	ids      map[string]int
	total    int
}

// NewReceiver listens on loopback.
func NewReceiver() *Receiver {
	rc := &Receiver{perKey: map[string]int{}, ids: map[string]int{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.inflight.Add(1)
		defer rc.inflight.Add(-1)
		if rc.Delay > 0 {
			select {
			case <-time.After(rc.Delay):
			case <-r.Context().Done():
				return
			}
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var a vigie.Alert
		if err != nil || json.Unmarshal(body, &a) != nil {
			http.Error(w, "not an alert", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.total++
		rc.ids[r.Header.Get("webhook-id")]++
		if _, key, ok := strings.Cut(a.URL, "/item/"); ok {
			rc.perKey[key]++
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	return rc
}

// Deliveries is what the receiver got: deliveries per item key, the number
// of deliveries, and how many repeated a webhook-id already received (a
// redelivery the receiver can recognise).
func (rc *Receiver) Deliveries() (perKey map[string]int, total, repeats int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	perKey = make(map[string]int, len(rc.perKey))
	for k, v := range rc.perKey {
		perKey[k] = v
	}
	for _, n := range rc.ids {
		repeats += n - 1
	}
	return perKey, rc.total, repeats
}

// InFlight is the number of deliveries being received.
func (rc *Receiver) InFlight() int64 { return rc.inflight.Load() }

// SlackChannel is a Slack channel that a bot-token route posts to (the
// Web API stand-in of slacktest): it counts the messages posted for each
// farm item.
type SlackChannel struct {
	*slacktest.API
	// Delay holds each chat.postMessage before it is carried out, so that
	// posts are in flight when a fault is injected; set it before the
	// first.
	Delay    time.Duration
	inflight atomic.Int64
}

// slackToken is the bot token the stand-in wants and the routes send.
const slackToken = "xoxb-cluster-harness"

// slackChannelID is the channel the routes post in.
const slackChannelID = "C0HARNESS"

// slackRoute names the Slack route; its consumer is notify-<name>.
const slackRoute = "harness-slack"

// NewSlackChannel starts the stand-in on loopback.
func NewSlackChannel(t testing.TB) *SlackChannel {
	sc := &SlackChannel{API: slacktest.NewAPI(t, slackToken)}
	sc.Hold(func(method string, _ int, r *http.Request) {
		if method != "chat.postMessage" || sc.Delay <= 0 {
			return
		}
		sc.inflight.Add(1)
		defer sc.inflight.Add(-1)
		// Slack posts what it received, whatever becomes of the client.
		time.Sleep(sc.Delay)
	})
	return sc
}

// itemLink finds a farm item's key (feed/n) in a message's link.
var itemLink = regexp.MustCompile(`/item/([a-z0-9-]+/[0-9]+)`)

// Deliveries is what the channel holds: messages per farm item key (a
// message names its item's link once or more: it counts once), and the
// number of messages.
func (sc *SlackChannel) Deliveries() (perKey map[string]int, total int) {
	perKey = map[string]int{}
	msgs := sc.Messages()
	for _, m := range msgs {
		if k := itemLink.FindStringSubmatch(m.Text + string(m.Blocks)); k != nil {
			perKey[k[1]]++
		}
	}
	return perKey, len(msgs)
}

// InFlight is the number of posts being held.
func (sc *SlackChannel) InFlight() int64 { return sc.inflight.Load() }

package notify_test

import (
	"fmt"
	"net/http"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

// TestDigestCopiesDeliveredOnce publishes alerts while a digest is being
// retried for longer than the ack wait: those wait, pulled but not yet held,
// and JetStream delivers them again. Each must still go out once.
func TestDigestCopiesDeliveredOnce(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	var upAt atomic.Int64
	// Down for three ack waits: the later alerts are handed over again
	// while the digest is retried.
	upAt.Store(time.Now().Add(3 * time.Second).UnixNano())
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, id string, n int) int {
		if time.Now().UnixNano() < upAt.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	route := webhookRoute("hourly", rc.srv.URL, config.Match{})
	route.Timeout, route.Digest = 10*time.Second, time.Second
	start(t, b.JS, []config.Route{route}, notify.WithDigestAckWait(notify.Options{Backoff: func(int) time.Duration { return time.Second }}, time.Second))
	publish(t, b, newAlert("first", "fr", "vna-fr", 5, "norms"))
	waitFor(t, "the first digest failing", rc.wake, func() bool { return len(rc.requests()) >= 1 })
	publish(t, b, newAlert("later1", "fr", "vna-fr", 5, "norms"), newAlert("later2", "fr", "vna-fr", 5, "norms"))

	count := func() map[string]int {
		n := map[string]int{}
		for _, r := range rc.requests() {
			if r.Status == http.StatusOK {
				for _, id := range alertIDs(r.Body) {
					n[id]++
				}
			}
		}
		return n
	}
	waitFor(t, "every alert delivered", rc.wake, func() bool { return len(count()) == 3 && consumerIdle(t, b.JS, "hourly") })
	time.Sleep(2 * time.Second) // room for a copy to go out in a further digest (two periods)
	for id, n := range count() {
		if n != 1 {
			t.Errorf("%s delivered %d times, want once", id, n)
		}
	}
}

// TestSlackDigestLongerThanAckWait sends a Slack digest of 100 alerts, 20 a
// message at one message every half second: twice the ack wait, with the
// receiver answering 200 throughout. No alert may be posted twice.
func TestSlackDigestLongerThanAckWait(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	rc := newReceiver(t, nil)
	var seq atomic.Int64
	rc.idOf = func([]byte) string { return fmt.Sprint(seq.Add(1)) }
	route := config.Route{Name: "slack-digest", Type: "slack", URL: rc.srv.URL + "/services/T/B/X", Timeout: 10 * time.Second, Digest: time.Second}
	start(t, b.JS, []config.Route{route}, notify.WithDigestAckWait(notify.Options{SlackInterval: 500 * time.Millisecond}, time.Second))
	const n = 100
	for i := range n {
		publish(t, b, newAlert(fmt.Sprintf("s%03d", i), "fr", "vna-fr", 5, "norms"))
	}
	alertRe := regexp.MustCompile(`Alert (s\d{3})`)
	count := func() map[string]int {
		c := map[string]int{}
		for _, r := range rc.requests() {
			inMessage := map[string]bool{}
			for _, m := range alertRe.FindAllStringSubmatch(string(r.Body), -1) {
				inMessage[m[1]] = true
			}
			for id := range inMessage {
				c[id]++
			}
		}
		return c
	}
	waitFor(t, "every alert posted", rc.wake, func() bool { return len(count()) == n && consumerIdle(t, b.JS, "slack-digest") })
	time.Sleep(2 * time.Second) // room for a copy to go out in a further digest (two periods)
	for id, c := range count() {
		if c != 1 {
			t.Errorf("%s posted %d times, want once", id, c)
		}
	}
}

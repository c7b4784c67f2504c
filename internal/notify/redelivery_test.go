package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

// TestRedeliveryOfANotedAlertIsNotSent: JetStream hands an alert over again
// when the ack of its delivery was lost (the NATS node leading the consumer
// stopped). The route sees the delivery noted as sent and acks it without
// posting it twice; an alert whose earlier attempt failed is posted again.
func TestRedeliveryOfANotedAlertIsNotSent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		noteFirst bool // a delivery of the alert is noted as sent before its retry
		want      int  // requests the receiver gets
	}{
		{"noted as sent before the retry", true, 1},
		{"not noted: the retry posts", false, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := openBroker(t, t.TempDir())
			defer closeBroker(t, b)
			first := make(chan struct{})
			release := make(chan struct{})
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, id string, n int) int {
				if n == 1 {
					close(first)
					<-release // answer the first attempt once the test is ready
					w.WriteHeader(http.StatusServiceUnavailable)
					return http.StatusServiceUnavailable
				}
				w.WriteHeader(http.StatusNoContent)
				return http.StatusNoContent
			})
			route := webhookRoute("siem", rc.srv.URL, config.Match{})
			// The retry waits long enough for the test to note the alert
			// as another instance would have.
			svc := start(t, b.JS, []config.Route{route}, notify.Options{Backoff: func(int) time.Duration { return 2 * time.Second }})
			a := newAlert("once", "fr", "vna-fr", 5, "norms")
			publish(t, b, a)
			<-first
			close(release)
			if tt.noteFirst {
				// Once the failed attempt is noted (retrying), the note says
				// sent, as an instance that delivered it and lost the ack
				// would have left it.
				kv, err := b.JS.KeyValue(context.Background(), notify.DeliveriesBucket)
				if err != nil {
					t.Fatal(err)
				}
				key := notify.DeliveryKey("once.cyber-diplomacy") + ".siem"
				waitFor(t, "the failed attempt noted", nil, func() bool {
					e, err := kv.Get(context.Background(), key)
					var d notify.Delivery
					return err == nil && json.Unmarshal(e.Value(), &d) == nil && d.State == notify.DeliveryRetrying
				})
				data, _ := json.Marshal(notify.Delivery{State: notify.DeliverySent, Attempts: 1, At: time.Now()})
				if _, err := kv.Put(context.Background(), key, data); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "the alert settled", nil, func() bool {
				return rc.count("once.cyber-diplomacy") == tt.want && consumerIdle(t, b.JS, "siem")
			})
			svc.stop(t)
			if n := rc.count("once.cyber-diplomacy"); n != tt.want {
				t.Errorf("the receiver got %d requests, want %d", n, tt.want)
			}
		})
	}
}

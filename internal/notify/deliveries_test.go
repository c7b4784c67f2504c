package notify_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

// Each route's outcome for an alert is noted in the deliveries bucket:
// sent, retrying while the receiver fails, failed once it gave up.
func TestDeliveriesNoted(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	var healed atomic.Bool
	ok := newReceiver(t, nil)
	flaky := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ string, _ int) int {
		if healed.Load() {
			return http.StatusOK
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return http.StatusServiceUnavailable
	})
	gone := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ string, _ int) int {
		w.WriteHeader(http.StatusGone)
		return http.StatusGone
	})
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	start(t, b.JS, []config.Route{
		webhookRoute("ok", ok.srv.URL, config.Match{}),
		webhookRoute("flaky", flaky.srv.URL, config.Match{}),
		webhookRoute("gone", gone.srv.URL, config.Match{}),
		webhookRoute("english", ok.srv.URL, config.Match{Languages: []string{"en"}}),
	}, notify.Options{Now: func() time.Time { return at }})
	publish(t, b, newAlert("a1", "fr", "vna-fr", 5, "norms"))
	id := "a1.cyber-diplomacy"

	get := func() map[string]notify.Delivery {
		got, err := notify.Deliveries(context.Background(), b.JS, []string{id, "absent.cyber-diplomacy"})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got["absent.cyber-diplomacy"]; ok {
			t.Error("an alert never published has deliveries")
		}
		return got[id]
	}
	var d map[string]notify.Delivery
	waitFor(t, "sent, retrying and failed noted", nil, func() bool {
		d = get()
		return d["ok"].State == notify.DeliverySent && d["flaky"].State == notify.DeliveryRetrying && d["gone"].State == notify.DeliveryFailed
	})
	if f := d["flaky"]; f.Status != http.StatusServiceUnavailable || f.Attempts < 1 || f.Error == "" || !f.At.Equal(at) {
		t.Errorf("retrying delivery = %+v", f)
	}
	if g := d["gone"]; g.Status != http.StatusGone || g.Attempts != 1 {
		t.Errorf("failed delivery = %+v", g)
	}
	if _, ok := d["english"]; ok {
		t.Errorf("a route whose match leaves the alert out has a delivery: %+v", d["english"])
	}

	healed.Store(true)
	waitFor(t, "the retried delivery noted as sent", nil, func() bool {
		d = get()
		return d["flaky"].State == notify.DeliverySent
	})
	if d["flaky"].Attempts < 2 || d["ok"].State != notify.DeliverySent || d["gone"].State != notify.DeliveryFailed {
		t.Errorf("deliveries after the retry = %+v", d)
	}
}

// Without a notifier ever started there is no bucket, and no deliveries.
func TestDeliveriesWithoutBucket(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	got, err := notify.Deliveries(context.Background(), b.JS, []string{"a1.cyber-diplomacy"})
	if err != nil || len(got) != 0 {
		t.Errorf("Deliveries = %v, %v; want none", got, err)
	}
}

func TestDeliveryKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0123abcd.cyber-diplomacy": "0123abcd.cyber-diplomacy",
		"id.rules/my file":         "id.rules_my_file",
	} {
		if got := notify.DeliveryKey(in); got != want {
			t.Errorf("DeliveryKey(%q) = %q, want %q", in, got, want)
		}
	}
}

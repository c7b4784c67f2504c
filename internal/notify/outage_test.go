package notify_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

// handedOver is an alert as a route's consumer hands it over while the
// NATS node that leads the consumer is stopped: its first failAcks acks
// (and naks) reach no server.
type handedOver struct {
	data      []byte
	delivered uint64
	failAcks  int32
	acks      atomic.Int32 // acks and naks tried
	acked     atomic.Bool
	naked     atomic.Bool
}

func (m *handedOver) reply(nak bool) error {
	if m.acks.Add(1) <= m.failAcks {
		return nats.ErrNoResponders
	}
	if nak {
		m.naked.Store(true)
	} else {
		m.acked.Store(true)
	}
	return nil
}

func (m *handedOver) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{NumDelivered: m.delivered, Timestamp: time.Now()}, nil
}
func (m *handedOver) Data() []byte                       { return m.data }
func (m *handedOver) Headers() nats.Header               { return nil }
func (m *handedOver) Subject() string                    { return "news.alert.cyber-diplomacy.fr.vna-fr" }
func (m *handedOver) Reply() string                      { return "" }
func (m *handedOver) Ack() error                         { return m.reply(false) }
func (m *handedOver) DoubleAck(context.Context) error    { return m.reply(false) }
func (m *handedOver) Nak() error                         { return m.reply(true) }
func (m *handedOver) NakWithDelay(time.Duration) error   { return m.reply(true) }
func (m *handedOver) InProgress() error                  { return nil }
func (m *handedOver) Term() error                        { return m.reply(true) }
func (m *handedOver) TermWithReason(reason string) error { return m.reply(true) }
func (m *handedOver) String() string                     { return string(m.data) }

// TestDeliveryNotedAsSentThroughAnOutage stops what a delivery writes
// after it reaches the receiver, as a NATS node's stop does in a cluster:
// the bucket of delivery notes answers no one (its stream's leader is
// gone) and the ack of the delivery is lost. When the alert is handed over
// again, it must not be posted twice: the note that it was sent waits for
// the bucket to answer again, and a note that cannot be read holds the
// alert back rather than posting it blind.
func TestDeliveryNotedAsSentThroughAnOutage(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	ctx := context.Background()
	rc := newReceiver(t, nil)
	var logs syncBuffer
	svc, err := notify.New(ctx, b.JS, []config.Route{webhookRoute("siem", rc.srv.URL, config.Match{})}, notify.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(newAlert("outage", "fr", "vna-fr", 5, "norms"))
	const id = "outage.cyber-diplomacy"

	t.Run("the note waits for the bucket", func(t *testing.T) {
		if err := b.JS.DeleteKeyValue(ctx, notify.DeliveriesBucket); err != nil {
			t.Fatal(err)
		}
		first := &handedOver{data: data, delivered: 1, failAcks: 1}
		done := make(chan struct{})
		go func() { defer close(done); svc.Handle("siem", first) }()
		// The bucket answers again once the note has failed, as one
		// does once another node leads its stream.
		waitFor(t, "the note of the delivery failing", nil, func() bool {
			return strings.Contains(logs.String(), "delivery outcome not noted")
		})
		if _, err := b.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: notify.DeliveriesBucket}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the delivery did not end")
		}
		// The ack was lost, or JetStream hands the alert over again all
		// the same.
		again := &handedOver{data: data, delivered: 2}
		svc.Handle("siem", again)
		if n := rc.count(id); n != 1 {
			t.Errorf("the receiver got the alert %d times, want once", n)
		}
		if !again.acked.Load() {
			t.Error("the alert handed over again was not acked")
		}
	})

	t.Run("an unreadable note holds the alert back", func(t *testing.T) {
		if err := b.JS.DeleteKeyValue(ctx, notify.DeliveriesBucket); err != nil {
			t.Fatal(err)
		}
		again := &handedOver{data: data, delivered: 3}
		svc.Handle("siem", again)
		if n := rc.count(id); n != 1 {
			t.Errorf("the receiver got the alert %d times, want once", n)
		}
		if !again.naked.Load() || again.acked.Load() {
			t.Errorf("naked %v, acked %v: want it put back for later", again.naked.Load(), again.acked.Load())
		}
	})
}

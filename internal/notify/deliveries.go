package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
)

// DeliveriesBucket is the KV bucket where each route's latest outcome for
// an alert is noted, under <alert key>.<route> (see DeliveryKey), for the
// status page and whoever wants to know whether an alert reached its
// receivers.
const (
	DeliveriesBucket = "vigie_deliveries"
	// deliveriesTTL is how long the outcome of a delivery is kept.
	deliveriesTTL = 90 * 24 * time.Hour
)

// Delivery states, as the status page shows them.
const (
	DeliverySent     = "sent"
	DeliveryRetrying = "retrying"
	DeliveryFailed   = "failed"
	// DeliveryPending is never stored: a reader says it of an alert that a
	// route selects and has not attempted yet.
	DeliveryPending = "pending"
)

// Delivery is a route's latest outcome for one alert.
type Delivery struct {
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	// Status is the receiver's last HTTP status, 0 when it did not answer
	// (or was not asked yet).
	Status int `json:"status,omitempty"`
	// Error is the last failure, with the receiver's URL redacted.
	Error string    `json:"error,omitempty"`
	At    time.Time `json:"at"`
}

// DeliveryKey is the key of an alert in DeliveriesBucket: its Nats-Msg-Id
// (item id and classifier), with any character a key may not hold
// replaced by "_". A route's outcome is under DeliveryKey(id) + "." + route.
func DeliveryKey(alertID string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '=', r == '.':
			return r
		}
		return '_'
	}, alertID)
}

// ensureKV returns a setup call that creates or updates the bucket, kept
// on file with the service's replicas, and sets *kv to it.
func (s *Service) ensureKV(kv *jetstream.KeyValue, bucket, description string, ttl time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		b, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      bucket,
			Description: description,
			TTL:         ttl,
			Storage:     jetstream.FileStorage,
			Replicas:    s.opts.Replicas,
		})
		if err != nil {
			return err
		}
		*kv = b
		return nil
	}
}

// note records a route's outcome for an alert. It is a courtesy to
// readers, not part of delivering: a failure to write it is logged when it
// changes and never holds up the alert.
func (r *route) note(a *vigie.Alert, d Delivery) {
	if a == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_ = r.noteID(ctx, a.AlertID(), d)
}

// noteSent records that an alert reached the route's receiver, before its
// ack: should the ack be lost, the alert handed over again is known as
// delivered and not posted twice. Unlike other notes it is worth waiting
// for: it is tried again until deadline while NATS does not answer (the
// node leading the bucket's stream stopped, its successor not yet elected).
func (r *route) noteSent(a *vigie.Alert, attempt int, deadline time.Time) {
	d := Delivery{State: DeliverySent, Attempts: attempt, At: r.svc.opts.Now()}
	err := untilAnswered(deadline, func(ctx context.Context) error { return r.noteID(ctx, a.AlertID(), d) })
	if err != nil {
		r.log.Warn("delivery not noted as sent: should its ack be lost too, the alert will be sent again", "alert", a.AlertID(), "error", err)
	}
}

// noteID writes a route's outcome for an alert known by its id
// (Nats-Msg-Id), logging a failure when it changes.
func (r *route) noteID(ctx context.Context, alertID string, d Delivery) error {
	kv := r.svc.deliveries
	if kv == nil {
		return nil
	}
	d.At = d.At.UTC()
	data, _ := json.Marshal(d)
	// One key per alert and route: a write needs no read, and routes never
	// write over each other.
	_, err := kv.Put(ctx, DeliveryKey(alertID)+"."+r.cfg.Name, data)
	r.mu.Lock()
	was := r.noteErr
	r.noteErr = ""
	if err != nil {
		r.noteErr = err.Error()
	}
	r.mu.Unlock()
	if err != nil && err.Error() != was {
		r.log.Warn("delivery outcome not noted for the status page", "bucket", DeliveriesBucket, "error", err)
	}
	return err
}

// noted is the state of the route's latest outcome for an alert, as
// noted in DeliveriesBucket, "" when none is. A bucket that does not
// answer is asked again until deadline; then its error is returned: the
// caller cannot tell whether the alert was delivered.
func (r *route) noted(a *vigie.Alert, deadline time.Time) (string, error) {
	kv := r.svc.deliveries
	if kv == nil {
		return "", nil
	}
	var state string
	err := untilAnswered(deadline, func(ctx context.Context) error {
		e, err := kv.Get(ctx, DeliveryKey(a.AlertID())+"."+r.cfg.Name)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var d Delivery
		if json.Unmarshal(e.Value(), &d) == nil {
			state = d.State
		}
		return nil
	})
	return state, err
}

// Deliveries returns each route's latest outcome for the alerts of ids
// (Nats-Msg-Ids), by id and route; alerts no route attempted are absent.
// It returns nothing, and no error, when no notifier ever ran.
func Deliveries(ctx context.Context, js jetstream.JetStream, ids []string) (map[string]map[string]Delivery, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	kv, err := js.KeyValue(ctx, DeliveriesBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kv %s: %w", DeliveriesBucket, err)
	}
	byKey := map[string]string{}
	filters := make([]string, 0, len(ids))
	for _, id := range ids {
		k := DeliveryKey(id)
		byKey[k] = id
		filters = append(filters, k+".*")
	}
	// One watch of every alert's keys gives their last values, then nil.
	out := map[string]map[string]Delivery{}
	err = broker.ReadCurrent(ctx, kv, filters, func(e jetstream.KeyValueEntry) {
		i := strings.LastIndexByte(e.Key(), '.')
		id, known := byKey[e.Key()[:max(i, 0)]]
		var d Delivery
		if i < 0 || !known || json.Unmarshal(e.Value(), &d) != nil {
			return
		}
		if out[id] == nil {
			out[id] = map[string]Delivery{}
		}
		out[id][e.Key()[i+1:]] = d
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

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

func (s *Service) ensureDeliveries(ctx context.Context) error {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      DeliveriesBucket,
		Description: "Each alert's deliveries: the latest outcome per route",
		TTL:         deliveriesTTL,
		Storage:     jetstream.FileStorage,
		Replicas:    s.opts.Replicas,
	})
	if err != nil {
		return fmt.Errorf("kv %s: %w", DeliveriesBucket, err)
	}
	s.deliveries = kv
	return nil
}

// note records a route's outcome for an alert. It is a courtesy to
// readers, not part of delivering: a failure to write it is logged when it
// changes and never holds up the alert.
func (r *route) note(a *vigie.Alert, d Delivery) {
	if a == nil {
		return
	}
	r.noteID(a.AlertID(), d)
}

// noteID is note for an alert known by its id (Nats-Msg-Id).
func (r *route) noteID(alertID string, d Delivery) {
	kv := r.svc.deliveries
	if kv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
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
}

// noted is the state of the route's latest outcome for an alert, as
// noted in DeliveriesBucket; "" when none is, or it cannot be read.
func (r *route) noted(ctx context.Context, a *vigie.Alert) string {
	kv := r.svc.deliveries
	if kv == nil {
		return ""
	}
	gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	e, err := kv.Get(gctx, DeliveryKey(a.AlertID())+"."+r.cfg.Name)
	if err != nil {
		return ""
	}
	var d Delivery
	if json.Unmarshal(e.Value(), &d) != nil {
		return ""
	}
	return d.State
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
	w, err := kv.WatchFiltered(ctx, filters, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", DeliveriesBucket, err)
	}
	defer func() { _ = w.Stop() }()
	out := map[string]map[string]Delivery{}
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("read %s: watch ended", DeliveriesBucket)
			}
			if e == nil {
				return out, nil
			}
			i := strings.LastIndexByte(e.Key(), '.')
			id, known := byKey[e.Key()[:max(i, 0)]]
			var d Delivery
			if i < 0 || !known || json.Unmarshal(e.Value(), &d) != nil {
				continue
			}
			if out[id] == nil {
				out[id] = map[string]Delivery{}
			}
			out[id][e.Key()[i+1:]] = d
		}
	}
}

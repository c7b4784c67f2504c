package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
)

// The stream where final delivery failures are recorded, one message per
// alert and route on FailedSubjectPrefix.<route>.
const (
	FailedStream        = "VIGIE_NOTIFY_FAILED"
	FailedSubjectPrefix = "vigie.notify.failed"
	// failedMaxAge is how long failure records are kept.
	failedMaxAge = 90 * 24 * time.Hour
)

// Failure is an alert a route gave up on.
type Failure struct {
	// ID is the record's sequence in FailedStream, set when it is read:
	// how `vigie failures` names it.
	ID      uint64 `json:"id,omitempty"`
	Route   string `json:"route"`
	AlertID string `json:"alert_id"`
	Title   string `json:"title"`
	// Status is the receiver's last HTTP status, 0 when it did not answer.
	Status   int       `json:"status"`
	Error    string    `json:"error"`
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
	// Alert is the vigie.alert/v1 payload, for a replay.
	Alert json.RawMessage `json:"alert,omitempty"`
}

func (s *Service) ensureFailedStream(ctx context.Context) error {
	_, err := s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        FailedStream,
		Description: "Alerts that a notification route gave up on",
		Subjects:    []string{FailedSubjectPrefix + ".>"},
		MaxAge:      failedMaxAge,
		// One record per alert and route, even if the process stops between
		// writing the record and terming the alert.
		Duplicates: 24 * time.Hour,
		Storage:    jetstream.FileStorage,
		Replicas:   s.opts.Replicas,
	})
	if err != nil {
		return fmt.Errorf("stream %s: %w", FailedStream, err)
	}
	return nil
}

func failureRecord(routeName string, m jetstream.Msg, a *vigie.Alert, attempts, status int, err error, now time.Time) Failure {
	f := Failure{Route: routeName, Status: status, Error: err.Error(), Attempts: attempts, At: now.UTC()}
	if a != nil {
		f.AlertID = a.AlertID()
		f.Title = a.Title
	} else if m != nil {
		f.AlertID = m.Headers().Get(jetstream.MsgIDHeader)
	}
	if f.AlertID == "" && m != nil {
		if md, err := m.Metadata(); err == nil {
			f.AlertID = fmt.Sprintf("seq-%d", md.Sequence.Stream)
		}
	}
	return f
}

// record writes a failure and waits for JetStream to store it.
func (s *Service) record(ctx context.Context, f Failure, payload []byte) error {
	if json.Valid(payload) {
		f.Alert = payload
	}
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(FailedSubjectPrefix + "." + f.Route)
	msg.Data = data
	if _, err := s.js.PublishMsg(ctx, msg, jetstream.WithMsgID(f.Route+"."+f.AlertID)); err != nil {
		return fmt.Errorf("record failure in %s: %w", FailedStream, err)
	}
	return nil
}

// Failures lists the recorded final failures, oldest first; none when the
// stream does not exist yet.
func Failures(ctx context.Context, js jetstream.JetStream) ([]Failure, error) {
	st, err := js.Stream(ctx, FailedStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", FailedStream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", FailedStream, err)
	}
	if info.State.Msgs == 0 {
		return nil, nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", FailedStream, err)
	}
	var out []Failure
	for {
		batch, err := cons.FetchNoWait(256)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", FailedStream, err)
		}
		n, last := 0, false
		for m := range batch.Messages() {
			n++
			var f Failure
			if err := json.Unmarshal(m.Data(), &f); err != nil {
				return nil, fmt.Errorf("read %s: %w", FailedStream, err)
			}
			md, err := m.Metadata()
			if err == nil {
				f.ID = md.Sequence.Stream
			}
			out = append(out, f)
			if err == nil && md.NumPending == 0 {
				last = true
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("read %s: %w", FailedStream, err)
		}
		if last || n == 0 {
			return out, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

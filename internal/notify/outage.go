package notify

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie/internal/backoff"
)

// callTimeout bounds one call to NATS made by untilAnswered.
const callTimeout = 5 * time.Second

// outageBackoff spaces untilAnswered's calls: 100 ms after the first
// failure, twice as long after each next one, at most 2 s.
var outageBackoff = backoff.Exponential{Base: 100 * time.Millisecond, Cap: 2 * time.Second}

// untilAnswered calls f until it succeeds or deadline passes, waiting
// after each failure as outageBackoff says, and returns f's last error. While the NATS node that
// leads a stream or a consumer is stopped, the cluster answers again once
// another node is elected, a few seconds later: what must reach NATS after
// a delivery (the note that it was sent, its ack) waits for that rather
// than being lost with the node. Each call gets at most callTimeout; it is
// tried at least once.
func untilAnswered(deadline time.Time, f func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		wait := outageBackoff.Nominal(attempt)
		by := time.Now().Add(callTimeout)
		if deadline.Before(by) {
			// At least a second, for the one try past the deadline.
			by = later(deadline, time.Now().Add(time.Second))
		}
		ctx, cancel := context.WithDeadline(context.Background(), by)
		err := f(ctx)
		cancel()
		if err == nil || errors.Is(err, jetstream.ErrMsgAlreadyAckd) || time.Until(deadline) < wait {
			return err
		}
		time.Sleep(wait)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// settleBy is the deadline for what follows a delivery (its note and its
// ack) when the cluster does not answer: a third of the ack wait, so that
// the attempt and its aftermath end before JetStream would hand the alert
// to another worker.
func (r *route) settleBy() time.Time { return time.Now().Add(r.ackWait() / 3) }

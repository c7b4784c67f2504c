package notify

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// WithDigestAckWait returns o with the ack wait of digest routes set to d,
// whatever their timeout, for a test that must outlast it.
func WithDigestAckWait(o Options, d time.Duration) Options {
	o.digestAckWait = d
	return o
}

// Handle hands m to a route's delivery, as the route's consumer does.
func (s *Service) Handle(route string, m jetstream.Msg) {
	for _, r := range s.routes {
		if r.cfg.Name == route {
			r.handle(context.Background(), m)
		}
	}
}

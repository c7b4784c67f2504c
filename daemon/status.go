package daemon

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/vigie-news/vigie/internal/status"
)

// errStarting is the status page's answer before NATS is up.
var errStarting = errors.New("starting: NATS is not connected yet")

// pageSource is what the status page reads: the daemon's status reader
// once NATS is up. The listener starts before NATS, so that /healthz
// answers while the models load.
type pageSource struct{ r atomic.Pointer[status.Reader] }

var _ status.Source = (*pageSource)(nil)

func (p *pageSource) reader() (*status.Reader, error) {
	r := p.r.Load()
	if r == nil {
		return nil, errStarting
	}
	return r, nil
}

func (p *pageSource) Feeds(ctx context.Context) ([]status.Feed, error) {
	r, err := p.reader()
	if err != nil {
		return nil, err
	}
	return r.Feeds(ctx)
}

func (p *pageSource) Alerts(ctx context.Context, limit int) ([]status.Alert, error) {
	r, err := p.reader()
	if err != nil {
		return nil, err
	}
	return r.Alerts(ctx, limit)
}

func (p *pageSource) Activity(ctx context.Context) (*status.Activity, error) {
	r, err := p.reader()
	if err != nil {
		return nil, err
	}
	return r.Activity(ctx)
}

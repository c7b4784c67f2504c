package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
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

// StatusOptions say how `vigie status` prints.
type StatusOptions struct {
	// JSON prints {"feeds": [...]} as /api/feeds serves it.
	JSON   bool
	Now    func() time.Time
	Logger *slog.Logger
}

// Status prints the feed table of the status page from Vigie's state in
// NATS: the running daemon's server (nats.url, or the embedded server's
// listen address), or, when none answers, the embedded store under
// data_dir opened by itself.
func Status(ctx context.Context, cfg *config.Config, o StatusOptions, w io.Writer) error {
	return withState(ctx, cfg, &o.Logger, &o.Now, func(b *broker.Broker) error {
		// The page's source, read once.
		var src status.Source = status.NewReader(b.JS, status.Options{Config: func() *config.Config { return cfg }, Now: o.Now, Logger: o.Logger})
		feeds, err := src.Feeds(ctx)
		if err != nil {
			return err
		}
		if o.JSON {
			return status.WriteJSON(w, feeds)
		}
		if err := status.WriteTable(w, feeds, o.Now()); err != nil {
			return err
		}
		return writeFailedLine(ctx, b.JS, w)
	})
}

// writeFailedLine adds to the status the deliveries that failed for good
// and are kept, by route, when there are any.
func writeFailedLine(ctx context.Context, js jetstream.JetStream, w io.Writer) error {
	counts, err := notify.FailedCounts(ctx, js)
	if err != nil {
		return err
	}
	total := 0
	var parts []string
	for _, route := range slices.Sorted(maps.Keys(counts)) {
		total += counts[route]
		parts = append(parts, fmt.Sprintf("%s %d", route, counts[route]))
	}
	if total == 0 {
		return nil
	}
	_, err = fmt.Fprintf(w, "%d failed deliveries kept (%s): vigie failures list\n", total, strings.Join(parts, ", "))
	return err
}

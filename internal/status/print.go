package status

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

// PrintOptions say how `vigie status` prints.
type PrintOptions struct {
	// JSON prints {"feeds": [...]} as /api/feeds serves it.
	JSON   bool
	Now    func() time.Time
	Logger *slog.Logger
}

// Print writes the feed table of the status page, read once from Vigie's
// state in js, then the deliveries that failed for good and are kept,
// when there are any; with JSON, the feeds as /api/feeds serves them.
func Print(ctx context.Context, js jetstream.JetStream, cfg *config.Config, o PrintOptions, w io.Writer) error {
	if o.Now == nil {
		o.Now = time.Now
	}
	feeds, err := NewReader(js, Options{Config: func() *config.Config { return cfg }, Now: o.Now, Logger: o.Logger}).Feeds(ctx)
	if err != nil {
		return err
	}
	if o.JSON {
		return WriteJSON(w, feeds)
	}
	if err := WriteTable(w, feeds, o.Now()); err != nil {
		return err
	}
	return writeFailedLine(ctx, js, w)
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

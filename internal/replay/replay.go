// Package replay is vigie replay: the current rules run over the items
// stored in VIGIE_ITEMS, to see what a rule change would raise before it
// goes live, and publish the alerts not raised yet.
package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/natsconn"
	"github.com/vigie-news/vigie/internal/pipeline"
	"github.com/vigie-news/vigie/internal/tail"
)

// Options say what `vigie replay` runs over and what it does.
type Options struct {
	// Since limits the replay to items stored after this time (zero: all).
	Since time.Time
	// Publish publishes the alerts that the stream does not hold yet;
	// without it the replay is a dry run.
	Publish bool
	// JSON prints each would-be alert as its payload instead of a line.
	JSON bool
	// Progress, when set, receives a progress line now and then.
	Progress io.Writer
	Logger   *slog.Logger
}

// Report counts what a replay found.
type Report struct {
	Items int
	// Alerts is the number of alerts the current rules raise.
	Alerts int
	// New are those alerts that VIGIE_ALERTS does not hold.
	New int
	// Published is the number of new alerts published (with Publish).
	Published int
	// Dropped counts the alerts in VIGIE_ALERTS (for the replayed items)
	// that the current rules no longer raise.
	Dropped int
}

// Run runs the configuration's classifiers over the items stored in
// VIGIE_ITEMS and reports what would alert, so that a rule change can be
// tried on past news before it goes live. Stored items carry their title and
// summary, not the full text: a replay sees what a subscriber sees.
//
// It connects to the running daemon's NATS server; when none answers and the
// configuration uses the embedded server, it opens the store under data_dir
// itself.
func Run(ctx context.Context, cfg *config.Config, o Options, w io.Writer) (*Report, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	cls, set, err := pipeline.LoadRules(cfg)
	if err != nil {
		return nil, err
	}
	p := &pipeline.Pipeline{Classifiers: cls, Entities: set}
	var rep *Report
	err = natsconn.With(ctx, cfg, o.Logger, func(b *broker.Broker) error {
		rep, err = replay(ctx, b, p, o, w)
		return err
	})
	return rep, err
}

// replay runs p's classifiers over the items in b's VIGIE_ITEMS.
func replay(ctx context.Context, b *broker.Broker, p *pipeline.Pipeline, o Options, w io.Writer) (*Report, error) {
	existing, err := alertIDs(ctx, b.JS)
	if err != nil {
		return nil, err
	}
	cc := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if !o.Since.IsZero() {
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &o.Since
	}
	rep := &Report{}
	raised := map[string]bool{}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	err = eachMessage(ctx, b.JS, broker.ItemsStream, cc, func(m jetstream.Msg, pending uint64) error {
		var item vigie.Item
		if err := json.Unmarshal(m.Data(), &item); err != nil || item.ID == "" {
			return nil // not an item payload: skip it
		}
		rep.Items++
		if o.Progress != nil && rep.Items%500 == 0 {
			fmt.Fprintf(o.Progress, "\rreplayed %d items, %d to go", rep.Items, pending)
		}
		// The entities are found again, with the current entity files: items
		// stored before entities existed get them too. Items stored before
		// they carried their text have their summary.
		text := item.Text
		if text == "" {
			text = item.Summary
		}
		_, alerts := p.ClassifyItem(item, text)
		for _, a := range alerts {
			id := a.AlertID()
			raised[id] = true
			rep.Alerts++
			isNew := !existing[id]
			if isNew {
				rep.New++
			}
			if o.JSON {
				if err := enc.Encode(a); err != nil {
					return err
				}
			} else {
				mark := " "
				if isNew {
					mark = "+"
				}
				if _, err := fmt.Fprintf(w, "%s %s\n", mark, tail.AlertLine(&a)); err != nil {
					return fmt.Errorf("write: %w", err)
				}
			}
			if isNew && o.Publish {
				if err := b.PublishAlert(ctx, &a); err != nil {
					return err
				}
				rep.Published++
			}
		}
		for _, c := range p.Classifiers {
			id := vigie.AlertID(item.ID, c.Name())
			if existing[id] && !raised[id] {
				rep.Dropped++
			}
		}
		return nil
	})
	if o.Progress != nil && rep.Items >= 500 {
		fmt.Fprintln(o.Progress)
	}
	return rep, err
}

// alertIDs returns the Nats-Msg-Id of every alert in VIGIE_ALERTS.
func alertIDs(ctx context.Context, js jetstream.JetStream) (map[string]bool, error) {
	ids := map[string]bool{}
	cc := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy, HeadersOnly: true}
	err := eachMessage(ctx, js, broker.AlertsStream, cc, func(m jetstream.Msg, _ uint64) error {
		ids[m.Headers().Get(jetstream.MsgIDHeader)] = true
		return nil
	})
	return ids, err
}

// eachMessage calls fn for every message of a stream stored when it is
// called, then returns.
func eachMessage(ctx context.Context, js jetstream.JetStream, stream string, cc jetstream.OrderedConsumerConfig, fn func(jetstream.Msg, uint64) error) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		return nil
	}
	cons, err := s.OrderedConsumer(ctx, cc)
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	for {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return err
			}
			if err := fn(m, meta.NumPending); err != nil {
				return err
			}
			if meta.Sequence.Stream >= last || meta.NumPending == 0 {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		if n == 0 {
			return nil // nothing more (the rest expired meanwhile)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

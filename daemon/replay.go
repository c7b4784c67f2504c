package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
)

// ReplayOptions say what `vigie replay` runs over and what it does.
type ReplayOptions struct {
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

// ReplayReport counts what a replay found.
type ReplayReport struct {
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

// Replay runs the configuration's classifiers over the items stored in
// VIGIE_ITEMS and reports what would alert, so that a rule change can be
// tried on past news before it goes live. Stored items carry their title and
// summary, not the full text: a replay sees what a subscriber sees.
//
// It connects to the running daemon's NATS server; when none answers and the
// configuration uses the embedded server, it opens the store under data_dir
// itself.
func Replay(ctx context.Context, cfg *config.Config, o ReplayOptions, w io.Writer) (*ReplayReport, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	cls, err := LoadClassifiers(cfg)
	set, entErr := cfg.LoadEntities()
	if err = joinProblems(err, entErr); err != nil {
		return nil, err
	}
	p := &Pipeline{Classifiers: cls, Entities: set}
	b, err := connectOrOpen(ctx, cfg, o.Logger)
	if err != nil {
		return nil, err
	}
	defer closeBroker(b, 5*time.Second, o.Logger)

	existing, err := alertIDs(ctx, b.JS)
	if err != nil {
		return nil, err
	}
	cc := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if !o.Since.IsZero() {
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &o.Since
	}
	rep := &ReplayReport{}
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
		_, alerts := p.Classify(item, text)
		for _, a := range alerts {
			id := broker.AlertMsgID(&a)
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
				data, _ := json.Marshal(a)
				if _, err := fmt.Fprintf(w, "%s %s\n", mark, AlertLine("", data)); err != nil {
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
			id := item.ID + "." + c.Name()
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

// connectOrOpen joins the NATS server of a configuration: nats.url, or the
// running daemon's embedded server; when that does not answer, it starts
// the embedded server on the store itself, on a port of its own.
// withState runs fn on Vigie's state in NATS, as connectOrOpen reaches it,
// and closes the connection (or the store it opened) after, with the
// logger and clock of a command defaulted when nil.
func withState(ctx context.Context, cfg *config.Config, log **slog.Logger, now *func() time.Time, fn func(b *broker.Broker) error) error {
	if *log == nil {
		*log = slog.Default()
	}
	if now != nil && *now == nil {
		*now = time.Now
	}
	b, err := connectOrOpen(ctx, cfg, *log)
	if err != nil {
		return err
	}
	defer closeBroker(b, 5*time.Second, *log)
	return fn(b)
}

func connectOrOpen(ctx context.Context, cfg *config.Config, log *slog.Logger) (*broker.Broker, error) {
	auth, err := natsAuth(cfg)
	if err != nil {
		return nil, err
	}
	clientOpts, err := auth.ClientOptions()
	if err != nil {
		return nil, err
	}
	opts := broker.Options{
		URL:      cfg.NATS.URL,
		Prefix:   cfg.NATS.SubjectPrefix,
		Replicas: cfg.NATS.Replicas,
		Name:     "vigie-tool",
		Auth:     auth,
		Logger:   log,
	}
	probe := append([]nats.Option{nats.Timeout(2 * time.Second)}, clientOpts...)
	if opts.URL != "" {
		// A one-shot tool does not wait for a server that is down, as the
		// daemon does: it says so.
		nc, err := nats.Connect(opts.URL, probe...)
		if err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", config.RedactURL(opts.URL), err)
		}
		nc.Close()
		return broker.Open(ctx, opts)
	}
	nc, err := nats.Connect(ServerURL(cfg), probe...)
	if err == nil {
		nc.Close()
		opts.URL = ServerURL(cfg)
		return broker.Open(ctx, opts)
	}
	if broker.IsAuthError(err) {
		// A daemon answers, and refuses these credentials.
		return nil, fmt.Errorf("connect to NATS at %s: %w", ServerURL(cfg), err)
	}
	opts.Listen = "127.0.0.1:-1"
	opts.StoreDir = filepath.Join(cfg.DataDir, "jetstream")
	return broker.Open(ctx, opts)
}

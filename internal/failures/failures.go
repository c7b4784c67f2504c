// Package failures is vigie failures: the deliveries that failed for good,
// as notify keeps them in VIGIE_NOTIFY_FAILED, listed, sent again or
// forgotten, in the running daemon's NATS or in the store under data_dir.
package failures

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/natsconn"
	"github.com/vigie-news/vigie/internal/notify"
)

// The actions of `vigie failures`.
const (
	List   = "list"
	Resend = "resend"
	Purge  = "purge"
)

// ErrNoSelection is the error of a resend or purge that names no failure:
// they act on the records chosen by id, route or age, or on all of them
// with --all, never on all by omission.
var ErrNoSelection = errors.New("name the failed deliveries: their IDs, --route, --older-than, or --all")

// ErrNotAllSent is the error of a resend after which some failures are
// still failures (refused again, or skipped).
var ErrNotAllSent = errors.New("not every delivery was sent")

// Options say what `vigie failures` does.
type Options struct {
	// Action is List, Resend or Purge.
	Action string
	// Selection picks the records; list shows every record when it is
	// empty.
	Selection notify.Selection
	// JSON prints a JSON object per record (list) or per result (resend).
	JSON   bool
	Logger *slog.Logger
	// HTTPClient posts resent alerts (nil: a client of its own).
	HTTPClient *http.Client
}

// Run lists, resends or purges the deliveries that failed for good,
// as kept in VIGIE_NOTIFY_FAILED, in the running daemon's NATS or, when
// none answers, in the store under data_dir. It ends with a line that says
// what it did and how many failures are left; a resend that leaves some
// unsent returns ErrNotAllSent.
func Run(ctx context.Context, cfg *config.Config, o Options, w io.Writer) error {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Selection.Now.IsZero() {
		o.Selection.Now = time.Now()
	}
	switch o.Action {
	case List:
	case Resend, Purge:
		if o.Selection.Empty() {
			return diag.List{{Msg: "vigie failures " + o.Action + ": " + ErrNoSelection.Error()}}
		}
	default:
		return diag.List{{Msg: fmt.Sprintf("vigie failures: %q is not list, resend or purge", o.Action)}}
	}
	if o.Action == Resend {
		if err := notify.Check(cfg); err != nil {
			return err
		}
	}
	return natsconn.With(ctx, cfg, o.Logger, func(b *broker.Broker) error {
		return run(ctx, b.JS, cfg, o, w)
	})
}

// run does o.Action on the failed deliveries kept in js.
func run(ctx context.Context, js jetstream.JetStream, cfg *config.Config, o Options, w io.Writer) error {
	all, err := notify.Failures(ctx, js)
	if err != nil {
		return err
	}
	picked := all
	if o.Action != List || !o.Selection.Empty() {
		picked = notify.Select(all, o.Selection)
	}
	left := len(all)
	switch o.Action {
	case List:
		if err := writeFailures(w, picked, o.JSON); err != nil {
			return err
		}
		if len(picked) == len(all) {
			_, err = fmt.Fprintf(w, "%d failed deliveries\n", len(all))
		} else {
			_, err = fmt.Fprintf(w, "%d of %d failed deliveries\n", len(picked), len(all))
		}
		return err
	case Purge:
		n, err := notify.Purge(ctx, js, picked)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "purged %d failed deliveries; %d left\n", n, left-n)
		return err
	}
	results, err := notify.Resend(ctx, js, cfg.Notify, picked, notify.Options{HTTPClient: o.HTTPClient})
	sent, failed, skipped := 0, 0, 0
	enc := json.NewEncoder(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range results {
		switch r.Outcome {
		case notify.ResendSent:
			sent++
		case notify.ResendFailed:
			failed++
		default:
			skipped++
		}
		if o.JSON {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", r.Outcome, r.Failure.ID, r.Failure.Route, r.Failure.AlertID, oneLine(r.Error), r.Failure.Title)
	}
	if ferr := tw.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	fmt.Fprintf(w, "resent %d failed deliveries: %d sent, %d failed again, %d skipped; %d left\n", len(results), sent, failed, skipped, left-sent)
	if err != nil {
		return err
	}
	if failed+skipped > 0 {
		return ErrNotAllSent
	}
	return nil
}

func writeFailures(w io.Writer, fails []notify.Failure, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, f := range fails {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tROUTE\tALERT\tSTATUS\tATTEMPTS\tERROR\tTITLE")
	for _, f := range fails {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", f.ID, f.At.Local().Format(time.DateTime), f.Route, f.AlertID, f.Status, f.Attempts, oneLine(f.Error), f.Title)
	}
	return tw.Flush()
}

// oneLine keeps a message on its line of a table.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// ListAll prints the deliveries that failed for good: `vigie notify
// --failures`, which is `vigie failures list`.
func ListAll(ctx context.Context, cfg *config.Config, w io.Writer, log *slog.Logger) error {
	return Run(ctx, cfg, Options{Action: List, Logger: log}, w)
}

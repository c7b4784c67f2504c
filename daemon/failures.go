package daemon

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

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/notify"
)

// The actions of `vigie failures`.
const (
	FailuresList   = "list"
	FailuresResend = "resend"
	FailuresPurge  = "purge"
)

// ErrNoSelection is the error of a resend or purge that names no failure:
// they act on the records chosen by id, route or age, or on all of them
// with --all, never on all by omission.
var ErrNoSelection = errors.New("name the failed deliveries: their IDs, --route, --older-than, or --all")

// ErrNotAllSent is the error of a resend after which some failures are
// still failures (refused again, or skipped).
var ErrNotAllSent = errors.New("not every delivery was sent")

// FailuresOptions say what `vigie failures` does.
type FailuresOptions struct {
	// Action is FailuresList, FailuresResend or FailuresPurge.
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

// Failures lists, resends or purges the deliveries that failed for good,
// as kept in VIGIE_NOTIFY_FAILED, in the running daemon's NATS or, when
// none answers, in the store under data_dir. It ends with a line that says
// what it did and how many failures are left; a resend that leaves some
// unsent returns ErrNotAllSent.
func Failures(ctx context.Context, cfg *config.Config, o FailuresOptions, w io.Writer) error {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Selection.Now.IsZero() {
		o.Selection.Now = time.Now()
	}
	switch o.Action {
	case FailuresList:
	case FailuresResend, FailuresPurge:
		if o.Selection.Empty() {
			return diag.List{{Msg: "vigie failures " + o.Action + ": " + ErrNoSelection.Error()}}
		}
	default:
		return diag.List{{Msg: fmt.Sprintf("vigie failures: %q is not list, resend or purge", o.Action)}}
	}
	if o.Action == FailuresResend {
		if err := notify.Check(cfg); err != nil {
			return err
		}
	}
	b, err := connectOrOpen(ctx, cfg, o.Logger)
	if err != nil {
		return err
	}
	defer closeBroker(b, 5*time.Second, o.Logger)
	all, err := notify.Failures(ctx, b.JS)
	if err != nil {
		return err
	}
	picked := all
	if o.Action != FailuresList || !o.Selection.Empty() {
		picked = notify.Select(all, o.Selection)
	}
	left := len(all)
	switch o.Action {
	case FailuresList:
		if err := writeFailures(w, picked, o.JSON); err != nil {
			return err
		}
		if len(picked) == len(all) {
			_, err = fmt.Fprintf(w, "%d failed deliveries\n", len(all))
		} else {
			_, err = fmt.Fprintf(w, "%d of %d failed deliveries\n", len(picked), len(all))
		}
		return err
	case FailuresPurge:
		n, err := notify.Purge(ctx, b.JS, picked)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "purged %d failed deliveries; %d left\n", n, left-n)
		return err
	}
	results, err := notify.Resend(ctx, b.JS, cfg.Notify, picked, notify.Options{HTTPClient: o.HTTPClient})
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

// failedRecordsEvery is how often the daemon counts the failed deliveries
// kept, for vigie_notify_failed_records.
const failedRecordsEvery = 30 * time.Second

// watchFailedRecords keeps vigie_notify_failed_records in step with
// VIGIE_NOTIFY_FAILED, which routes add to and `vigie failures` takes
// from, whichever instance or command does it.
func (d *Daemon) watchFailedRecords(ctx context.Context) {
	t := time.NewTicker(failedRecordsEvery)
	defer t.Stop()
	for {
		d.countFailedRecords(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// countFailedRecords sets vigie_notify_failed_records: every configured
// route, at 0 when it has none.
func (d *Daemon) countFailedRecords(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	counts, err := notify.FailedCounts(cctx, d.broker.JS)
	if err != nil {
		d.log.Debug("count failed deliveries", "error", err)
		return
	}
	for _, r := range d.config().Notify {
		counts[r.Name] += 0
	}
	d.metrics.NotifyFailedRecords(counts)
}

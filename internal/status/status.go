// Package status reads what Vigie is doing from its state in NATS (each
// feed's fetch state, the alerts and their deliveries) for the status page
// and `vigie status`, whether or not a daemon is running.
package status

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/notify"
)

// Source is Vigie's state as the status page and `vigie status` show it.
type Source interface {
	// Feeds returns every configured feed, failing ones first.
	Feeds(ctx context.Context) ([]Feed, error)
	// Alerts returns the last limit alerts, newest first.
	Alerts(ctx context.Context, limit int) ([]Alert, error)
	// Activity returns the hourly counts of every feed over the Window.
	Activity(ctx context.Context) (*Activity, error)
}

var _ Source = (*Reader)(nil)

// Feed states, from the worst.
const (
	// StateFailing is a feed whose last fetch failed; it is tried again on
	// its schedule.
	StateFailing = "failing"
	// StateBackingOff is a failing feed whose backoff is longer than its
	// schedule's interval: it has failed several times in a row, and
	// ticks are skipped until the backoff ends.
	StateBackingOff = "backing_off"
	// StateNotRead is a configured feed that no instance has fetched yet.
	StateNotRead = "not_read"
	StateOK      = "ok"
)

// States lists the feed states in the order feeds are shown.
var States = []string{StateFailing, StateBackingOff, StateNotRead, StateOK}

func stateRank(s string) int {
	for i, x := range States {
		if x == s {
			return i
		}
	}
	return len(States)
}

// Feed is one configured feed as the status page shows it. Times are
// absent (null) when unknown.
type Feed struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
	// URL has its user information and query redacted, as in payloads.
	URL  string `json:"url"`
	Host string `json:"host"`
	// Lang is the language the feed's items were found in (most of them
	// over the Window, else those of its last new items); "" before any.
	Lang        string     `json:"lang"`
	State       string     `json:"state"`
	LastFetch   *time.Time `json:"last_fetch"`
	LastSuccess *time.Time `json:"last_success"`
	NextFetch   *time.Time `json:"next_fetch"`
	// LastError says in words why the last fetch failed (or that the feed
	// was damaged and read up to the damage); "" when it did not.
	LastError string `json:"last_error"`
	// ErrorDetail is the error as the fetch reported it (URLs redacted).
	ErrorDetail string     `json:"error_detail,omitempty"`
	LastStatus  int        `json:"last_status,omitempty"`
	Failures    int        `json:"consecutive_failures"`
	Items24h    int        `json:"items_24h"`
	Alerts24h   int        `json:"alerts_24h"`
	Errors24h   int        `json:"errors_24h"`
	LastNewItem *time.Time `json:"last_new_item"`
}

// Alert is a published alert with what each route did with it.
type Alert struct {
	// Seq is the alert's sequence in VIGIE_ALERTS, Stored when it was stored.
	Seq    uint64    `json:"seq"`
	Stored time.Time `json:"stored"`
	// Payload is the vigie.alert/v1 payload as it was published, so that
	// fields this version does not know reach the page too, without its
	// "text" (the whole text classified; the summary stays).
	Payload json.RawMessage `json:"alert"`
	// Alert is the payload decoded.
	Alert      vigie.Alert `json:"-"`
	Deliveries []Delivery  `json:"deliveries"`
}

// Delivery is a route's latest outcome for an alert: sent, retrying,
// failed, or pending (the route wants it and has not attempted it yet).
type Delivery struct {
	Route string `json:"route"`
	notify.Delivery
}

// Activity is the hourly activity of every feed over the Window: new items
// and alerts by language, failed fetches. Each list holds one count per
// hour from Start.
type Activity struct {
	Start  time.Time        `json:"start"`
	Hours  int              `json:"hours"`
	Langs  []string         `json:"langs"`
	Items  map[string][]int `json:"items"`
	Alerts map[string][]int `json:"alerts"`
	Errors []int            `json:"errors"`
}

// errorWords says in words what a failed fetch's error kind (the result
// label of vigie_fetches_total) means.
func errorWords(kind string, status int, detail string) string {
	switch kind {
	case "http_4xx", "http_5xx", "http_other":
		return httpWords(status)
	case "timeout":
		return "timeout: no complete answer in time"
	case "network":
		return "network error: " + networkWords(detail)
	case "too_large":
		return "body too large"
	case "too_many_redirects":
		return "too many redirects"
	case "invalid_url":
		return "invalid URL"
	case "parse":
		return parseWords(detail)
	}
	// A state written before kinds were kept, or an error of no kind.
	switch {
	case status >= 400:
		return httpWords(status)
	case strings.Contains(detail, "timeout"):
		return "timeout: no complete answer in time"
	case strings.Contains(detail, "not a feed"), strings.Contains(detail, "malformed feed"):
		return parseWords(detail)
	case strings.Contains(detail, "network error"):
		return "network error: " + networkWords(detail)
	case detail == "":
		return "failed"
	}
	return detail
}

func httpWords(status int) string {
	if t := http.StatusText(status); t != "" {
		return fmt.Sprintf("HTTP %d %s", status, t)
	}
	return fmt.Sprintf("HTTP %d", status)
}

func networkWords(detail string) string {
	switch {
	case strings.Contains(detail, "connection refused"):
		return "connection refused"
	case strings.Contains(detail, "no such host"):
		return "no such host"
	case strings.Contains(detail, "connection reset"):
		return "connection reset"
	case strings.Contains(detail, "certificate"), strings.Contains(detail, "tls"):
		return "TLS error"
	case strings.Contains(detail, "EOF"):
		return "connection closed before the answer"
	}
	return "could not reach the server"
}

func parseWords(detail string) string {
	// The parser's message follows its sentinel: "not a feed: empty body".
	for _, s := range []string{"not a feed", "malformed feed"} {
		if _, rest, ok := strings.Cut(detail, s+": "); ok {
			return "parse error: " + s + " (" + rest + ")"
		}
		if strings.Contains(detail, s) {
			return "parse error: " + s
		}
	}
	return "parse error: not a feed"
}

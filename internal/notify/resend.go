package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify/receiver"
	"github.com/vigie-news/vigie/internal/notify/slack"
)

// Selection picks recorded failures: those of IDs (a record's id, the
// number `vigie failures list` shows, or the alert's id), of Route, and
// older than OlderThan at Now; every condition given must hold. A
// selection with no condition picks nothing unless All is set, so that a
// slip of the command line never purges everything.
type Selection struct {
	IDs       []string
	Route     string
	OlderThan time.Duration
	All       bool
	Now       time.Time
}

// Empty reports whether the selection names no condition and not All.
func (s Selection) Empty() bool {
	return len(s.IDs) == 0 && s.Route == "" && s.OlderThan <= 0 && !s.All
}

// Picks reports whether the selection picks f.
func (s Selection) Picks(f Failure) bool {
	if s.Empty() {
		return false
	}
	if s.Route != "" && f.Route != s.Route {
		return false
	}
	if s.OlderThan > 0 && !f.At.Before(s.Now.Add(-s.OlderThan)) {
		return false
	}
	if len(s.IDs) > 0 && !slices.ContainsFunc(s.IDs, func(id string) bool {
		return id == strconv.FormatUint(f.ID, 10) || id == f.AlertID
	}) {
		return false
	}
	return true
}

// Select returns the failures the selection picks, in their order.
func Select(fails []Failure, s Selection) []Failure {
	var out []Failure
	for _, f := range fails {
		if s.Picks(f) {
			out = append(out, f)
		}
	}
	return out
}

// Purge deletes the records of fails from FailedStream and returns how
// many went. A record already gone counts as purged.
func Purge(ctx context.Context, js jetstream.JetStream, fails []Failure) (int, error) {
	if len(fails) == 0 {
		return 0, nil
	}
	st, err := js.Stream(ctx, FailedStream)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", FailedStream, err)
	}
	n := 0
	for _, f := range fails {
		if err := st.DeleteMsg(ctx, f.ID); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return n, fmt.Errorf("purge failure %d: %w", f.ID, err)
		}
		n++
	}
	return n, nil
}

// Outcomes of a resend.
const (
	ResendSent = "sent"
	// ResendFailed: the receiver refused it again, or did not answer; the
	// record stays.
	ResendFailed = "failed"
	// ResendSkipped: the route is no longer configured, or the record
	// holds no alert; the record stays.
	ResendSkipped = "skipped"
)

// ResendResult is what became of one failure that was sent again.
type ResendResult struct {
	Failure Failure `json:"failure"`
	Outcome string  `json:"outcome"`
	// Status is the receiver's HTTP status, 0 when it did not answer.
	Status int `json:"status,omitempty"`
	// Error says why it failed or was skipped (receiver URLs redacted).
	Error string `json:"error,omitempty"`
}

// Resend delivers each failure's alert to its route again, now, once,
// with the route as configured in routes. A delivered alert's record is
// deleted from FailedStream and its delivery noted as sent in
// DeliveriesBucket; one that fails again keeps its record. Only opts'
// HTTPClient, Now and SlackInterval are used.
func Resend(ctx context.Context, js jetstream.JetStream, routes []config.Route, fails []Failure, o Options) ([]ResendResult, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SlackInterval <= 0 {
		o.SlackInterval = slack.Interval
	}
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		client = &c
	}
	client.CheckRedirect = receiver.NoRedirects
	byName := map[string]config.Route{}
	for _, r := range routes {
		byName[r.Name] = r
	}
	kv, err := js.KeyValue(ctx, DeliveriesBucket)
	if err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("kv %s: %w", DeliveriesBucket, err)
	}
	pacers := map[string]*slack.Pacer{}
	var out []ResendResult
	for _, f := range fails {
		res := ResendResult{Failure: f}
		rc, ok := byName[f.Route]
		var a vigie.Alert
		switch {
		case !ok:
			res.Outcome, res.Error = ResendSkipped, "route "+f.Route+" is not in the configuration"
		case len(f.Alert) == 0 || json.Unmarshal(f.Alert, &a) != nil || a.ID == "":
			res.Outcome, res.Error = ResendSkipped, "the record holds no alert to send"
		default:
			res = resendOne(ctx, rc, &a, f, client, pacers, o)
		}
		if res.Outcome == ResendSent {
			if _, err := Purge(ctx, js, []Failure{f}); err != nil {
				return out, err
			}
			if kv != nil {
				noteDelivery(ctx, kv, &a, rc.Name, Delivery{State: DeliverySent, Attempts: f.Attempts + 1, At: o.Now()})
			}
		}
		out = append(out, res)
	}
	return out, nil
}

func resendOne(ctx context.Context, rc config.Route, a *vigie.Alert, f Failure, client *http.Client, pacers map[string]*slack.Pacer, o Options) ResendResult {
	res := ResendResult{Failure: f}
	p := pacers[rc.URL]
	if p == nil {
		p = slack.NewPacer(o.SlackInterval)
		pacers[rc.URL] = p
	}
	to, _, _, err := integrationFor(rc, client, p, o.Now)
	if err != nil {
		res.Outcome, res.Error = ResendSkipped, err.Error()
		return res
	}
	timeout := rc.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := to.Notify(actx, a); err != nil {
		res.Outcome, res.Error = ResendFailed, err.Error()
		res.Status, _ = failure(err)
		return res
	}
	res.Outcome = ResendSent
	return res
}

// noteDelivery notes a route's outcome for an alert, as a route does.
func noteDelivery(ctx context.Context, kv jetstream.KeyValue, a *vigie.Alert, route string, d Delivery) {
	d.At = d.At.UTC()
	data, _ := json.Marshal(d)
	_, _ = kv.Put(ctx, DeliveryKey(a.AlertID())+"."+route, data)
}

// FailedCounts counts the records of FailedStream by route; none when the
// stream does not exist.
func FailedCounts(ctx context.Context, js jetstream.JetStream) (map[string]int, error) {
	st, err := js.Stream(ctx, FailedStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return map[string]int{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", FailedStream, err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(FailedSubjectPrefix+".>"))
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", FailedStream, err)
	}
	out := map[string]int{}
	for subject, n := range info.State.Subjects {
		if route, ok := strings.CutPrefix(subject, FailedSubjectPrefix+"."); ok && route != "" {
			out[route] += int(n)
		}
	}
	return out, nil
}

// Package notify delivers Vigie's alerts to Slack and webhook routes from
// durable JetStream consumers on VIGIE_ALERTS, acking an alert only once its
// receiver has accepted it, retrying with backoff and recording final failures.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/backoff"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/metrics"
	"github.com/vigie-news/vigie/internal/notify/receiver"
	"github.com/vigie-news/vigie/internal/notify/slack"
	"github.com/vigie-news/vigie/internal/notify/webhook"
)

// Notifier delivers one alert. retry reports whether a failure is worth
// retrying; an error that wraps a *receiver.Error carries the receiver's status
// and any Retry-After.
type Notifier interface {
	Notify(ctx context.Context, a *vigie.Alert) (retry bool, err error)
}

// DigestNotifier delivers the alerts of a period as one message.
type DigestNotifier interface {
	NotifyDigest(ctx context.Context, d *receiver.Digest) (retry bool, err error)
}

// integration is what every route type provides.
type integration interface {
	Notifier
	DigestNotifier
}

var (
	_ integration = (*slack.Slack)(nil)
	_ integration = (*slack.Bot)(nil)
	_ integration = (*webhook.Webhook)(nil)
	_ storyTeller = (*slack.Slack)(nil)
	_ storyTeller = (*slack.Bot)(nil)
	_ storyTeller = (*webhook.Webhook)(nil)
	_ storyFinder = (*slack.Bot)(nil)
)

// Defaults of the delivery policy.
const (
	// DefaultTimeout bounds one HTTP attempt when the route sets no timeout.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxAttempts is when a retryable failure becomes final: with the
	// default backoff, about a day after the first attempt.
	DefaultMaxAttempts = 140
	// MaxRetryAfter caps the delay a receiver may ask for with Retry-After.
	MaxRetryAfter = receiver.MaxRetryAfter
	// webhookWorkers is how many alerts a webhook route has in flight.
	webhookWorkers = 4
	// maxDigest is the most alerts one digest holds; a fuller digest is
	// sent before the end of its period.
	maxDigest = 1000
	// maxFilters bounds the subject filters of one consumer; beyond it the
	// widest part of the match is checked in code.
	maxFilters = 128
)

// Options tunes the Service. Zero values are defaults.
type Options struct {
	// Prefix of alert subjects ("news").
	Prefix string
	Logger *slog.Logger
	// Now gives the time of webhook timestamps and failure records.
	Now func() time.Time
	// HTTPClient posts to receivers; nil uses a client of its own. Each
	// attempt is bounded by the route's timeout either way.
	HTTPClient *http.Client
	// Backoff is the delay before retry number attempt (1 for the first
	// retry); nil is DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// MaxAttempts after which a retryable failure is final; 0 is
	// DefaultMaxAttempts.
	MaxAttempts int
	// SlackInterval spaces messages to one Slack webhook; 0 is slack.Interval.
	SlackInterval time.Duration
	// Replicas of the failure stream (1 on a single server).
	Replicas int
	// Metrics, when set, counts deliveries, retries and final failures by
	// route name.
	Metrics *metrics.Metrics
	// FollowUpEvery spaces the follow-ups of one story on a Slack
	// incoming webhook that notifies per story; 0 is DefaultFollowUpEvery.
	FollowUpEvery time.Duration

	// digestAckWait, when set, is the ack wait of digest routes, whatever
	// their timeout: tests cannot wait minutes.
	digestAckWait time.Duration
}

// DefaultBackoff doubles from 1s up to 15 minutes, each delay drawn between
// half and all of its value so that routes that failed together do not retry
// together.
func DefaultBackoff(attempt int) time.Duration {
	return Backoff(time.Second, 15*time.Minute)(attempt)
}

// Backoff returns an exponential backoff with jitter from base up to limit
// (see backoff.Exponential); an attempt below 1 counts as the first.
func Backoff(base, limit time.Duration) func(attempt int) time.Duration {
	e := backoff.Exponential{Base: base, Cap: limit}
	return func(attempt int) time.Duration {
		return e.Delay(max(attempt, 1), nil)
	}
}

// Service runs one durable consumer per route.
type Service struct {
	js     jetstream.JetStream
	opts   Options
	log    *slog.Logger
	routes []*route
	ran    atomic.Bool
	// deliveries is DeliveriesBucket, where outcomes are noted.
	deliveries jetstream.KeyValue
	// stories is StoriesBucket, where what routes told of stories is
	// noted.
	stories jetstream.KeyValue
}

// Stats counts what a route did since the Service started.
type Stats struct {
	Route string
	// Delivered alerts (each alert of a digest counts).
	Delivered uint64
	// Retries scheduled after a retryable failure.
	Retries uint64
	// Failed alerts: final failures, recorded in the failure stream.
	Failed uint64
	// Skipped alerts that the route's match does not select.
	Skipped uint64
}

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// New validates routes and creates or updates each route's durable consumer
// ("notify-<route>") on VIGIE_ALERTS, and the failure stream.
func New(ctx context.Context, js jetstream.JetStream, routes []config.Route, o Options) (*Service, error) {
	if o.Prefix == "" {
		o.Prefix = config.DefaultSubjectPrefix
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.SlackInterval <= 0 {
		o.SlackInterval = slack.Interval
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.FollowUpEvery <= 0 {
		o.FollowUpEvery = DefaultFollowUpEvery
	}
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		client = &c
	}
	client.CheckRedirect = receiver.NoRedirects
	s := &Service{js: js, opts: o, log: o.Logger}
	pacers := map[string]*slack.Pacer{}
	names := map[string]bool{}
	for i, rc := range routes {
		if rc.Name == "" || !tokenPattern.MatchString(rc.Name) {
			return nil, fmt.Errorf("notify[%d]: route name %q must match [a-z0-9-]+", i, rc.Name)
		}
		if names[rc.Name] {
			return nil, fmt.Errorf("notify route %s: duplicate name", rc.Name)
		}
		names[rc.Name] = true
		r := &route{svc: s, cfg: rc, log: o.Logger.With("route", rc.Name), wake: make(chan struct{}, 1)}
		// A Slack incoming webhook cannot change what it posted: later
		// reports of a story wait for the next follow-up.
		r.batch = rc.Type == "slack" && rc.Token == ""
		if r.cfg.Timeout <= 0 {
			r.cfg.Timeout = DefaultTimeout
		}
		p := pacers[rc.URL]
		if p == nil {
			p = slack.NewPacer(o.SlackInterval)
			pacers[rc.URL] = p
		}
		var err error
		if r.to, r.workers, r.digestSize, err = integrationFor(rc, client, p, o.Now); err != nil {
			return nil, fmt.Errorf("notify route %s: %w", rc.Name, err)
		}
		if rc.Digest > 0 {
			r.workers = 1
		}
		s.routes = append(s.routes, r)
	}
	// On a cluster that is forming, or when several instances create the
	// same replicated stream at once, the server may leave a call
	// unanswered: calls that time out are tried again.
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := broker.Retry(ctx, o.Logger, "stream "+FailedStream, s.ensureFailedStream); err != nil {
		return nil, err
	}
	if err := broker.Retry(ctx, o.Logger, "kv "+DeliveriesBucket, s.ensureKV(&s.deliveries, DeliveriesBucket,
		"Each alert's deliveries: the latest outcome per route", deliveriesTTL)); err != nil {
		return nil, err
	}
	if err := broker.Retry(ctx, o.Logger, "kv "+StoriesBucket, s.ensureKV(&s.stories, StoriesBucket,
		"What each route told of each story: its message, the reports since", storyNotesTTL)); err != nil {
		return nil, err
	}
	for _, r := range s.routes {
		if err := broker.Retry(ctx, o.Logger, "consumer "+ConsumerName(r.cfg.Name), r.ensureConsumer); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// integrationFor builds what a route posts through, with the number of
// workers and the digest size that suit the receiver.
func integrationFor(rc config.Route, client *http.Client, p *slack.Pacer, now func() time.Time) (integration, int, int, error) {
	switch rc.Type {
	case "slack":
		if rc.Token != "" {
			to, err := slack.NewBot(rc.URL, rc.Token, rc.Channel, rc.Name, rc.Template, client, p, now)
			return to, 1, slack.MaxDigestAlerts, err
		}
		to, err := slack.New(rc.URL, rc.Template, client, p, now)
		return to, 1, slack.MaxDigestAlerts, err
	case "webhook":
		if rc.Template != "" {
			return nil, 0, 0, errors.New("template applies to slack routes only")
		}
		to, err := webhook.New(rc.URL, rc.Secret, client, now)
		return to, webhookWorkers, maxDigest, err
	}
	return nil, 0, 0, fmt.Errorf("type %q is not slack or webhook", rc.Type)
}

// Check builds every route of the configuration without connecting to
// anything, so that a bad URL, secret or template is reported with the rest
// of the configuration's problems, as "file:line: message".
func Check(cfg *config.Config) error {
	var problems diag.List
	for i, rc := range cfg.Notify {
		if _, _, _, err := integrationFor(rc, http.DefaultClient, slack.NewPacer(slack.Interval), time.Now); err != nil {
			problems.Addf(cfg.Path, rc.Line, "notify[%d] (%s): %v", i, rc.Name, err)
		}
	}
	return problems.Err()
}

// ConsumerName is the durable consumer of a route on VIGIE_ALERTS.
func ConsumerName(route string) string { return "notify-" + route }

// Run delivers until ctx is cancelled. It returns once every delivery in
// flight has ended: an attempt that has started is finished (bounded by the
// route's timeout) and acked; alerts not yet attempted are handed back to
// JetStream unacked, to be delivered on the next run.
func (s *Service) Run(ctx context.Context) error {
	if s.ran.Swap(true) {
		return errors.New("notify: Run called twice")
	}
	var wg sync.WaitGroup
	for _, r := range s.routes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.run(ctx)
		}()
		if r.batch && r.perStory() && r.cfg.Digest == 0 {
			wg.Go(func() { r.followUps(ctx) })
		}
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

// Stats returns each route's counters, in configuration order.
func (s *Service) Stats() []Stats {
	out := make([]Stats, 0, len(s.routes))
	for _, r := range s.routes {
		out = append(out, Stats{
			Route:     r.cfg.Name,
			Delivered: r.delivered.Load(),
			Retries:   r.retries.Load(),
			Failed:    r.failed.Load(),
			Skipped:   r.skipped.Load(),
		})
	}
	return out
}

// route is one configured destination and its consumer.
type route struct {
	svc        *Service
	cfg        config.Route
	log        *slog.Logger
	to         integration
	cons       jetstream.Consumer
	workers    int
	digestSize int

	delivered, retries, failed, skipped atomic.Uint64

	// batch is set when a story's later reports wait for a follow-up
	// (see followUps), which wake asks to look at its notes again.
	batch bool
	wake  chan struct{}

	mu      sync.Mutex
	lastErr string // the last failure logged, to log changes only
	noteErr string // the last failure to note an outcome, likewise
}

// ackWait is how long JetStream waits for an ack before redelivering: longer
// than an attempt, so that a slow receiver is not sent the alert twice.
func (r *route) ackWait() time.Duration {
	d := 2*r.cfg.Timeout + 15*time.Second
	if r.cfg.Digest > 0 {
		if r.svc.opts.digestAckWait > 0 {
			return r.svc.opts.digestAckWait
		}
		// Held alerts are kept alive with InProgress at a third of it.
		d = max(d, time.Minute)
	}
	return d
}

func (r *route) consumerConfig() jetstream.ConsumerConfig {
	pending := r.workers
	if r.cfg.Digest > 0 {
		pending = maxDigest
	}
	return jetstream.ConsumerConfig{
		Durable:        ConsumerName(r.cfg.Name),
		Description:    "Vigie notifications for route " + r.cfg.Name,
		DeliverPolicy:  jetstream.DeliverNewPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        r.ackWait(),
		MaxDeliver:     -1, // the Service decides when a failure is final
		MaxAckPending:  pending,
		FilterSubjects: FilterSubjects(r.svc.opts.Prefix, r.cfg.Match),
	}
}

func (r *route) ensureConsumer(ctx context.Context) error {
	c, err := r.svc.js.CreateOrUpdateConsumer(ctx, broker.AlertsStream, r.consumerConfig())
	if err != nil {
		return fmt.Errorf("notify route %s: consumer %s: %w", r.cfg.Name, ConsumerName(r.cfg.Name), err)
	}
	r.cons = c
	return nil
}

// FilterSubjects turns a match into consumer filters on
// <prefix>.alert.<classifier>.<lang>.<feed>: every combination of the listed
// values, "*" for a list that is empty, holds a value that cannot be a subject
// token, or would make too many combinations. What the filters leave open is
// checked in code.
func FilterSubjects(prefix string, m config.Match) []string {
	dims := [][]string{tokens(m.Classifiers), tokens(m.Languages), tokens(m.Feeds)}
	for {
		n, widest := 1, 0
		for i, d := range dims {
			n *= len(d)
			if len(d) > len(dims[widest]) {
				widest = i
			}
		}
		if n <= maxFilters {
			break
		}
		dims[widest] = []string{"*"}
	}
	var out []string
	for _, c := range dims[0] {
		for _, l := range dims[1] {
			for _, f := range dims[2] {
				out = append(out, prefix+".alert."+c+"."+l+"."+f)
			}
		}
	}
	return out
}

func tokens(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range list {
		if !tokenPattern.MatchString(v) {
			return []string{"*"}
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return []string{"*"}
	}
	sort.Strings(out)
	return out
}

// Matches reports whether a route's match selects the alert: every list
// given must hold one of the alert's values. For states and orgs, that is
// one of the entities the alert names, so that a route with both wants a
// listed state and a listed body together.
func Matches(m config.Match, a *vigie.Alert) bool {
	in := func(list []string, v string) bool {
		if len(list) == 0 {
			return true
		}
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	}
	if !in(m.Classifiers, a.Classifier) || !in(m.Languages, a.Lang) || !in(m.Feeds, a.Feed.ID) {
		return false
	}
	if a.Score < m.MinScore {
		return false
	}
	// oneOf reports whether one of the values is listed (or nothing is).
	oneOf := func(list, values []string) bool {
		if len(list) == 0 {
			return true
		}
		for _, v := range values {
			if slices.Contains(list, v) {
				return true
			}
		}
		return false
	}
	topics := make([]string, len(a.Topics))
	for i, t := range a.Topics {
		topics[i] = t.ID
	}
	return oneOf(m.Topics, topics) && oneOf(m.States, a.Entities.States) && oneOf(m.Orgs, a.Entities.Orgs)
}

// run consumes until ctx ends, starting over after a consumer error.
func (r *route) run(ctx context.Context) {
	last := ""
	for {
		err := r.consume(ctx)
		if ctx.Err() != nil {
			return
		}
		// Log an outage once, not every second while it lasts.
		if text := fmt.Sprint(err); text != last {
			r.log.Warn("notify consumer stopped, restarting", "error", text)
			last = text
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := r.ensureConsumer(ectx); err != nil {
			r.log.Debug("notify consumer cannot be restored yet", "error", err)
		}
		cancel()
	}
}

// consume reads the consumer and hands messages to the route's workers, or
// to the digest, until ctx ends.
func (r *route) consume(ctx context.Context) error {
	it, err := r.cons.Messages(jetstream.PullMaxMessages(r.consumerConfig().MaxAckPending))
	if err != nil {
		return err
	}
	work := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	if r.cfg.Digest > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.digest(ctx, work)
		}()
	} else {
		for range r.workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for m := range work {
					r.handle(ctx, m)
				}
			}()
		}
	}
	var runErr error
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() == nil {
				runErr = err
			}
			break
		}
		select {
		case work <- m:
			continue
		case <-ctx.Done():
			_ = m.Nak()
		}
		break
	}
	// Hand back what the iterator holds, so that the next run gets it at once
	// rather than after the ack wait.
	it.Drain()
	for {
		m, err := it.Next(jetstream.NextMaxWait(2 * time.Second))
		if err != nil {
			break
		}
		_ = m.Nak()
	}
	close(work)
	wg.Wait()
	return runErr
}

// handle delivers one alert: ack on success, a delayed nak on a retryable
// failure, a failure record and a term when the failure is final.
func (r *route) handle(ctx context.Context, m jetstream.Msg) {
	attempt := 1
	if md, err := m.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	var a vigie.Alert
	if err := json.Unmarshal(m.Data(), &a); err != nil {
		r.final(ctx, m, nil, attempt, 0, fmt.Errorf("decode alert: %w", err))
		return
	}
	if !Matches(r.cfg.Match, &a) {
		r.skipped.Add(1)
		r.ack(m)
		return
	}
	if a.Story != nil && a.Story.ID != "" && r.perStory() {
		r.handleStory(ctx, m, &a, attempt)
		return
	}
	// JetStream hands an alert over again when its ack was lost, as when
	// the NATS node that leads the consumer stops: the receiver has it if
	// the delivery was noted as sent. Only the notes of this route count.
	if attempt > 1 {
		state, err := r.noted(&a, r.settleBy())
		if err != nil {
			// Whether the receiver has it cannot be told now: asked
			// again later rather than posted twice.
			r.logFailure(err, "notify: delivery outcome cannot be read, will retry", "alert", a.AlertID(), "attempt", attempt)
			_ = m.NakWithDelay(r.svc.opts.Backoff(attempt))
			return
		}
		if state == DeliverySent {
			r.log.Debug("notify: already delivered, not sent again", "alert", a.AlertID(), "attempt", attempt)
			r.ack(m)
			return
		}
	}
	// An attempt that has started is finished even when ctx ends, so that
	// the receiver's answer decides the ack: stopping must not repeat an alert.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
	began := time.Now()
	retry, err := r.to.Notify(actx, &a)
	cancel()
	if err == nil {
		r.svc.opts.Metrics.NotifyDelivered(r.cfg.Name, time.Since(began))
		r.delivered.Add(1)
		r.recovered()
		// Noted before the ack: should the ack be lost, the alert handed
		// over again is known as delivered.
		settle := r.settleBy()
		r.noteSent(&a, attempt, settle)
		r.ackBy(m, settle)
		r.log.Debug("notify delivered", "alert", a.AlertID(), "attempt", attempt)
		return
	}
	status, after := failure(err)
	if !retry || attempt >= r.svc.opts.MaxAttempts {
		r.final(ctx, m, &a, attempt, status, err)
		return
	}
	delay := r.retryDelay(attempt, after)
	r.note(&a, Delivery{State: DeliveryRetrying, Attempts: attempt, Status: status, Error: err.Error(), At: r.svc.opts.Now()})
	r.logFailure(err, "notify delivery failed, will retry", "alert", a.AlertID(), "status", status, "attempt", attempt, "retry_in", delay)
	if err := m.NakWithDelay(delay); err != nil {
		// JetStream redelivers it after the ack wait instead.
		r.log.Warn("notify nak failed", "alert", a.AlertID(), "error", err)
	}
	r.svc.opts.Metrics.NotifyRetry(r.cfg.Name)
	r.retries.Add(1)
}

func (r *route) retryDelay(attempt int, after time.Duration) time.Duration {
	if after > 0 {
		return min(after, MaxRetryAfter)
	}
	return r.svc.opts.Backoff(attempt)
}

// failure reads the status and Retry-After of a delivery error.
func failure(err error) (status int, after time.Duration) {
	var re *receiver.Error
	if errors.As(err, &re) {
		return re.Status, re.RetryAfter
	}
	return 0, 0
}

// ack confirms the ack with the server, so that a delivered alert is not
// delivered again; see ackBy.
func (r *route) ack(m jetstream.Msg) { r.ackBy(m, r.settleBy()) }

// ackBy acks m and waits for the server to confirm it, trying again until
// deadline while no server answers: the consumer's new leader takes the
// ack of a message its stopped predecessor handed over, where an ack lost
// would hold the route's slot until the ack wait and hand the alert over
// again.
func (r *route) ackBy(m jetstream.Msg, deadline time.Time) {
	if err := untilAnswered(deadline, m.DoubleAck); err != nil {
		r.log.Warn("notify ack failed; the alert may be handed over again", "error", err)
	}
}

// final records a final failure and terms the message. If the record cannot
// be written the message is retried later instead: a failure is never only a
// log line.
func (r *route) final(ctx context.Context, m jetstream.Msg, a *vigie.Alert, attempts, status int, err error) {
	f := failureRecord(r.cfg.Name, m, a, attempts, status, err, r.svc.opts.Now())
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if rerr := r.svc.record(rctx, f, m.Data()); rerr != nil {
		r.log.Error("notify failure cannot be recorded, will retry", "alert", f.AlertID, "error", rerr)
		_ = m.NakWithDelay(r.svc.opts.Backoff(attempts))
		return
	}
	r.failed.Add(1)
	r.svc.opts.Metrics.NotifyFailed(r.cfg.Name)
	r.note(a, Delivery{State: DeliveryFailed, Attempts: attempts, Status: status, Error: f.Error, At: f.At})
	r.log.Error("notify delivery failed for good", "alert", f.AlertID, "status", status, "attempts", attempts, "error", f.Error)
	if terr := m.TermWithReason("notify failure recorded"); terr != nil {
		r.log.Warn("notify term failed", "alert", f.AlertID, "error", terr)
	}
}

// logFailure logs a failure at warning level when it differs from the last
// one, and at debug level while it repeats.
func (r *route) logFailure(err error, msg string, args ...any) {
	text := err.Error()
	r.mu.Lock()
	changed := text != r.lastErr
	r.lastErr = text
	r.mu.Unlock()
	args = append(args, "error", text)
	if changed {
		r.log.Warn(msg, args...)
	} else {
		r.log.Debug(msg, args...)
	}
}

func (r *route) recovered() {
	r.mu.Lock()
	was := r.lastErr
	r.lastErr = ""
	r.mu.Unlock()
	if was != "" {
		r.log.Info("notify delivery recovered")
	}
}

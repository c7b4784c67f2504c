package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/robfig/cron/v3"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/fetch"
)

// Options tune a daemon; the zero value is fine.
type Options struct {
	Logger *slog.Logger
	// ShutdownTimeout bounds the whole shutdown; in-flight fetches get half
	// of it to finish before they are abandoned (and their jobs requeued).
	ShutdownTimeout time.Duration
	// Workers is the number of jobs processed at once (default 8, or
	// fetch.workers in the configuration).
	Workers int
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// Daemon is a running Vigie: build it with New, then call Run.
type Daemon struct {
	cfg   *config.Config
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	ready chan struct{}

	pipe    *Pipeline
	broker  *broker.Broker
	state   stateStore
	cons    jetstream.Consumer
	feeds   map[string]config.Feed
	started time.Time

	mu      sync.Mutex
	running map[string]bool
	// lastErr remembers each feed's last logged failure, so that a failure
	// that repeats is logged once, when it changes.
	lastErr map[string]string

	isReady atomic.Bool
}

// Job is a fetch job on the work queue.
type Job struct {
	Feed      string    `json:"feed"`
	Scheduled time.Time `json:"scheduled"`
}

// Timings of the job queue.
const (
	fetchConsumer = "vigie-fetch"
	jobAckWait    = 2 * time.Minute
	// dueTolerance lets a tick that comes a little before a feed's
	// NextFetch still fetch, so that a source's interval equal to the
	// schedule does not skip every other tick.
	dueTolerance = 10 * time.Second
	// maxInterval caps what a source may ask (ttl, max-age, Retry-After), so
	// that a misconfigured feed is not forgotten.
	maxInterval = 24 * time.Hour
	// maxItemAge drops items older than this: they are not news, and their
	// ids would have left the seen set.
	maxItemAge = 60 * 24 * time.Hour
)

// New prepares a daemon for a validated configuration.
func New(cfg *config.Config, o Options) *Daemon {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	if o.Workers == 0 {
		o.Workers = cfg.Fetch.Workers
	}
	if o.Workers == 0 {
		o.Workers = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	feeds := make(map[string]config.Feed, len(cfg.Feeds))
	for _, f := range cfg.Feeds {
		feeds[f.ID] = f
	}
	return &Daemon{
		cfg:     cfg,
		opts:    o,
		log:     o.Logger,
		now:     o.Now,
		ready:   make(chan struct{}),
		feeds:   feeds,
		running: map[string]bool{},
		lastErr: map[string]string{},
	}
}

// Ready is closed once the daemon is serving: NATS up, streams present,
// models loaded, feeds scheduled.
func (d *Daemon) Ready() <-chan struct{} { return d.ready }

// NATSURL is the client URL of the NATS server in use, once ready.
func (d *Daemon) NATSURL() string {
	if d.broker == nil {
		return ""
	}
	if d.broker.Server != nil {
		return d.broker.Server.ClientURL()
	}
	return d.broker.Conn.ConnectedUrlRedacted()
}

// Run starts everything, serves until ctx is cancelled, then shuts down:
// the schedule stops, in-flight jobs finish or are requeued, the NATS
// connection is drained and the embedded server's store closed.
func (d *Daemon) Run(ctx context.Context) error {
	d.started = d.now()
	// Loading the language models and starting NATS are the two slow steps
	// of a start: do them at once.
	var pipeErr error
	var loading sync.WaitGroup
	loading.Go(func() { d.pipe, pipeErr = NewPipeline(d.cfg, d.log) })
	var err error
	d.broker, err = broker.Open(ctx, broker.Options{
		URL:      d.cfg.NATS.URL,
		Listen:   d.cfg.NATS.Listen,
		StoreDir: filepath.Join(d.cfg.DataDir, "jetstream"),
		Prefix:   d.cfg.NATS.SubjectPrefix,
		Replicas: d.cfg.NATS.Replicas,
		Logger:   d.log,
	})
	loading.Wait()
	if err != nil {
		return err
	}
	if pipeErr != nil {
		d.closeBroker()
		return pipeErr
	}
	d.pipe.Now = d.now
	d.state = stateStore{d.broker.Feeds}
	defer d.closeBroker()

	d.cons, err = d.broker.JS.CreateOrUpdateConsumer(ctx, broker.JobsStream, jetstream.ConsumerConfig{
		Durable:       fetchConsumer,
		Description:   "Vigie workers: each fetch job goes to one of them",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       jobAckWait,
		MaxDeliver:    10,
		MaxAckPending: 1000,
	})
	if err != nil {
		return fmt.Errorf("job consumer: %w", err)
	}

	// Workers get their own context: on shutdown they are first asked to
	// stop taking jobs, and only later is their in-flight work cancelled.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var workers sync.WaitGroup
	for range d.opts.Workers {
		workers.Go(func() { d.work(ctx, workCtx) })
	}

	sched := cron.New(cron.WithParser(cronParser{}), cron.WithChain(
		// SkipIfStillRunning must wrap Recover: the other way round, a
		// panic would leave the job marked running for ever.
		cron.SkipIfStillRunning(cronLogger{d.log}),
		cron.Recover(cronLogger{d.log}),
	))
	for _, f := range d.cfg.Feeds {
		if _, err := sched.AddFunc(f.Schedule, func() { d.enqueue(ctx, f.ID, d.now().Truncate(time.Minute), "") }); err != nil {
			return fmt.Errorf("schedule feed %s: %w", f.ID, err)
		}
	}
	sched.Start()
	// Every feed once at start. The instance's start time makes the job id
	// unique to this start, so a quick restart still fetches.
	for _, f := range d.cfg.Feeds {
		d.enqueue(ctx, f.ID, d.started, fmt.Sprintf("start-%d-", d.started.UnixNano()))
	}

	d.isReady.Store(true)
	close(d.ready)
	d.log.Info("vigie ready", "feeds", len(d.cfg.Feeds), "nats", d.NATSURL(),
		"embedded_nats", d.broker.Server != nil, "languages", len(d.cfg.Languages),
		"classifiers", len(d.pipe.Classifiers), "startup", d.now().Sub(d.started).Round(time.Millisecond).String())

	<-ctx.Done()
	d.isReady.Store(false)
	d.log.Info("vigie stopping")
	stopped := sched.Stop()
	grace := time.AfterFunc(d.opts.ShutdownTimeout/2, cancelWork)
	defer grace.Stop()
	<-stopped.Done()
	workers.Wait()
	return nil
}

func (d *Daemon) closeBroker() {
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.ShutdownTimeout/2)
	defer cancel()
	if err := d.broker.Close(ctx); err != nil {
		d.log.Warn("nats shutdown", "error", err)
	}
}

// enqueue puts a fetch job on the work queue. Its Nats-Msg-Id is the feed
// and the tick, so that instances that schedule the same tick enqueue it once.
func (d *Daemon) enqueue(ctx context.Context, feed string, tick time.Time, tag string) {
	data, _ := json.Marshal(Job{Feed: feed, Scheduled: tick.UTC()})
	msg := nats.NewMsg(broker.JobSubjectPrefix + "." + feed)
	msg.Data = data
	id := feed + "@" + tag + tick.UTC().Format(time.RFC3339)
	if _, err := d.broker.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(id)); err != nil && ctx.Err() == nil {
		d.log.Warn("enqueue fetch job", "feed", feed, "error", err)
	}
}

// work takes jobs until ctx is cancelled; workCtx bounds the job itself.
func (d *Daemon) work(ctx, workCtx context.Context) {
	for ctx.Err() == nil {
		msg, err := d.cons.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			if !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) && ctx.Err() == nil {
				d.log.Debug("next job", "error", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			continue
		}
		d.handle(workCtx, msg)
	}
}

func (d *Daemon) handle(ctx context.Context, msg jetstream.Msg) {
	var job Job
	if err := json.Unmarshal(msg.Data(), &job); err != nil {
		d.log.Warn("malformed job dropped", "subject", msg.Subject(), "error", err)
		_ = msg.Term()
		return
	}
	feed, ok := d.feeds[job.Feed]
	if !ok {
		// A feed removed from the configuration: nothing to do.
		_ = msg.Ack()
		return
	}
	if !d.claim(feed.ID) {
		d.log.Info("feed still being fetched, tick skipped", "feed", feed.ID)
		_ = msg.Ack()
		return
	}
	defer d.release(feed.ID)

	stop := keepAlive(msg, jobAckWait/3)
	err := d.process(ctx, feed)
	stop()
	if err != nil {
		// Not the source's fault (NATS unavailable, or shutdown): put the
		// job back so that nothing fetched is lost.
		d.log.Warn("job requeued", "feed", feed.ID, "error", err)
		_ = msg.NakWithDelay(10 * time.Second)
		return
	}
	_ = msg.Ack()
}

// keepAlive tells JetStream the job is still being worked on, so that a
// slow feed is not redelivered to another worker.
func keepAlive(msg jetstream.Msg, every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func (d *Daemon) claim(feed string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running[feed] {
		return false
	}
	d.running[feed] = true
	return true
}

func (d *Daemon) release(feed string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.running, feed)
}

// process fetches one feed and publishes what is new. A source's failure is
// recorded in the feed's state and is not an error; an error means the job
// must be retried (NATS unavailable, shutdown).
func (d *Daemon) process(ctx context.Context, f config.Feed) error {
	st, err := d.state.get(ctx, f.ID)
	if err != nil {
		return err
	}
	now := d.now()
	if now.Add(dueTolerance).Before(st.NextFetch) {
		d.log.Debug("feed not due", "feed", f.ID, "next_fetch", st.NextFetch)
		return nil
	}
	st.LastFetch = now
	batch, err := d.pipe.Read(ctx, f, st.ETag, st.LastModified)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.recordFailure(f, &st, err, now)
		return d.state.put(ctx, f.ID, st)
	}
	resp := batch.Response
	if resp.PermanentRedirect != "" {
		d.log.Warn("feed moved permanently: update its url", "feed", f.ID, "new_url", resp.PermanentRedirect)
	}
	newItems := 0
	for _, it := range batch.Items {
		if it.Published.Before(now.Add(-maxItemAge)) {
			continue
		}
		seen, err := d.broker.IsSeen(ctx, f.ID, it.ID)
		if err != nil {
			return err
		}
		if seen {
			continue
		}
		item, alerts := d.pipe.Analyze(f, batch.FeedTitle, it, batch.Fetched)
		// Publish before marking seen: a crash in between republishes with
		// the same Nats-Msg-Id, which JetStream drops.
		if err := d.broker.PublishItem(ctx, &item); err != nil {
			return err
		}
		for i := range alerts {
			if err := d.broker.PublishAlert(ctx, &alerts[i]); err != nil {
				return err
			}
		}
		if err := d.broker.MarkSeen(ctx, f.ID, it.ID, now); err != nil {
			return err
		}
		newItems++
		if len(alerts) > 0 {
			d.log.Info("alert", "feed", f.ID, "item", item.ID, "lang", item.Lang, "title", item.Title, "classifiers", len(alerts))
		}
	}
	// The validators are stored only now that every item is published: a
	// failure above refetches the whole document next time.
	if !batch.NotModified {
		st.ETag, st.LastModified = resp.ETag, resp.LastModified
		st.ItemsLastSeen = len(batch.Items)
	}
	if newItems > 0 {
		st.LastNewItem = now
	}
	if st.Failures > 0 {
		d.log.Info("feed recovered", "feed", f.ID, "after_failures", st.Failures)
		d.forgetFailure(f.ID)
	}
	st.LastStatus, st.LastError, st.Failures, st.LastSuccess = resp.Status, "", 0, now
	st.NextFetch = now.Add(min(batch.MinInterval, maxInterval))
	d.log.Debug("feed fetched", "feed", f.ID, "status", resp.Status, "items", len(batch.Items), "new", newItems)
	return d.state.put(ctx, f.ID, st)
}

// recordFailure backs a failing feed off and logs the failure when it
// changes. A feed is never disabled: it recovers by itself.
func (d *Daemon) recordFailure(f config.Feed, st *FeedState, err error, now time.Time) {
	st.Failures++
	st.LastError = err.Error()
	st.LastStatus = 0
	wait := fetch.Backoff(st.Failures, rand.Float64)
	var se *fetch.StatusError
	if errors.As(err, &se) {
		st.LastStatus = se.Status
		wait = max(wait, se.RetryAfter)
	}
	st.NextFetch = now.Add(min(wait, maxInterval))
	d.mu.Lock()
	changed := d.lastErr[f.ID] != st.LastError
	d.lastErr[f.ID] = st.LastError
	d.mu.Unlock()
	if changed {
		d.log.Warn("fetch failed", "feed", f.ID, "error", err, "failures", st.Failures, "retry_after", st.NextFetch.Format(time.RFC3339))
	} else {
		d.log.Debug("fetch failed again", "feed", f.ID, "failures", st.Failures)
	}
}

func (d *Daemon) forgetFailure(feed string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.lastErr, feed)
}

// cronParser parses feed schedules the way the configuration validates them.
type cronParser struct{}

func (cronParser) Parse(spec string) (cron.Schedule, error) { return config.ParseSchedule(spec) }

// cronLogger sends the scheduler's messages to slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("scheduler: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("scheduler: "+msg, append(kv, "error", err)...)
}

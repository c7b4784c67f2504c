package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/metrics"
	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/parse"
	"github.com/vigie-news/vigie/internal/pipeline"
	"github.com/vigie-news/vigie/internal/redact"
	"github.com/vigie-news/vigie/internal/schedule"
)

// Job is a fetch job on the work queue.
type Job struct {
	Feed string `json:"feed"`
	// Scheduled is the tick the job was enqueued for.
	Scheduled time.Time `json:"scheduled"`
	// Now marks a fetch asked for at start or after a change of the feed:
	// it is done whatever tick was served last, and, after a change, even
	// when the feed's backoff or interval says not yet.
	Now bool `json:"now,omitempty"`
	// Start marks the fetch of a feed at start: it waits for the feed's
	// stored backoff and for the interval its source asked (Retry-After,
	// max-age, ttl), so that a restart does not fetch everything at once
	// nor call a server that asked to be left alone.
	Start bool `json:"start,omitempty"`
	// Retry is set when JetStream hands the job over again: its last
	// attempt failed (NATS out of reach mid-job) or its instance died. Not
	// part of the message: it comes from the delivery count.
	Retry bool `json:"-"`
}

// trigger is what the schedule policy needs to know of a job.
func (j Job) trigger() schedule.Trigger {
	return schedule.Trigger{Tick: j.Scheduled, Now: j.Now, Start: j.Start, Retry: j.Retry}
}

// enqueue puts a fetch job on the work queue, alone (see jobMessage).
func (d *Daemon) enqueue(ctx context.Context, job Job) error {
	m, err := jobMessage(job)
	if err != nil {
		return err
	}
	if _, err := d.broker.JS.PublishMsg(ctx, m.Msg, jetstream.WithMsgID(m.ID)); err != nil {
		d.metrics.PublishError(metrics.KindJob)
		d.logChange("enqueue:"+job.Feed, "enqueue fetch job failed", err, "feed", job.Feed)
		return err
	}
	d.forget("enqueue:" + job.Feed)
	return nil
}

// ensureJobConsumer creates the durable consumer the workers take jobs from,
// or updates it to this instance's settings.
func (d *Daemon) ensureJobConsumer(ctx context.Context) error {
	c, err := d.broker.JS.CreateOrUpdateConsumer(ctx, broker.JobsStream, jetstream.ConsumerConfig{
		Durable:       fetchConsumer,
		Description:   "Vigie workers: each fetch job goes to one of them",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       d.opts.JobAckWait,
		MaxDeliver:    10,
		MaxAckPending: 1000,
	})
	if err != nil {
		return fmt.Errorf("job consumer: %w", err)
	}
	d.cons.Store(&c)
	return nil
}

// restoreJobConsumer recreates the job consumer after the workers failed to
// read it (deleted by hand, or lost with the server's store), at most once
// every few seconds whatever the number of workers.
func (d *Daemon) restoreJobConsumer(ctx context.Context, cause error) {
	d.restoring.Lock()
	defer d.restoring.Unlock()
	if time.Since(d.restored) < 5*time.Second {
		return
	}
	d.restored = time.Now()
	d.logChange("job-consumer", "cannot read the job queue, recreating its consumer", cause)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.ensureJobConsumer(cctx); err != nil {
		d.log.Warn("job consumer not restored yet", "error", err)
		return
	}
	d.checkReadiness()
}

// work takes jobs until ctx is cancelled; workCtx bounds the job itself.
func (d *Daemon) work(ctx, workCtx context.Context) {
	for ctx.Err() == nil {
		msg, err := d.next(ctx)
		if err != nil {
			if !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, jetstream.ErrNoMessages) && ctx.Err() == nil {
				if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, nats.ErrNoResponders) {
					d.restoreJobConsumer(ctx, err)
				} else {
					d.log.Debug("next job", "error", err)
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			continue
		}
		d.forget("job-consumer")
		if ctx.Err() != nil {
			// Shutdown began while the job was on its way: leave it to
			// the next instance or start.
			_ = msg.Nak()
			return
		}
		d.handle(workCtx, msg)
	}
}

// next waits up to two seconds for a job. A shutdown ends the wait at once,
// rather than when the pull request expires: the request is withdrawn with
// its subscription, and the server hands no job to a request nobody
// listens to. (A job on its way at that very moment is redelivered after
// JobAckWait.)
func (d *Daemon) next(ctx context.Context) (jetstream.Msg, error) {
	wait, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return (*d.cons.Load()).Next(jetstream.FetchContext(wait))
}

func (d *Daemon) handle(ctx context.Context, msg jetstream.Msg) {
	var job Job
	if err := json.Unmarshal(msg.Data(), &job); err != nil {
		d.log.Warn("malformed job dropped", "subject", msg.Subject(), "error", err)
		_ = msg.Term()
		return
	}
	if md, err := msg.Metadata(); err == nil && md.NumDelivered > 1 {
		job.Retry = true
	}
	d.mu.Lock()
	feed, ok := d.feeds[job.Feed]
	d.mu.Unlock()
	if !ok {
		// A feed this instance does not know: removed from the
		// configuration, or added to another instance's first. Give the
		// others a chance; after MaxDeliver the job is dropped.
		d.log.Debug("job for an unknown feed put back", "feed", job.Feed)
		_ = msg.NakWithDelay(30 * time.Second)
		return
	}
	if !d.claim(feed.ID) {
		if job.Now || job.Retry {
			// A fetch asked for after a change must not be lost to the
			// fetch of the old configuration, nor the retry of a failed
			// fetch to one that may have begun before the document it
			// read: try again shortly.
			_ = msg.NakWithDelay(5 * time.Second)
			return
		}
		d.log.Info("feed still being fetched, tick skipped", "feed", feed.ID)
		_ = msg.Ack()
		return
	}
	defer d.release(feed.ID)

	stop := keepAlive(msg, d.opts.JobAckWait/3)
	err := d.process(ctx, feed, job)
	stop()
	if err != nil {
		// Not the source's fault (NATS unavailable, or shutdown): put the
		// job back so that nothing fetched is lost.
		d.logChange("requeue:"+feed.ID, "job requeued", err, "feed", feed.ID)
		if ctx.Err() != nil {
			_ = msg.Nak() // shutdown: another instance may take it now
		} else {
			d.metrics.JobRequeued()
			_ = msg.NakWithDelay(10 * time.Second)
		}
		return
	}
	d.forget("requeue:" + feed.ID)
	_ = msg.Ack()
}

// logChange logs a repeating failure at warning level when it changes, and
// at debug level while it repeats.
func (d *Daemon) logChange(key, msg string, err error, args ...any) {
	d.mu.Lock()
	changed := d.lastErr[key] != err.Error()
	d.lastErr[key] = err.Error()
	d.mu.Unlock()
	args = append(args, "error", err)
	if changed {
		d.log.Warn(msg, args...)
	} else {
		d.log.Debug(msg, args...)
	}
}

// forget clears a failure logged by logChange, and reports whether there
// was one.
func (d *Daemon) forget(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, had := d.lastErr[key]
	delete(d.lastErr, key)
	return had
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

func (d *Daemon) isRunning(feed string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running[feed]
}

func (d *Daemon) release(feed string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.running, feed)
}

// process fetches one feed and publishes what is new. A source's failure is
// recorded in the feed's state and is not an error; an error means the job
// must be retried (NATS unavailable, shutdown). When the feed is fetched,
// and when next, is the schedule policy's to say; process carries it out.
func (d *Daemon) process(ctx context.Context, f config.Feed, job Job) error {
	st, rev, err := d.feedState(ctx, f)
	if err != nil {
		return err
	}
	now := d.now()
	if !d.due(f, st, job, now) {
		return nil
	}
	pipe := d.pipe.Load()
	batch, err := pipe.Read(ctx, f, st.ETag, st.LastModified)
	took := d.now().Sub(now)
	outcome := schedule.Outcome{Time: now, Tick: job.Scheduled, Err: err}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.recordFailure(f, &st, outcome, took)
		return d.putState(ctx, f.ID, st, rev)
	}
	d.fetched(f, batch, took)
	t, err := d.publishBatch(ctx, pipe, f, batch, now)
	if err != nil {
		return err
	}
	outcome.Period = d.period(f.ID) // read on success only: two schedule lookups
	d.recordSuccess(f, &st, batch, t, outcome)
	return d.putState(ctx, f.ID, st, rev)
}

// feedState reads a feed's state and its revision. A state gathered from
// another URL or headers is started afresh: the feed was moved, and this
// instance learns it from the bucket before its own reload.
func (d *Daemon) feedState(ctx context.Context, f config.Feed) (FeedState, uint64, error) {
	st, rev, err := d.state.get(ctx, f.ID)
	if err != nil {
		return st, rev, err
	}
	src := sourceOf(f)
	if st.Source != "" && st.Source != src {
		st = FeedState{}
	}
	st.Source = src
	return st, rev, nil
}

// due says whether job fetches its feed now, as the schedule policy says.
func (d *Daemon) due(f config.Feed, st FeedState, job Job, now time.Time) bool {
	switch schedule.Due(st.schedule(), job.trigger(), now) {
	case schedule.Served:
		d.log.Debug("tick already served", "feed", f.ID, "tick", job.Scheduled)
		return false
	case schedule.NotDue:
		d.log.Debug("feed not due", "feed", f.ID, "next_fetch", st.NextFetch, "failures", st.Failures, "at_start", job.Start)
		if job.Start {
			// The gauge of a feed that waits from the start.
			d.metrics.FeedNextFetch(f.ID, d.nextFetch(f.ID, st))
		}
		return false
	}
	return true
}

// fetched counts a fetch that succeeded and logs a permanent redirect.
func (d *Daemon) fetched(f config.Feed, batch *pipeline.Batch, took time.Duration) {
	switch {
	case batch.NotModified:
		d.metrics.FetchDone(f.ID, metrics.ResultNotModified, took, 0)
	case batch.Salvaged != "":
		d.metrics.FetchDone(f.ID, metrics.ResultSalvaged, took, int(batch.Bytes))
	default:
		d.metrics.FetchDone(f.ID, metrics.ResultOK, took, int(batch.Bytes))
	}
	if to := batch.Response.PermanentRedirect; to != "" {
		d.log.Warn("feed moved permanently: update its url", "feed", f.ID, "new_url", redact.URL(to))
	}
}

// tally counts what one fetch published: new and seen items, and new items
// and alerts by language, for the status page's counts.
type tally struct {
	newItems, seenItems       int
	itemsByLang, alertsByLang map[string]int
}

// publishBatch publishes the new items of a batch and their alerts, and
// marks them seen. Items older than the feed's max_age were left out by
// Read: counted here, never published nor alerted.
func (d *Daemon) publishBatch(ctx context.Context, pipe *pipeline.Pipeline, f config.Feed, batch *pipeline.Batch, now time.Time) (tally, error) {
	t := tally{itemsByLang: map[string]int{}, alertsByLang: map[string]int{}}
	d.metrics.ItemsTooOld(f.ID, batch.TooOld)
	for _, sel := range batch.Missed {
		d.metrics.ListingSelectorMissed(f.ID, sel)
	}
	for _, it := range batch.Items {
		if err := d.publishItem(ctx, pipe, f, batch, it, now, &t); err != nil {
			return t, err
		}
	}
	d.metrics.ItemsNew(f.ID, t.newItems)
	d.metrics.ItemsSeen(f.ID, t.seenItems)
	return t, nil
}

// publishItem publishes one item of a batch, unless it was published
// already, with its alerts, and marks it seen.
func (d *Daemon) publishItem(ctx context.Context, pipe *pipeline.Pipeline, f config.Feed, batch *pipeline.Batch, it normalize.Item, now time.Time, t *tally) error {
	seen, err := d.seen(ctx, f.ID, it, now)
	if err != nil {
		return err
	}
	if seen {
		t.seenItems++
		return nil
	}
	// The page of a new item is read here, after the seen check, so that
	// it is read once: a reload or a restart finds the item seen.
	text, err := pipe.Expand(ctx, f, it)
	if err != nil {
		return err
	}
	d.metrics.ArticleFetch(text.Outcome)
	item, alerts := pipe.AnalyzeText(f, batch.FeedTitle, it, text, batch.Fetched)
	// The story goes into both payloads; the store unreachable, the job is
	// put back like any NATS failure.
	if err := pipe.AssignStory(ctx, d.stories, &item, alerts); err != nil {
		return err
	}
	// Publish before marking seen: a crash in between republishes with the
	// same Nats-Msg-Id, which JetStream drops. A message the server will
	// never take (larger than its max_payload) is this item's failure
	// alone: it is logged, counted and passed over, rather than requeueing
	// the job, and the items after it, for ever.
	if err := d.broker.PublishItem(ctx, &item); err != nil {
		d.metrics.PublishError(metrics.KindItem)
		if !errors.Is(err, nats.ErrMaxPayload) {
			return err
		}
		d.log.Error("item too large to publish, passed over", "feed", f.ID, "item", item.ID, "title", item.Title, "error", err)
		alerts = nil
	}
	for i := range alerts {
		if err := d.publishAlert(ctx, f, &alerts[i], t); err != nil {
			return err
		}
	}
	if err := d.markSeen(ctx, f.ID, it, now); err != nil {
		d.metrics.PublishError(metrics.KindSeen)
		return err
	}
	t.newItems++
	t.itemsByLang[item.Lang]++
	if len(alerts) > 0 {
		d.log.Info("alert", "feed", f.ID, "item", item.ID, "lang", item.Lang, "title", item.Title, "classifiers", len(alerts))
	}
	return nil
}

// publishAlert publishes one alert and counts it; an alert too large for
// the server is logged and passed over.
func (d *Daemon) publishAlert(ctx context.Context, f config.Feed, a *vigie.Alert, t *tally) error {
	if err := d.broker.PublishAlert(ctx, a); err != nil {
		d.metrics.PublishError(metrics.KindAlert)
		if !errors.Is(err, nats.ErrMaxPayload) {
			return err
		}
		d.log.Error("alert too large to publish, passed over", "feed", f.ID, "item", a.ID, "classifier", a.Classifier, "error", err)
		return nil
	}
	topics := make([]string, len(a.Topics))
	for j, tp := range a.Topics {
		topics[j] = tp.ID
	}
	d.metrics.Alert(a.Classifier, a.Lang, topics...)
	t.alertsByLang[a.Lang]++
	return nil
}

// recordSuccess records a fetch whose items are all published: the
// validators, the counts, and the next fetch, as the policy says.
func (d *Daemon) recordSuccess(f config.Feed, st *FeedState, batch *pipeline.Batch, t tally, o schedule.Outcome) {
	resp, now := batch.Response, o.Time
	// The validators are stored only now that every item is published: a
	// failure before refetches the whole document next time. A damaged
	// document keeps none, or the server would answer 304 until the feed
	// changes and the items after the damage would never be read.
	switch {
	case batch.Salvaged != "":
		st.ETag, st.LastModified = "", ""
		st.ItemsLastSeen = len(batch.Items)
		d.logChange("salvage:"+f.ID, "feed damaged: read up to the damage", errors.New(batch.Salvaged), "feed", f.ID, "items", len(batch.Items))
	case batch.NotModified:
		// A 304 may carry new validators; without, the old ones stand.
		st.ETag, st.LastModified = resp.ETag, resp.LastModified
	default:
		st.ETag, st.LastModified = resp.ETag, resp.LastModified
		st.ItemsLastSeen = len(batch.Items)
		d.forget("salvage:" + f.ID)
	}
	if t.newItems > 0 {
		st.LastNewItem = now
		st.Lang = mostOf(t.itemsByLang)
	}
	st.Hours = st.Hours.Add(now, t.itemsByLang, t.alertsByLang, 0)
	st.ErrorKind = ""
	if d.forget("fetch:"+f.ID) || st.Failures > 0 {
		d.log.Info("feed recovered", "feed", f.ID, "after_failures", st.Failures)
	}
	st.LastStatus, st.LastError, st.LastSuccess = resp.Status, "", now
	if batch.Salvaged != "" {
		st.LastError = "damaged, read up to the damage: " + batch.Salvaged
	}
	o.Status, o.Header = resp.Status, resp.Header
	o.Document, o.Damaged = batch.Document, batch.Salvaged != ""
	st.setSchedule(d.policy.Next(st.schedule(), o))
	d.metrics.FeedNextFetch(f.ID, d.nextFetch(f.ID, *st))
	d.log.Debug("feed fetched", "feed", f.ID, "status", resp.Status, "items", len(batch.Items), "new", t.newItems)
}

// seen reports whether an item was published already. An item whose GUID
// another item of the feed now repeats has a new id (normalize.Item.BaseID):
// it counts as seen if it was published alone under its plain id, which
// recorded its fingerprint. It is then marked under its new id too.
func (d *Daemon) seen(ctx context.Context, feed string, it normalize.Item, now time.Time) (bool, error) {
	seen, fp, err := d.broker.IsSeen(ctx, feed, it.ID)
	if err == nil && seen && fp == "" && it.BaseID == "" {
		// A mark from before fingerprints: the item is alone under its
		// plain id, so the fingerprint can be added now, for the day
		// another item repeats its GUID.
		err = d.broker.MarkSeen(ctx, feed, it.ID, now, it.Fingerprint, false)
	}
	if err != nil || seen || it.BaseID == "" {
		return seen, err
	}
	seen, fp, err = d.broker.IsSeen(ctx, feed, it.BaseID)
	if err != nil || !seen || fp != it.Fingerprint {
		return false, err
	}
	return true, d.broker.MarkSeen(ctx, feed, it.ID, now, it.Fingerprint, false)
}

// markSeen records a published item under its id and, for an item with a
// repeated GUID, under its plain id if none is there yet: should the other
// item leave the feed, it goes back to that id and is not published again.
func (d *Daemon) markSeen(ctx context.Context, feed string, it normalize.Item, now time.Time) error {
	if err := d.broker.MarkSeen(ctx, feed, it.ID, now, it.Fingerprint, false); err != nil {
		return err
	}
	if it.BaseID == "" {
		return nil
	}
	return d.broker.MarkSeen(ctx, feed, it.BaseID, now, it.Fingerprint, true)
}

// putState writes the state of a fetch. A fetch whose feed was moved to
// another URL or headers while it ran is dropped: its state would undo the
// reset of the new source (see stateStore.put).
func (d *Daemon) putState(ctx context.Context, feed string, st FeedState, rev uint64) error {
	err := d.state.put(ctx, feed, st, rev)
	if errors.Is(err, errOtherSource) {
		d.log.Info("fetch of a feed's former source dropped", "feed", feed)
		return nil
	}
	return err
}

// period is the time between a feed's next two ticks, 0 if unknown.
func (d *Daemon) period(feed string) time.Duration {
	e, ok := d.entry(feed)
	if !ok {
		return 0
	}
	next := e.sched.Next(d.now())
	return e.sched.Next(next).Sub(next)
}

// nextFetch is when the feed will next be fetched: its next tick, or later
// when the source or a backoff asks for it.
func (d *Daemon) nextFetch(feed string, st FeedState) time.Time {
	e, ok := d.entry(feed)
	if !ok {
		return st.NextFetch
	}
	next := e.sched.Next(d.now())
	if next.IsZero() {
		return st.NextFetch
	}
	return schedule.NextTick(st.schedule(), next, e.sched.Next)
}

// entry is a feed's place in the scheduler. Its schedule is kept here
// rather than asked of the scheduler, whose Entry copies every entry.
func (d *Daemon) entry(feed string) (scheduled, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[feed]
	return e, ok
}

// fetchResult is the metrics label of a failed fetch.
func fetchResult(err error) string {
	var se *fetch.StatusError
	switch {
	case errors.As(err, &se):
		return metrics.StatusResult(se.Status)
	case errors.Is(err, fetch.ErrTimeout):
		return metrics.ResultTimeout
	case errors.Is(err, fetch.ErrNetwork):
		return metrics.ResultNetwork
	case errors.Is(err, fetch.ErrTooLarge):
		return metrics.ResultTooLarge
	case errors.Is(err, fetch.ErrTooManyRedirects):
		return metrics.ResultRedirects
	case errors.Is(err, fetch.ErrInvalidURL):
		return metrics.ResultInvalidURL
	case errors.Is(err, parse.ErrNotAFeed), errors.Is(err, parse.ErrMalformed):
		return metrics.ResultParse
	default:
		return metrics.ResultOther
	}
}

// mostOf is the key with the highest count (the first in order on a tie).
func mostOf(counts map[string]int) string {
	best := ""
	for k, n := range counts {
		if best == "" || n > counts[best] || n == counts[best] && k < best {
			best = k
		}
	}
	return best
}

// recordFailure records a fetch that failed: backed off as the policy says
// (a fetch its host deferred waits for the host, with no backoff), and
// logged when the failure changes. A feed is never disabled: it recovers by
// itself.
func (d *Daemon) recordFailure(f config.Feed, st *FeedState, o schedule.Outcome, took time.Duration) {
	var se *fetch.StatusError
	if errors.As(o.Err, &se) {
		o.Status, o.Header = se.Status, se.Header
	}
	st.setSchedule(d.policy.Next(st.schedule(), o))
	defer func() { d.metrics.FeedNextFetch(f.ID, d.nextFetch(f.ID, *st)) }()
	if se != nil && se.Deferred {
		// Not this feed's failure: its host asked every client to wait.
		d.log.Debug("feed deferred: its host asked to wait", "feed", f.ID, "until", st.NextFetch)
		return
	}
	kind := fetchResult(o.Err)
	d.metrics.FetchDone(f.ID, kind, took, 0)
	st.LastError = o.Err.Error()
	st.ErrorKind = kind
	st.Hours = st.Hours.Add(o.Time, nil, nil, 1)
	st.LastStatus = o.Status
	d.logChange("fetch:"+f.ID, "fetch failed", o.Err, "feed", f.ID, "failures", st.Failures, "retry_after", st.NextFetch.Format(time.RFC3339))
}

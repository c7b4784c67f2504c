package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify/receiver"
)

// A route that notifies per story sends a story's first report as it
// sends an alert, and tells of the later ones without a new message: a
// webhook gets a story.updated event for each, a Slack bot route updates
// the story's message in place, and a Slack incoming webhook gets a short
// "also reported by" follow-up at most once per story every FollowUpEvery.
// What each route told of each story is noted in StoriesBucket, before
// the alert is acked, so that a restart or another instance carries on.

// StoriesBucket holds, under <route>.<story id>, what a route told of a
// story (see storyNote).
const (
	StoriesBucket = "vigie_story_messages"
	// storyNotesTTL is how long a note outlives its last change: longer
	// than a story stays open.
	storyNotesTTL = 35 * 24 * time.Hour
	// DefaultFollowUpEvery spaces the follow-ups of one story on a Slack
	// incoming webhook.
	DefaultFollowUpEvery = time.Hour
)

// storyTeller is what a route's integration does for stories.
type storyTeller interface {
	// NotifyStory sends a story's first report and says where its
	// message is, when the receiver can change it.
	NotifyStory(ctx context.Context, a *vigie.Alert) (ref receiver.MessageRef, retry bool, err error)
	// UpdateStory tells of later reports.
	UpdateStory(ctx context.Context, u *receiver.StoryUpdate) (retry bool, err error)
}

// storyFinder finds a story's message that was posted but not noted (the
// process died between the two).
type storyFinder interface {
	FindStory(ctx context.Context, a *vigie.Alert, since time.Time) (receiver.MessageRef, bool, error)
}

// storyNote is what a route told of a story.
type storyNote struct {
	// First is the alert (Nats-Msg-Id) whose message stands for the
	// story; Sent is set once it was delivered.
	First       string          `json:"first"`
	FirstReport receiver.Report `json:"first_report"`
	Sent        bool            `json:"sent"`
	// Attempt is when the first message was last tried, for a receiver
	// where a message cut short can be looked for.
	Attempt time.Time           `json:"attempt,omitzero"`
	Ref     receiver.MessageRef `json:"ref,omitzero"`
	// Told are the reports told of, the first one first.
	Told []receiver.Report `json:"told"`
	// Pending are later reports that wait for the next follow-up;
	// Sending those of the follow-up in flight since SendingAt.
	Pending   []receiver.Report `json:"pending,omitempty"`
	Sending   []string          `json:"sending,omitempty"`
	SendingAt time.Time         `json:"sending_at,omitzero"`
	// LastPost is when the route last posted about the story.
	LastPost time.Time `json:"last_post,omitzero"`
	// Story is the story as its latest report carries it.
	Story *vigie.Story `json:"story,omitempty"`
}

func (n *storyNote) knows(id string) bool {
	has := func(rs []receiver.Report) bool {
		return slices.ContainsFunc(rs, func(r receiver.Report) bool { return r.ID == id })
	}
	return has(n.Told) || has(n.Pending) || slices.Contains(n.Sending, id)
}

// noteKey is a story's key in StoriesBucket for a route.
func noteKey(route, story string) string { return route + "." + DeliveryKey(story) }

// perStory reports whether the route notifies per story.
func (r *route) perStory() bool { return r.cfg.Per != config.PerItem }

// getNote reads a note and its revision; nil when there is none.
func (r *route) getNote(ctx context.Context, key string) (*storyNote, uint64, error) {
	e, err := r.svc.stories.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("story note %s: %w", key, err)
	}
	var n storyNote
	if err := json.Unmarshal(e.Value(), &n); err != nil {
		return nil, 0, fmt.Errorf("story note %s: %w", key, err)
	}
	return &n, e.Revision(), nil
}

// errNoteChanged is putNote's answer when the note changed since it was
// read.
var errNoteChanged = errors.New("story note changed")

// putNote writes a note read at rev (0: a new note).
func (r *route) putNote(ctx context.Context, key string, n *storyNote, rev uint64) (uint64, error) {
	data, err := json.Marshal(n)
	if err != nil {
		return 0, err
	}
	if rev == 0 {
		rev, err = r.svc.stories.Create(ctx, key, data)
	} else {
		rev, err = r.svc.stories.Update(ctx, key, data, rev)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return 0, errNoteChanged
	case err != nil:
		return 0, fmt.Errorf("story note %s: %w", key, err)
	}
	return rev, nil
}

// changeNote applies change to the latest note until it is written (other
// workers and instances write notes too). change returns false to leave
// the note as it is.
func (r *route) changeNote(ctx context.Context, key string, change func(n *storyNote) bool) (*storyNote, error) {
	for range 20 {
		n, rev, err := r.getNote(ctx, key)
		if err != nil {
			return nil, err
		}
		if n == nil {
			n = &storyNote{}
		}
		if !change(n) {
			return n, nil
		}
		if _, err := r.putNote(ctx, key, n, rev); err == nil {
			return n, nil
		} else if !errors.Is(err, errNoteChanged) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("story note %s: changed too often", key)
}

// changeNoteBy is changeNote for what was delivered: tried again until
// deadline while NATS does not answer (see untilAnswered), since the note
// is what keeps a redelivered report from being told twice.
func (r *route) changeNoteBy(deadline time.Time, key string, change func(n *storyNote) bool) (n *storyNote, err error) {
	err = untilAnswered(deadline, func(ctx context.Context) error {
		n, err = r.changeNote(ctx, key, change)
		return err
	})
	return n, err
}

// handleStory delivers an alert of a story on a route that notifies per
// story: the first report as a message, a later one as an update.
func (r *route) handleStory(ctx context.Context, m jetstream.Msg, a *vigie.Alert, attempt int) {
	id := a.AlertID()
	key := noteKey(r.cfg.Name, a.Story.ID)
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for range 20 {
		n, rev, err := r.getNote(nctx, key)
		if err != nil {
			r.later(m, a, attempt, err)
			return
		}
		switch {
		case n == nil:
			n = &storyNote{First: id, FirstReport: receiver.ReportOf(a), Story: a.Story}
			rev, err = r.putNote(nctx, key, n, 0)
			if errors.Is(err, errNoteChanged) {
				continue // another worker's report came first
			}
			if err != nil {
				r.later(m, a, attempt, err)
				return
			}
			r.sendFirst(ctx, m, a, attempt, key, n, rev)
			return
		case n.First == id && !n.Sent:
			r.sendFirst(ctx, m, a, attempt, key, n, rev)
			return
		case n.knows(id):
			r.ack(m) // told already: a redelivery
			return
		case !n.Sent:
			// The story's first message is not out yet: this report comes
			// after it.
			r.waitFirst(m, a, attempt)
			return
		case r.batch:
			n.Pending = append(n.Pending, receiver.ReportOf(a))
			n.Story = a.Story
			if _, err := r.putNote(nctx, key, n, rev); errors.Is(err, errNoteChanged) {
				continue
			} else if err != nil {
				r.later(m, a, attempt, err)
				return
			}
			r.ack(m)
			r.poke()
			return
		default:
			r.sendUpdate(ctx, m, a, attempt, key, n)
			return
		}
	}
	r.later(m, a, attempt, fmt.Errorf("story note %s: changed too often", key))
}

// later puts an alert back after a failure that is not the receiver's
// (NATS): it is tried again after the backoff.
func (r *route) later(m jetstream.Msg, a *vigie.Alert, attempt int, err error) {
	r.logFailure(err, "story note unavailable, will retry", "alert", a.AlertID())
	_ = m.NakWithDelay(r.svc.opts.Backoff(attempt))
}

// waitFirst puts back a report that must wait for its story's first message.
func (r *route) waitFirst(m jetstream.Msg, a *vigie.Alert, attempt int) {
	r.log.Debug("story report waits for the story's first message", "alert", a.AlertID(), "story", a.Story.ID)
	_ = m.NakWithDelay(min(r.svc.opts.Backoff(attempt), 5*time.Second))
}

// sendFirst sends the message of a story's first report.
func (r *route) sendFirst(ctx context.Context, m jetstream.Msg, a *vigie.Alert, attempt int, key string, n *storyNote, rev uint64) {
	teller := r.to.(storyTeller)
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if finder, ok := r.to.(storyFinder); ok {
		if !n.Attempt.IsZero() {
			// A try was cut short before its outcome was noted: the
			// message may be there already.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
			ref, found, err := finder.FindStory(fctx, a, n.Attempt.Add(-time.Minute))
			cancel()
			if err != nil {
				r.retryOrFail(ctx, m, a, attempt, err, true)
				return
			}
			if found {
				r.log.Info("story message found, not posted again", "alert", a.AlertID(), "story", a.Story.ID)
				r.firstSent(m, a, attempt, key, ref)
				return
			}
		}
		n.Attempt = r.svc.opts.Now().UTC()
		if _, err := r.putNote(nctx, key, n, rev); err != nil {
			r.later(m, a, attempt, err)
			return
		}
	}
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
	began := time.Now()
	ref, retry, err := teller.NotifyStory(actx, a)
	acancel()
	if err != nil {
		if !retry || attempt >= r.svc.opts.MaxAttempts {
			// A later report becomes the story's first message.
			if x, rev, err := r.getNote(nctx, key); err == nil && x != nil && x.First == a.AlertID() && !x.Sent {
				if err := r.svc.stories.Delete(nctx, key, jetstream.LastRevision(rev)); err != nil {
					r.log.Warn("story note not cleared after a final failure", "story", a.Story.ID, "error", err)
				}
			}
		}
		r.retryOrFail(ctx, m, a, attempt, err, retry)
		return
	}
	r.svc.opts.Metrics.NotifyDelivered(r.cfg.Name, time.Since(began))
	r.firstSent(m, a, attempt, key, ref)
}

// firstSent notes a story's first message as delivered and acks it.
func (r *route) firstSent(m jetstream.Msg, a *vigie.Alert, attempt int, key string, ref receiver.MessageRef) {
	now := r.svc.opts.Now().UTC()
	_, err := r.changeNoteBy(r.settleBy(), key, func(n *storyNote) bool {
		n.First, n.FirstReport, n.Sent, n.Ref, n.LastPost = a.AlertID(), receiver.ReportOf(a), true, ref, now
		if !n.knows(a.AlertID()) {
			n.Told = append([]receiver.Report{receiver.ReportOf(a)}, n.Told...)
		}
		if n.Story == nil || a.Story.Items >= n.Story.Items {
			n.Story = a.Story
		}
		return true
	})
	if err != nil {
		// Delivered, but not noted: acked all the same, or it would be
		// sent again; a later report may then start a second message.
		r.log.Warn("story message sent but not noted", "alert", a.AlertID(), "error", err)
	}
	r.delivered.Add(1)
	r.recovered()
	r.ack(m)
	r.note(a, Delivery{State: DeliverySent, Attempts: attempt, At: r.svc.opts.Now()})
	r.poke() // reports may have waited for this message
}

// sendUpdate tells of a later report at once (a webhook, a Slack bot).
func (r *route) sendUpdate(ctx context.Context, m jetstream.Msg, a *vigie.Alert, attempt int, key string, n *storyNote) {
	teller := r.to.(storyTeller)
	rep := receiver.ReportOf(a)
	u := &receiver.StoryUpdate{
		ID: "story." + a.Story.ID + "." + a.AlertID(), Story: a.Story, First: n.FirstReport, Ref: n.Ref,
		Told: n.Told, New: []receiver.Report{rep}, Alert: a,
	}
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
	began := time.Now()
	retry, err := teller.UpdateStory(actx, u)
	acancel()
	if err != nil {
		r.retryOrFail(ctx, m, a, attempt, err, retry)
		return
	}
	r.svc.opts.Metrics.NotifyDelivered(r.cfg.Name, time.Since(began))
	noted, err := r.changeNoteBy(r.settleBy(), key, func(x *storyNote) bool {
		if !x.knows(rep.ID) {
			x.Told = append(x.Told, rep)
		}
		if x.Story == nil || a.Story.Items >= x.Story.Items {
			x.Story = a.Story
		}
		x.LastPost = r.svc.opts.Now().UTC()
		return true
	})
	if err != nil {
		r.log.Warn("story update sent but not noted", "alert", a.AlertID(), "error", err)
	}
	if noted != nil && n.Ref.TS != "" && len(noted.Told) > len(u.Told)+1 {
		// Another worker told of reports in the meantime: the message,
		// rewritten whole each time, is rewritten with them.
		again := *u
		again.Told = slices.DeleteFunc(slices.Clone(noted.Told), func(x receiver.Report) bool { return x.ID == rep.ID })
		actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
		if _, err := teller.UpdateStory(actx, &again); err != nil {
			r.log.Warn("story message not rewritten with every report", "story", a.Story.ID, "error", err)
		}
		acancel()
	}
	r.delivered.Add(1)
	r.recovered()
	r.ack(m)
	r.note(a, Delivery{State: DeliverySent, Attempts: attempt, At: r.svc.opts.Now()})
}

// retryOrFail handles a failed delivery as handle does: a delayed nak
// while it is worth retrying, a recorded failure when it is final.
func (r *route) retryOrFail(ctx context.Context, m jetstream.Msg, a *vigie.Alert, attempt int, err error, retry bool) {
	status, after := failure(err)
	if !retry || attempt >= r.svc.opts.MaxAttempts {
		r.final(ctx, m, a, attempt, status, err)
		return
	}
	delay := r.retryDelay(attempt, after)
	r.note(a, Delivery{State: DeliveryRetrying, Attempts: attempt, Status: status, Error: err.Error(), At: r.svc.opts.Now()})
	r.logFailure(err, "notify delivery failed, will retry", "alert", a.AlertID(), "status", status, "attempt", attempt, "retry_in", delay)
	if nerr := m.NakWithDelay(delay); nerr != nil {
		r.log.Warn("notify nak failed", "alert", a.AlertID(), "error", nerr)
	}
	r.svc.opts.Metrics.NotifyRetry(r.cfg.Name)
	r.retries.Add(1)
}

// followUpEvery spaces the follow-ups of one story on the route.
func (r *route) followUpEvery() time.Duration {
	if r.cfg.FollowUp > 0 {
		return r.cfg.FollowUp
	}
	return r.svc.opts.FollowUpEvery
}

// poke asks the route's follow-ups to look at their notes again.
func (r *route) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// followUps sends the follow-ups of a Slack incoming-webhook route's
// stories when they are due, until ctx ends. It follows the route's
// notes, whichever instance wrote them, so that reports left pending by
// an instance that stopped are sent by another.
func (r *route) followUps(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := r.svc.stories.WatchFiltered(ctx, []string{r.cfg.Name + ".*"}, jetstream.IgnoreDeletes())
		if err != nil {
			r.logFailure(err, "story notes cannot be watched, will retry")
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		}
		r.followNotes(ctx, w)
		_ = w.Stop()
	}
}

func (r *route) followNotes(ctx context.Context, w jetstream.KeyWatcher) {
	due := map[string]time.Time{}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		// The earliest follow-up due, and the wait until then.
		next := time.Time{}
		for _, at := range due {
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		timer.Stop()
		if !next.IsZero() {
			timer.Reset(max(next.Sub(r.svc.opts.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				continue
			}
			var n storyNote
			if json.Unmarshal(e.Value(), &n) != nil || !n.Sent || len(n.Pending) == 0 {
				delete(due, e.Key())
				continue
			}
			at := n.LastPost.Add(r.followUpEvery())
			if len(n.Sending) > 0 {
				// Another worker's follow-up, or one cut short.
				at = n.SendingAt.Add(r.ackWait())
			}
			due[e.Key()] = at
			continue
		case <-r.wake:
		case <-timer.C:
		}
		now := r.svc.opts.Now()
		for key, at := range due {
			if at.After(now) {
				continue
			}
			delete(due, key)
			if again := r.sendFollowUp(ctx, key); !again.IsZero() {
				due[key] = again
			}
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// sendFollowUp sends a story's pending reports in one message, claiming
// them in its note first so that one instance sends them. It returns when
// to try again after a failure worth retrying (zero otherwise).
func (r *route) sendFollowUp(ctx context.Context, key string) time.Time {
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := r.svc.opts.Now().UTC()
	var claimed []receiver.Report
	n, err := r.changeNote(nctx, key, func(n *storyNote) bool {
		claimed = nil
		if !n.Sent || len(n.Pending) == 0 || now.Before(n.LastPost.Add(r.followUpEvery())) ||
			len(n.Sending) > 0 && now.Before(n.SendingAt.Add(r.ackWait())) {
			return false
		}
		claimed = slices.Clone(n.Pending)
		n.Sending, n.SendingAt = nil, now
		for _, p := range claimed {
			n.Sending = append(n.Sending, p.ID)
		}
		return true
	})
	if err != nil {
		r.logFailure(err, "story note unavailable, follow-up delayed")
		return now.Add(r.svc.opts.Backoff(1))
	}
	if len(claimed) == 0 {
		return time.Time{}
	}
	u := &receiver.StoryUpdate{ID: "story." + key + "." + now.Format(time.RFC3339Nano), Story: n.Story, First: n.FirstReport, Ref: n.Ref, Told: n.Told, New: claimed}
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
	began := time.Now()
	retry, err := r.to.(storyTeller).UpdateStory(actx, u)
	acancel()
	ids := make([]string, len(claimed))
	for i, p := range claimed {
		ids[i] = p.ID
	}
	if err != nil && retry {
		r.logFailure(err, "story follow-up failed, will retry", "story", key, "reports", len(claimed))
		_, _ = r.changeNote(nctx, key, func(n *storyNote) bool { n.Sending = nil; return true })
		r.retries.Add(1)
		r.svc.opts.Metrics.NotifyRetry(r.cfg.Name)
		return r.svc.opts.Now().Add(r.svc.opts.Backoff(2))
	}
	if err != nil {
		status, _ := failure(err)
		for _, p := range claimed {
			f := Failure{Route: r.cfg.Name, AlertID: p.ID, Title: p.Title, Status: status, Error: err.Error(), Attempts: 1, At: r.svc.opts.Now().UTC()}
			if rerr := r.svc.record(nctx, f, nil); rerr != nil {
				r.log.Error("notify failure cannot be recorded", "alert", p.ID, "error", rerr)
			}
			_ = r.noteID(nctx, p.ID, Delivery{State: DeliveryFailed, Attempts: 1, Status: status, Error: f.Error, At: f.At})
		}
		r.failed.Add(uint64(len(claimed)))
		r.log.Error("story follow-up failed for good", "story", key, "reports", len(claimed), "error", err)
	} else {
		r.svc.opts.Metrics.NotifyDelivered(r.cfg.Name, time.Since(began))
		r.delivered.Add(uint64(len(claimed)))
		r.recovered()
		for _, id := range ids {
			_ = r.noteID(nctx, id, Delivery{State: DeliverySent, Attempts: 1, At: r.svc.opts.Now()})
		}
	}
	sent := err == nil
	if _, err := r.changeNote(nctx, key, func(n *storyNote) bool {
		n.Pending = slices.DeleteFunc(n.Pending, func(p receiver.Report) bool { return slices.Contains(ids, p.ID) })
		if sent {
			for _, p := range claimed {
				if !slices.ContainsFunc(n.Told, func(t receiver.Report) bool { return t.ID == p.ID }) {
					n.Told = append(n.Told, p)
				}
			}
			n.LastPost = now
		}
		n.Sending = nil
		return true
	}); err != nil {
		r.log.Warn("story follow-up sent but not noted", "story", key, "error", err)
	}
	return time.Time{}
}

// sleep waits d, or until ctx ends (false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

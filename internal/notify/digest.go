package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/notify/receiver"
	"github.com/vigie-news/vigie/internal/notify/webhook"
)

// held is an alert waiting, unacked, for its digest.
type held struct {
	msg   jetstream.Msg
	alert *vigie.Alert
}

// digest collects a route's alerts and sends them at the end of each period:
// periods are aligned on multiples of the digest duration (the top of the
// hour for 1h). Alerts stay unacked, kept alive with InProgress, until the
// digest that lists them is delivered; when ctx ends they are handed back to
// JetStream for the next run.
//
// An alert can reach the digest twice: one pulled while a digest was being
// retried waits, unkept, past the ack wait and is delivered again. Copies
// are told apart by stream sequence: a copy of a held alert replaces it,
// and a copy of one a digest has delivered is acked and dropped.
func (r *route) digest(ctx context.Context, in <-chan jetstream.Msg) {
	var batch []held
	var since, until time.Time
	var timer *time.Timer
	holding := map[uint64]int{} // stream sequence -> index in batch
	var sent, sentBefore map[uint64]bool
	heartbeat := time.NewTicker(r.ackWait() / 3)
	defer heartbeat.Stop()
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		for _, h := range batch {
			_ = h.msg.Nak()
		}
	}()
	for {
		var flush <-chan time.Time
		if timer != nil {
			flush = timer.C
		}
		select {
		case m, ok := <-in:
			if !ok {
				return
			}
			seq := streamSeq(m) // 0 when unknown: never taken for a copy
			if i, dup := holding[seq]; dup && seq > 0 {
				batch[i].msg = m
				continue
			}
			if seq > 0 && (sent[seq] || sentBefore[seq]) {
				r.ack(m)
				continue
			}
			a, ok := r.decode(ctx, m)
			if !ok {
				continue
			}
			if len(batch) == 0 {
				now := r.svc.opts.Now()
				since = now.Truncate(r.cfg.Digest)
				until = since.Add(r.cfg.Digest)
				timer = time.NewTimer(until.Sub(now))
			}
			if seq > 0 {
				holding[seq] = len(batch)
			}
			batch = append(batch, held{m, a})
			if len(batch) < maxDigest {
				continue
			}
			timer.Stop()
			until = r.svc.opts.Now()
		case <-flush:
		case <-heartbeat.C:
			keepAlive(batch)
			continue
		case <-ctx.Done():
			return
		}
		timer = nil
		// The sequences of the last two digests are remembered: a copy
		// arrives at most one ack wait after its digest went out.
		sentBefore, sent = sent, make(map[uint64]bool, len(batch))
		for _, h := range batch {
			if seq := streamSeq(h.msg); seq > 0 {
				sent[seq] = true
			}
		}
		clear(holding)
		batch = r.sendDigest(ctx, batch, since, until, heartbeat.C)
		if len(batch) > 0 { // stopped while retrying
			return
		}
	}
}

// streamSeq is a message's sequence in the stream, 0 if unknown.
func streamSeq(m jetstream.Msg) uint64 {
	md, err := m.Metadata()
	if err != nil {
		return 0
	}
	return md.Sequence.Stream
}

// decode reads an alert for the digest; a bad payload is a final failure,
// an alert the route does not want is acked.
func (r *route) decode(ctx context.Context, m jetstream.Msg) (*vigie.Alert, bool) {
	var a vigie.Alert
	if err := json.Unmarshal(m.Data(), &a); err != nil {
		r.final(ctx, m, nil, 1, 0, fmt.Errorf("decode alert: %w", err))
		return nil, false
	}
	if !Matches(r.cfg.Match, &a) {
		r.skipped.Add(1)
		r.ack(m)
		return nil, false
	}
	return &a, true
}

func keepAlive(batch []held) {
	for _, h := range batch {
		_ = h.msg.InProgress()
	}
}

// sendDigest delivers batch in messages of at most digestSize alerts, each
// retried like a single alert. It returns the alerts still held when ctx
// ended, nil when every alert was delivered or recorded as failed.
func (r *route) sendDigest(ctx context.Context, batch []held, since, until time.Time, heartbeat <-chan time.Time) []held {
	for len(batch) > 0 {
		// A long digest (a Slack one goes out 20 alerts a message, paced)
		// keeps the alerts still to send alive between its messages.
		select {
		case <-heartbeat:
			keepAlive(batch)
		default:
		}
		n := min(len(batch), r.digestSize)
		chunk := batch[:n]
		d := &receiver.Digest{Route: r.cfg.Name, Since: since, Until: until}
		ids := make([]string, 0, n)
		for _, h := range chunk {
			d.Alerts = append(d.Alerts, h.alert)
			ids = append(ids, h.alert.AlertID())
		}
		d.ID = webhook.DigestID(ids)
		// Alerts published before stories have none: such a digest
		// counts alerts, as it did.
		d.PerStory = r.perStory() && slices.ContainsFunc(d.Alerts, func(a *vigie.Alert) bool { return a.Story != nil })
		for attempt := 1; ; attempt++ {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
			began := time.Now()
			retry, err := r.to.NotifyDigest(actx, d)
			cancel()
			if err == nil {
				r.recovered()
				// One deadline for the batch's acks, not one each.
				settle := r.settleBy()
				for _, h := range chunk {
					r.ackBy(h.msg, settle)
					r.svc.opts.Metrics.NotifyDelivered(r.cfg.Name, time.Since(began))
					r.note(h.alert, Delivery{State: DeliverySent, Attempts: attempt, At: r.svc.opts.Now()})
				}
				r.delivered.Add(uint64(n))
				break
			}
			status, after := failure(err)
			if !retry || attempt >= r.svc.opts.MaxAttempts {
				for _, h := range chunk {
					r.final(ctx, h.msg, h.alert, attempt, status, err)
				}
				break
			}
			delay := r.retryDelay(attempt, after)
			for _, h := range chunk {
				r.note(h.alert, Delivery{State: DeliveryRetrying, Attempts: attempt, Status: status, Error: err.Error(), At: r.svc.opts.Now()})
			}
			r.retries.Add(1)
			r.svc.opts.Metrics.NotifyRetry(r.cfg.Name)
			r.logFailure(err, "notify digest failed, will retry", "digest", d.ID, "alerts", n, "status", status, "attempt", attempt, "retry_in", delay)
			if !r.wait(ctx, delay, batch, heartbeat) {
				return batch
			}
		}
		batch = batch[n:]
	}
	return nil
}

// wait sleeps for d while keeping the held alerts alive; false if ctx ended.
func (r *route) wait(ctx context.Context, d time.Duration, batch []held, heartbeat <-chan time.Time) bool {
	keepAlive(batch)
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-heartbeat:
			keepAlive(batch)
		case <-ctx.Done():
			return false
		}
	}
}

package daemon

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/metrics"
	"github.com/vigie-news/vigie/internal/spread"
)

// tickGather is how long the jobs of ticks that come together (every feed
// on one schedule) are gathered before they are enqueued at once.
const tickGather = 20 * time.Millisecond

// jobMessage is a job's message on the work queue. Its Nats-Msg-Id is the
// feed and the tick, so that instances that schedule the same tick enqueue
// it once; a job asked for now carries the time in nanoseconds instead, so
// that it is never taken for another.
func jobMessage(job Job) (broker.Message, error) {
	data, err := json.Marshal(job)
	if err != nil {
		return broker.Message{}, err
	}
	msg := nats.NewMsg(broker.JobSubjectPrefix + "." + job.Feed)
	msg.Data = data
	id := job.Feed + "@" + job.Scheduled.UTC().Format(time.RFC3339)
	if job.Now {
		id = job.Feed + "@now-" + job.Scheduled.UTC().Format(time.RFC3339Nano)
	}
	return broker.Message{Msg: msg, ID: id}, nil
}

// enqueueAll puts jobs on the work queue together, in an order that puts
// each host's feeds far apart (see internal/spread): the workers take them
// in that order, and seldom wait for a host's gap between two requests. A
// job whose publish was not acked is tried again alone, and counted and
// logged as enqueue does if it fails again (and the jobs after it without
// a try, NATS being out of reach): none is dropped unsaid.
func (d *Daemon) enqueueAll(ctx context.Context, jobs []Job) {
	d.mu.Lock()
	hosts := make(map[string]string, len(jobs))
	for _, j := range jobs {
		if u, err := url.Parse(d.feeds[j.Feed].URL); err == nil {
			hosts[j.Feed] = u.Hostname()
		}
	}
	d.mu.Unlock()
	jobs = spread.ByKey(jobs, func(j Job) string { return hosts[j.Feed] })
	msgs := make([]broker.Message, 0, len(jobs))
	queued := make([]Job, 0, len(jobs))
	for _, j := range jobs {
		m, err := jobMessage(j)
		if err != nil {
			d.log.Error("fetch job not encoded", "feed", j.Feed, "error", err)
			continue
		}
		msgs, queued = append(msgs, m), append(queued, j)
	}
	retry := true
	for i, err := range d.broker.PublishBatch(ctx, msgs) {
		job := queued[i]
		switch {
		case err == nil:
			d.forget("enqueue:" + job.Feed)
		case ctx.Err() != nil:
			return // shutdown: the jobs of the next start replace them
		case retry:
			d.log.Debug("fetch job not acked, enqueued again", "feed", job.Feed, "error", err)
			// Once a job fails alone too, NATS is out of reach: the
			// others are counted without a wait each.
			retry = d.enqueue(ctx, job) == nil
		default:
			d.metrics.PublishError(metrics.KindJob)
			d.logChange("enqueue:"+job.Feed, "enqueue fetch job failed", err, "feed", job.Feed)
		}
	}
}

// tick hands the job of a feed's tick to gatherTicks; it waits while the
// jobs before it are being enqueued, as a call to enqueue would.
func (d *Daemon) tick(job Job) {
	select {
	case d.ticks <- job:
	case <-d.runCtx.Done():
	}
}

// gatherTicks enqueues the jobs of the scheduler's ticks until ctx ends:
// the scheduler fires the feeds of one instant each on its own, and their
// jobs go out together.
func (d *Daemon) gatherTicks(ctx context.Context) {
	for {
		var batch []Job
		select {
		case <-ctx.Done():
			return
		case j := <-d.ticks:
			batch = append(batch, j)
		}
		deadline := time.NewTimer(tickGather)
	gather:
		for {
			select {
			case j := <-d.ticks:
				batch = append(batch, j)
			case <-deadline.C:
				break gather
			case <-ctx.Done():
				deadline.Stop()
				break gather
			}
		}
		d.enqueueAll(ctx, batch)
	}
}

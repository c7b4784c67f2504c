package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"reflect"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/lang"
	"github.com/vigie-news/vigie/internal/notify"
	"github.com/vigie-news/vigie/internal/pipeline"
)

// addFeedLocked schedules a feed and returns the job of its first fetch,
// to enqueue once d.mu is released. d.mu is held.
func (d *Daemon) addFeedLocked(f config.Feed) (Job, error) {
	sched, err := cronParser{}.Parse(f.Schedule)
	if err != nil {
		return Job{}, fmt.Errorf("schedule feed %s: %w", f.ID, err)
	}
	period := tickPeriod(sched)
	id := d.sched.Schedule(sched, cron.FuncJob(func() {
		d.tick(Job{Feed: f.ID, Scheduled: d.now().Truncate(period)})
	}))
	d.feeds[f.ID] = f
	d.entries[f.ID] = scheduled{id: id, sched: sched}
	d.metrics.AddFeed(f.ID)
	// A fetch at start, or when the feed is added or changed.
	return Job{Feed: f.ID, Scheduled: d.now(), Now: true}, nil
}

// removeFeedLocked unschedules a feed; gone is true when the feed left the
// configuration (rather than changed), and its metrics go too.
func (d *Daemon) removeFeedLocked(id string, gone bool) {
	d.sched.Remove(d.entries[id].id)
	delete(d.entries, id)
	delete(d.feeds, id)
	if gone {
		for _, k := range []string{"enqueue:", "fetch:", "requeue:", "salvage:"} {
			delete(d.lastErr, k+id)
		}
		d.metrics.RemoveFeed(id)
	}
}

// Reload reads the configuration file again and applies it: feeds added,
// removed and changed, classifiers and languages. An invalid configuration
// is refused and the one in force stays. Keys that need a restart (nats,
// data_dir, http, fetch) are reported and keep their old values.
func (d *Daemon) Reload() error {
	d.reloading.Lock()
	defer d.reloading.Unlock()
	cur := d.config()
	next, err := config.Load(cur.Path)
	if err == nil {
		err = notify.Check(next)
	}
	if err == nil {
		err = d.apply(cur, next)
	}
	d.metrics.ConfigReload(err)
	if err != nil {
		d.log.Error("configuration refused, the previous one stays in force", "path", cur.Path, "error", err)
		return err
	}
	return nil
}

func (d *Daemon) apply(cur, next *config.Config) error {
	for _, k := range restartOnly(cur, next) {
		d.log.Warn("configuration change needs a restart to take effect", "key", k)
	}
	next.NATS, next.DataDir, next.HTTP, next.Fetch = cur.NATS, cur.DataDir, cur.HTTP, cur.Fetch
	cls, set, err := pipeline.LoadRules(next)
	if err != nil {
		return err
	}
	pipe := *d.pipe.Load()
	pipe.Classifiers, pipe.Entities = cls, set
	if !slices.Equal(cur.Languages, next.Languages) {
		if pipe.Detector, err = lang.New(next.Languages); err != nil {
			return err
		}
	}
	// The routes are compared with those running, not with the previous
	// file: a notifier that a failed reload left stopped starts again on
	// the next one.
	routesChanged := !sameRoutes(d.runningRoutes(), next.Notify)
	if routesChanged {
		// The old routes stop before the consumers' filters change: an
		// alert that only a new filter selects must not reach an old
		// route, which would pass over it and ack it. If the new routes
		// cannot start, the old ones go on.
		d.stopNotifier()
		if err := d.startNotifier(d.runCtx, next); err != nil {
			d.restoreNotifier(d.runCtx, cur)
			return err
		}
	}

	// Under the lock only the maps and the schedule change; what talks to
	// NATS or waits for receivers happens after.
	var jobs []Job
	var moved []config.Feed // feeds whose source changed: their state starts afresh
	var added, removed, changed int
	d.mu.Lock()
	wanted := map[string]bool{}
	for _, f := range next.Feeds {
		wanted[f.ID] = true
		prev, ok := d.feeds[f.ID]
		f.Line, prev.Line = 0, 0
		switch {
		case !ok:
			added++
		case reflect.DeepEqual(prev, f):
			continue
		default:
			changed++
			if prev.URL != f.URL || !reflect.DeepEqual(prev.Headers, f.Headers) {
				moved = append(moved, f)
			}
			d.removeFeedLocked(f.ID, false)
		}
		job, err := d.addFeedLocked(f)
		if err != nil {
			d.mu.Unlock()
			if routesChanged {
				d.stopNotifier()
				d.restoreNotifier(d.runCtx, cur)
			}
			return err
		}
		jobs = append(jobs, job)
	}
	for id := range d.feeds {
		if !wanted[id] {
			removed++
			d.removeFeedLocked(id, true)
		}
	}
	d.pipe.Store(&pipe)
	d.cfg = next
	d.mu.Unlock()

	ctx := d.runCtx
	for _, f := range moved {
		// The validators and backoff of the old source mean nothing for
		// the new one.
		if err := d.state.reset(ctx, f.ID, sourceOf(f)); err != nil {
			d.log.Warn("reset feed state", "feed", f.ID, "error", err)
		}
	}
	d.enqueueAll(ctx, jobs)
	d.log.Info("configuration reloaded", "feeds", len(next.Feeds), "added", added, "removed", removed, "changed", changed, "classifiers", len(cls))
	return nil
}

// restartOnly names the keys that differ and are read only at start.
func restartOnly(cur, next *config.Config) []string {
	var keys []string
	if cur.NATS != next.NATS {
		keys = append(keys, "nats")
	}
	if cur.DataDir != next.DataDir {
		keys = append(keys, "data_dir")
	}
	if cur.HTTP != next.HTTP {
		keys = append(keys, "http")
	}
	if cur.Fetch != next.Fetch {
		keys = append(keys, "fetch")
	}
	return keys
}

// watchConfig reloads on request and when the file's content changes. It
// compares content rather than modification times, so that editors that
// replace the file, and clocks, do not matter; and it waits until the new
// content has held still for one more check, so that a file caught while it
// is being written is not taken for the new configuration.
func (d *Daemon) watchConfig(ctx context.Context) {
	path := d.config().Path
	last := fileHash(path)
	var pending []byte
	var tick <-chan time.Time
	if d.opts.WatchConfig > 0 {
		t := time.NewTicker(d.opts.WatchConfig)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.opts.Reload:
			d.log.Info("reload requested")
			last = fileHash(path)
			_ = d.Reload()
		case <-tick:
			h := fileHash(path)
			if h == nil || bytes.Equal(h, last) {
				pending = nil
				continue
			}
			if !bytes.Equal(h, pending) {
				pending = h // changed: check it is still so next time
				continue
			}
			last, pending = h, nil
			d.log.Info("configuration file changed", "path", path)
			_ = d.Reload()
		}
	}
}

func fileHash(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	h := sha256.Sum256(data)
	return h[:]
}

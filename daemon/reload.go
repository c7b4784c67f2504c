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

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/lang"
	"github.com/vigie-news/vigie/internal/notify"
)

// addFeedLocked schedules a feed and enqueues its first fetch. d.mu is held.
func (d *Daemon) addFeedLocked(f config.Feed) error {
	id, err := d.sched.AddFunc(f.Schedule, func() { d.enqueue(d.runCtx, f.ID, d.now().Truncate(time.Minute), "") })
	if err != nil {
		return fmt.Errorf("schedule feed %s: %w", f.ID, err)
	}
	d.feeds[f.ID] = f
	d.entries[f.ID] = id
	d.metrics.AddFeed(f.ID)
	// A fetch at start, or when the feed is added or changed. The time in
	// the tag makes the job id unique, so that a quick restart or a change
	// still fetches.
	now := d.now()
	d.enqueue(d.runCtx, f.ID, now, fmt.Sprintf("start-%d-", now.UnixNano()))
	return nil
}

// removeFeedLocked unschedules a feed; gone is true when the feed left the
// configuration (rather than changed), and its metrics go too.
func (d *Daemon) removeFeedLocked(id string, gone bool) {
	d.sched.Remove(d.entries[id])
	delete(d.entries, id)
	delete(d.feeds, id)
	delete(d.lastErr, id)
	if gone {
		d.metrics.RemoveFeed(id)
	}
}

// Reload reads the configuration file again and applies it: feeds added,
// removed and changed, classifiers and languages. An invalid configuration
// is refused and the one in force stays. Keys that need a restart (nats,
// data_dir, http, fetch) are reported and keep their old values.
func (d *Daemon) Reload() error {
	cur := d.config()
	next, err := config.Load(cur.Path)
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
	cls, err := LoadClassifiers(next)
	if err != nil {
		return err
	}
	pipe := *d.pipe.Load()
	pipe.Classifiers = cls
	if !slices.Equal(cur.Languages, next.Languages) {
		if pipe.Detector, err = lang.New(next.Languages); err != nil {
			return err
		}
	}
	var svc *notify.Service
	routesChanged := !sameRoutes(cur.Notify, next.Notify)
	if routesChanged && len(next.Notify) > 0 {
		if svc, err = newNotifier(d.broker, next, d.metrics, d.log); err != nil {
			return err
		}
	}
	for _, k := range restartOnly(cur, next) {
		d.log.Warn("configuration change needs a restart to take effect", "key", k)
	}
	next.NATS, next.DataDir, next.HTTP, next.Fetch = cur.NATS, cur.DataDir, cur.HTTP, cur.Fetch

	d.mu.Lock()
	defer d.mu.Unlock()
	var added, removed, changed int
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
			d.removeFeedLocked(f.ID, false)
		}
		if err := d.addFeedLocked(f); err != nil {
			return err
		}
	}
	for id := range d.feeds {
		if !wanted[id] {
			removed++
			d.removeFeedLocked(id, true)
		}
	}
	d.pipe.Store(&pipe)
	d.cfg = next
	if routesChanged {
		if d.notifier != nil {
			d.notifier.stop()
			for _, r := range d.notifier.routes {
				d.metrics.RemoveRoute(r.Name)
			}
			d.notifier = nil
		}
		if svc != nil {
			d.notifier = runNotifier(svc, next.Notify, d.metrics, d.log)
		}
	}
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
// replace the file, and clocks, do not matter.
func (d *Daemon) watchConfig(ctx context.Context) {
	path := d.config().Path
	last := fileHash(path)
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
				continue
			}
			last = h
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

package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/schedule"
	"github.com/vigie-news/vigie/internal/status"
)

// FeedState is what Vigie remembers of a feed between fetches, kept in the
// vigie_feeds bucket so that it survives restarts and is shared by instances.
type FeedState struct {
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	LastFetch    time.Time `json:"last_fetch,omitzero"`
	LastSuccess  time.Time `json:"last_success,omitzero"`
	LastStatus   int       `json:"last_status,omitempty"`
	LastError    string    `json:"last_error,omitempty"`
	Failures     int       `json:"consecutive_failures"`
	// NextFetch is the earliest time the feed may be fetched again: backoff
	// after failures, or the interval the source asks for.
	NextFetch   time.Time `json:"next_fetch,omitzero"`
	LastNewItem time.Time `json:"last_new_item,omitzero"`
	// ItemsLastSeen is the number of items in the last fetched document.
	ItemsLastSeen int `json:"items_last_seen"`
	// Source identifies the URL and headers the state was gathered from
	// (see sourceOf): a state of another source says nothing of this one.
	Source string `json:"source,omitempty"`
	// ErrorKind is the kind of the last failure, as the result label of
	// vigie_fetches_total names it (http_5xx, timeout, parse...).
	ErrorKind string `json:"error_kind,omitempty"`
	// Lang is the language of most of the last new items.
	Lang string `json:"lang,omitempty"`
	// Hours count new items, alerts and failed fetches per hour over the
	// last two days, for the status page (internal/status reads them).
	Hours status.Hours `json:"hours,omitempty"`
	// Interval and Skip are what the last document read asked of its
	// readers (ttl, skipHours, skipDays): they hold for the 304s after it.
	Interval time.Duration `json:"interval,omitempty"`
	Skip     schedule.Skip `json:"skip,omitzero"`
}

// schedule is the part of the state that the fetch policy reads.
func (s FeedState) schedule() schedule.State {
	return schedule.State{Failures: s.Failures, LastFetch: s.LastFetch, NextFetch: s.NextFetch, Interval: s.Interval, Skip: s.Skip}
}

// setSchedule stores what the fetch policy decided.
func (s *FeedState) setSchedule(p schedule.State) {
	s.Failures, s.LastFetch, s.NextFetch, s.Interval, s.Skip = p.Failures, p.LastFetch, p.NextFetch, p.Interval, p.Skip
}

// sourceOf identifies what a feed is fetched from: its URL and headers.
func sourceOf(f config.Feed) string {
	h := sha256.New()
	h.Write([]byte(f.URL))
	for _, k := range slices.Sorted(maps.Keys(f.Headers)) {
		fmt.Fprintf(h, "\x00%s\x00%s", k, f.Headers[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

type stateStore struct{ kv jetstream.KeyValue }

// get returns a feed's state and its revision in the bucket (0 when there
// is none yet).
func (s stateStore) get(ctx context.Context, feed string) (FeedState, uint64, error) {
	var st FeedState
	e, err := s.kv.Get(ctx, feed)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return st, 0, nil
	}
	if err != nil {
		return st, 0, fmt.Errorf("feed state %s: %w", feed, err)
	}
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		// A state we cannot read is replaced, not fatal: the cost is one
		// unconditional fetch.
		return FeedState{}, e.Revision(), nil
	}
	return st, e.Revision(), nil
}

// errOtherSource is put's answer when the state was written, since it was
// read at rev, for another source of the feed: the configuration changed
// while the fetch ran, and its results are stale.
var errOtherSource = errors.New("the feed's source changed during the fetch")

// put writes a state read at revision rev. When the state was written in
// the meantime, it is written over only if that was for the same source
// (another instance's fetch of the same feed): a reset for a new URL or
// new headers, or another instance's fetch of them, is never overwritten
// by a fetch of the old ones.
func (s stateStore) put(ctx context.Context, feed string, st FeedState, rev uint64) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	for range 3 {
		if rev == 0 {
			_, err = s.kv.Create(ctx, feed, data)
		} else {
			_, err = s.kv.Update(ctx, feed, data, rev)
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			break
		}
		cur, curRev, gerr := s.get(ctx, feed)
		if gerr != nil {
			return gerr
		}
		if cur.Source != "" && cur.Source != st.Source { // "": written before sources were
			return errOtherSource
		}
		rev = curRev
	}
	if err != nil {
		return fmt.Errorf("feed state %s: %w", feed, err)
	}
	return nil
}

// reset starts the state of a feed afresh for a new source, over whatever
// is stored.
func (s stateStore) reset(ctx context.Context, feed, source string) error {
	data, err := json.Marshal(FeedState{Source: source})
	if err != nil {
		return err
	}
	if _, err := s.kv.Put(ctx, feed, data); err != nil {
		return fmt.Errorf("feed state %s: %w", feed, err)
	}
	return nil
}

// watchFeedStates keeps the per-feed health gauges in step with the
// vigie_feeds bucket, whichever instance fetched the feed: at start it
// receives every feed's last state, then each update.
func (d *Daemon) watchFeedStates(ctx context.Context) {
	w, err := d.broker.Feeds.WatchAll(ctx)
	if err != nil {
		d.log.Warn("watch feed states", "error", err)
		return
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			d.mu.Lock()
			_, configured := d.feeds[e.Key()]
			d.mu.Unlock()
			var st FeedState
			if !configured || json.Unmarshal(e.Value(), &st) != nil {
				continue
			}
			d.metrics.FeedStatus(e.Key(), st.Failures, st.LastSuccess, st.LastNewItem)
		}
	}
}

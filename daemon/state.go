package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
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
}

type stateStore struct{ kv jetstream.KeyValue }

func (s stateStore) get(ctx context.Context, feed string) (FeedState, error) {
	var st FeedState
	e, err := s.kv.Get(ctx, feed)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("feed state %s: %w", feed, err)
	}
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		// A state we cannot read is replaced, not fatal: the cost is one
		// unconditional fetch.
		return FeedState{}, nil
	}
	return st, nil
}

func (s stateStore) put(ctx context.Context, feed string, st FeedState) error {
	data, err := json.Marshal(st)
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

// Package natsstore keeps Vigie's stories in a JetStream KV bucket, one
// key per report of a story (<story id>.<item id>), so that they survive
// restarts and every instance on a cluster groups items with the same
// stories. A report is written once, when it joins its story: a story
// that grows is never written again whole.
package natsstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/story"
)

// Bucket is the KV bucket of the stories: part of the public contract.
const Bucket = "vigie_stories"

const (
	stream  = "KV_" + Bucket
	subject = "$KV." + Bucket + "."
)

// Options say how the bucket is laid out.
type Options struct {
	// Window is how long a story is kept after it last changed: the
	// grouping window (default story.DefaultWindow).
	Window time.Duration
	// Replicas of the bucket (1 on a single server).
	Replicas int
	Logger   *slog.Logger
}

// Store is the story store in a KV bucket. Every write goes through the
// bucket's stream with an expected last sequence of the stream, which
// holds the bucket's keys only: the compare and set of story.Store, on the
// whole bucket.
type Store struct {
	js  jetstream.JetStream
	kv  jetstream.KeyValue
	log *slog.Logger
}

var _ story.Store = (*Store)(nil)

// Open creates the bucket, or updates it to the options (a new window
// changes how long stories are kept).
func Open(ctx context.Context, js jetstream.JetStream, o Options) (*Store, error) {
	if o.Window <= 0 {
		o.Window = story.DefaultWindow
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "Stories: the reports of one event across feeds and languages",
		TTL:         o.Window,
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("kv %s: %w", Bucket, err)
	}
	return &Store{js: js, kv: kv, log: o.Logger}, nil
}

// Watch implements story.Store.
func (s *Store) Watch(ctx context.Context) (<-chan story.Change, error) {
	// The position the stories read at the start reflect is at least the
	// stream's last sequence before the watch began: the latest writes
	// may have expired since, and the next Put is made there.
	before, err := s.Last(ctx)
	if err != nil {
		return nil, err
	}
	w, err := s.kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", Bucket, err)
	}
	out := make(chan story.Change, 64)
	go func() {
		defer close(out)
		defer func() { _ = w.Stop() }()
		last := before
		for {
			var e jetstream.KeyValueEntry
			var ok bool
			select {
			case <-ctx.Done():
				return
			case e, ok = <-w.Updates():
			}
			if !ok {
				return
			}
			var c story.Change
			switch {
			case e == nil:
				c = story.Change{Ready: true, Pos: last}
			case e.Operation() != jetstream.KeyValuePut:
				c = removal(e.Key())
				c.Pos = e.Revision()
			default:
				// Read only if the assigner needs it: most of what comes
				// back is its own writes, which it holds already.
				c = change(e.Key(), e.Value())
				c.Pos = e.Revision()
			}
			last = max(last, c.Pos)
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// Key is where a report of a story is stored: <story id>.<item id>, or
// a digest of the item id when it is not one token of a key (Vigie's item
// ids are digits and letters; a dot would split the key).
func Key(storyID, itemID string) string {
	if !tokenRE.MatchString(itemID) {
		sum := sha256.Sum256([]byte(itemID))
		itemID = hex.EncodeToString(sum[:8])
	}
	return storyID + "." + itemID
}

var tokenRE = regexp.MustCompile(`^[-/_=a-zA-Z0-9]+$`)

// change is what a key's value tells: a record, read on demand, or a
// story stored whole (a key without a dot, written before records).
func change(key string, data []byte) story.Change {
	storyID, _, isRecord := strings.Cut(key, ".")
	if !isRecord {
		st, err := decode[story.Story](key, data)
		if err == nil && st.ID != key {
			err = fmt.Errorf("story %s in %s: stored under key %s", st.ID, Bucket, key)
		}
		if err != nil {
			return story.Change{Load: func() (*story.Record, error) { return nil, err }}
		}
		return story.Change{Story: st}
	}
	return story.Change{Load: func() (*story.Record, error) {
		r, err := decode[story.Record](key, data)
		if err == nil && r.Story != storyID {
			err = fmt.Errorf("record of story %s in %s: stored under key %s", r.Story, Bucket, key)
		}
		return r, err
	}}
}

// removal is the change a key's deletion makes.
func removal(key string) story.Change {
	storyID, itemID, isRecord := strings.Cut(key, ".")
	if !isRecord {
		return story.Change{Story: &story.Story{ID: key}, Removed: true}
	}
	return story.Change{Record: &story.Record{Story: storyID, Member: story.Member{ID: itemID}}, Removed: true}
}

func decode[T any](key string, data []byte) (*T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%s in %s: %w", key, Bucket, err)
	}
	return &v, nil
}

// Put implements story.Store.
func (s *Store) Put(ctx context.Context, r story.Record, at uint64) (uint64, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	key := Key(r.Story, r.ID)
	// The bucket's stream holds its keys only: its last sequence is the
	// last write to any of them, which the server checks at once (a last
	// sequence for the subjects $KV.<bucket>.> is found by reading every
	// key's, and stories are many).
	ack, err := s.js.Publish(ctx, subject+key, data, jetstream.WithExpectLastSequence(at))
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			return 0, story.ErrConflict
		}
		if errors.Is(err, nats.ErrMaxPayload) {
			return 0, fmt.Errorf("put %s (%d bytes): %w", key, len(data), story.ErrTooLarge)
		}
		return 0, fmt.Errorf("put %s: %w", key, err)
	}
	return ack.Sequence, nil
}

// Last implements story.Store: the last sequence of the bucket's stream,
// which stays where it is when the latest writes expire.
func (s *Store) Last(ctx context.Context) (uint64, error) {
	str, err := s.js.Stream(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	info, err := str.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	return info.State.LastSeq, nil
}

// List reads the stories of a NATS server's bucket without changing it:
// none when there is no bucket yet.
func List(ctx context.Context, js jetstream.JetStream) ([]*story.Story, error) {
	kv, err := js.KeyValue(ctx, Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kv %s: %w", Bucket, err)
	}
	return list(ctx, kv)
}

func list(ctx context.Context, kv jetstream.KeyValue) ([]*story.Story, error) {
	var whole []*story.Story
	var records []*story.Record
	err := broker.ReadCurrent(ctx, kv, nil, func(e jetstream.KeyValueEntry) {
		c := change(e.Key(), e.Value())
		if c.Story != nil {
			whole = append(whole, c.Story)
		} else if r, err := c.Load(); err == nil {
			records = append(records, r)
		}
	})
	if err != nil {
		return nil, err
	}
	out := story.Collect(whole, records)
	story.SortLatestFirst(out)
	return out, nil
}

// Lister lists a NATS server's stories as `vigie stories` and
// /api/stories show them.
type Lister struct{ JS jetstream.JetStream }

// Stories returns the views of the stories of at least minItems reports,
// the latest first, at most limit (0: all).
func (l Lister) Stories(ctx context.Context, minItems, limit int) ([]story.View, error) {
	stories, err := List(ctx, l.JS)
	if err != nil {
		return nil, err
	}
	return story.Select(stories, minItems, limit), nil
}

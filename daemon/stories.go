package daemon

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/httpapi"
	"github.com/vigie-news/vigie/internal/story"
	"github.com/vigie-news/vigie/internal/story/natsstore"
)

// startStories opens the stories' bucket and runs the assigner the
// workers group items with, until stop is called (after the workers have
// stopped). The assigner reads the stories the bucket holds before it
// groups anything, and follows what every instance writes.
func (d *Daemon) startStories(ctx context.Context, cfg *config.Config) (stop func(), err error) {
	var store *natsstore.Store
	err = broker.Retry(ctx, d.log, "kv "+natsstore.Bucket, func(ctx context.Context) error {
		store, err = natsstore.Open(ctx, d.broker.JS, natsstore.Options{Window: cfg.Stories.Window, Replicas: cfg.NATS.Replicas, Logger: d.log})
		return err
	})
	if err != nil {
		return nil, err
	}
	a := story.NewAssigner(store, story.AssignerOptions{
		Grouping: story.Options{Window: cfg.Stories.Window},
		Now:      d.now,
		Logger:   d.log,
	})
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.Run(runCtx) })
	d.stories = a
	return func() { cancel(); wg.Wait() }, nil
}

// assignStory gives an item and its alerts their story: the one that
// holds it already (the item was grouped before a crash kept it from
// being marked seen), or the one it joins or starts. The error is the
// store's, or ctx's: the item is not published without its story.
func assignStory(ctx context.Context, a *story.Assigner, p *Pipeline, item *vigie.Item, alerts []vigie.Alert) error {
	in := p.StoryInput(*item, alerts)
	s, err := a.Assign(ctx, in, story.Features(in))
	if err != nil {
		return err
	}
	ref := s.Ref()
	item.Story = ref
	for i := range alerts {
		alerts[i].Story = ref
	}
	return nil
}

// StoryInput is what grouping reads of an analysed item: its fields, the
// topics of its alerts, and the names its entities were found under.
func (p *Pipeline) StoryInput(item vigie.Item, alerts []vigie.Alert) story.Input {
	in := story.Input{
		ID: item.ID, Feed: item.Feed.ID, FeedTitle: item.Feed.Title, Lang: item.Lang,
		Title: item.Title, Text: item.Text, URL: item.URL, Time: reportedAt(item),
		Entities: item.Entities, Names: p.mentions.take(item.ID),
	}
	if in.Text == "" {
		in.Text = item.Summary
	}
	for _, a := range alerts {
		for _, t := range a.Topics {
			if !slices.Contains(in.Topics, t.ID) {
				in.Topics = append(in.Topics, t.ID)
			}
		}
	}
	return in
}

// reportedAt is when an item was reported, for its story's window: its
// publication time, unless it has none or one after it was read (a feed's
// clock, or a time zone gone wrong).
func reportedAt(item vigie.Item) time.Time {
	if item.Published.IsZero() || item.Published.After(item.Fetched.Add(time.Hour)) {
		return item.Fetched
	}
	return item.Published
}

// mentionCache keeps the names under which the entities of the last items
// classified were found, for their grouping a moment later: the names
// stand for entities and are not names of their own (see story.Input).
// It holds a few hundred items, far more than the workers have in hand;
// an item not found in it is grouped without them.
type mentionCache struct {
	mu    sync.Mutex
	ids   [256]string
	names [256][]string
	next  int
}

func (c *mentionCache) put(id string, found entities.Found) {
	names := make([]string, 0, len(found.Mentions))
	for _, m := range found.Mentions {
		if !slices.Contains(names, m.Text) {
			names = append(names, m.Text)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids[c.next], c.names[c.next] = id, names
	c.next = (c.next + 1) % len(c.ids)
}

func (c *mentionCache) take(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.ids {
		if x == id {
			c.ids[i] = ""
			names := c.names[i]
			c.names[i] = nil
			return names
		}
	}
	return nil
}

// storySource is what /api/stories reads: the stories' bucket, once NATS
// is up.
type storySource struct {
	js atomic.Pointer[jetstream.JetStream]
}

var _ httpapi.StorySource = (*storySource)(nil)

func (s *storySource) Stories(ctx context.Context, minItems, limit int) ([]story.View, error) {
	js := s.js.Load()
	if js == nil {
		return nil, errStarting
	}
	return natsstore.Lister{JS: *js}.Stories(ctx, minItems, limit)
}

// StoriesOptions say which stories `vigie stories` prints, and how.
type StoriesOptions struct {
	// MinItems leaves out the stories with fewer reports; Limit keeps the
	// latest stories only (0: all).
	MinItems, Limit int
	// JSON prints {"stories": [...]} as /api/stories serves them.
	JSON   bool
	Now    func() time.Time
	Logger *slog.Logger
}

// Stories prints the recent stories, the latest first, with their reports,
// languages and feeds, from Vigie's state in NATS: the running daemon's
// server, or the embedded store under data_dir when none answers.
func Stories(ctx context.Context, cfg *config.Config, o StoriesOptions, w io.Writer) error {
	return withState(ctx, cfg, &o.Logger, &o.Now, func(b *broker.Broker) error {
		views, err := natsstore.Lister{JS: b.JS}.Stories(ctx, max(o.MinItems, 1), o.Limit)
		if err != nil {
			return err
		}
		if o.JSON {
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Stories []story.View `json:"stories"`
			}{views})
		}
		return story.WriteTable(w, views, o.Now())
	})
}

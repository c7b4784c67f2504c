package daemon

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
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

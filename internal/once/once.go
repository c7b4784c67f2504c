// Package once is vigie once: every feed read one time, without NATS and
// without a seen set, each item printed as a JSON line with its matches.
package once

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/pipeline"
	"github.com/vigie-news/vigie/internal/story"
)

// Item is one line of `vigie once`: the vigie.item/v1 payload and the
// matches.
type Item struct {
	vigie.Item
	Alerts []pipeline.Match `json:"alerts"`
}

// Options say how `vigie once` reads and reports.
type Options struct {
	// Progress, when not nil, shows how many feeds are done.
	Progress io.Writer
	Logger   *slog.Logger
}

// Run reads every feed one time, without NATS and without a seen set, and
// writes one JSON line per item to w, feed after feed in the order of the
// configuration (a feed's lines go out as soon as the feeds before it are
// done). Feeds that fail are logged; the error is non-nil when every feed
// failed, when w could not be written, or when ctx ended first.
func Run(ctx context.Context, cfg *config.Config, o Options, w io.Writer) error {
	log, progress := o.Logger, o.Progress
	if log == nil {
		log = slog.Default()
	}
	p, err := pipeline.New(cfg, pipeline.Options{Logger: log})
	if err != nil {
		return err
	}
	// The items of this one pass are grouped in memory: a story is the
	// reports of one event among the feeds read.
	stories := story.NewAssigner(story.NewMemStore(), story.AssignerOptions{Grouping: story.Options{Window: cfg.Stories.Window}, Logger: log})
	storyCtx, stopStories := context.WithCancel(context.WithoutCancel(ctx))
	var storyRun sync.WaitGroup
	storyRun.Go(func() { _ = stories.Run(storyCtx) })
	defer func() { stopStories(); storyRun.Wait() }()
	var (
		mu       sync.Mutex
		failed   int
		done     int
		items    int
		wg       sync.WaitGroup
		enc      = json.NewEncoder(w)
		results  = make([][]Item, len(cfg.Feeds))
		finished = make([]bool, len(cfg.Feeds))
		next     int // the first feed whose lines are not written yet
		writeErr error
	)
	enc.SetEscapeHTML(false)
	// flush writes, under mu, the lines of the feeds done in a row from next.
	flush := func() {
		for next < len(finished) && finished[next] {
			for _, l := range results[next] {
				if writeErr == nil {
					writeErr = enc.Encode(l)
				}
			}
			results[next] = nil
			next++
		}
	}
	for i, f := range cfg.Feeds {
		wg.Go(func() {
			batch, err := p.Read(ctx, f, "", "")
			var lines []Item
			if err != nil {
				log.Warn("fetch failed", "feed", f.ID, "error", err)
			} else {
				lines = make([]Item, 0, len(batch.Items))
				for _, it := range batch.Items {
					text, err := p.Expand(ctx, f, it)
					if err != nil {
						break // interrupted: reported below
					}
					item, alerts := p.AnalyzeText(f, batch.FeedTitle, it, text, batch.Fetched)
					if err := p.AssignStory(ctx, stories, &item, alerts); err != nil {
						break // interrupted: reported below
					}
					lines = append(lines, Item{Item: item, Alerts: pipeline.Matches(alerts)})
				}
				if batch.Salvaged != "" {
					log.Warn("feed damaged: read up to the damage", "feed", f.ID, "items", len(lines), "error", batch.Salvaged)
				} else {
					log.Info("feed read", "feed", f.ID, "items", len(lines), "too_old", batch.TooOld)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			done++
			if err != nil {
				failed++
			}
			items += len(lines)
			results[i], finished[i] = lines, true
			flush()
			showProgress(progress, done, len(cfg.Feeds), items, failed)
		})
	}
	wg.Wait()
	if progress != nil {
		fmt.Fprintln(progress)
	}
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted after %d of %d feeds: %w", done-failed, len(cfg.Feeds), ctx.Err())
	case writeErr != nil:
		return fmt.Errorf("write: %w", writeErr)
	case failed == len(cfg.Feeds):
		return fmt.Errorf("all %d feeds failed", failed)
	}
	return nil
}

func showProgress(w io.Writer, done, total, items, failed int) {
	if w != nil {
		fmt.Fprintf(w, "\r%d/%d feeds read, %d items, %d failed ", done, total, items, failed)
	}
}

package pipeline

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/story"
)

// AssignStory gives an item and its alerts their story: the one that
// holds it already (the item was grouped before a crash kept it from
// being marked seen), or the one it joins or starts. The error is the
// store's, or ctx's: the item is not published without its story.
func (p *Pipeline) AssignStory(ctx context.Context, a *story.Assigner, item *vigie.Item, alerts []vigie.Alert) error {
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

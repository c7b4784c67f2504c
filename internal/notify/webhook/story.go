package webhook

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/notify/receiver"
)

// Story updates: a route that notifies per story sends a story's first
// report as an alert (vigie.alert/v1, its "story" naming the story), and
// each later report as an event of type StoryUpdated.
const (
	StoryUpdated      = "story.updated"
	StoryUpdateSchema = "vigie.story-update/v1"
)

// storyUpdateBody is the JSON body of a story.updated event.
type storyUpdateBody struct {
	Schema string `json:"schema"`
	Type   string `json:"type"`
	// Story is the story as its latest report carries it.
	Story *vigie.Story `json:"story"`
	// First is the report the story's alert was sent for.
	First receiver.Report `json:"first"`
	// Reports are the reports this event tells of.
	Reports []receiver.Report `json:"reports"`
	// Alert is the latest report's alert payload.
	Alert *vigie.Alert `json:"alert,omitempty"`
}

// NotifyStory sends a story's first report: the alert, as Notify does.
func (w *Webhook) NotifyStory(ctx context.Context, a *vigie.Alert) (receiver.MessageRef, bool, error) {
	retry, err := w.Notify(ctx, a)
	return receiver.MessageRef{}, retry, err
}

// UpdateStory sends a story.updated event, signed like an alert, with a
// webhook-id of its own that stays the same on every attempt.
func (w *Webhook) UpdateStory(ctx context.Context, u *receiver.StoryUpdate) (bool, error) {
	body, err := json.Marshal(storyUpdateBody{
		Schema: StoryUpdateSchema, Type: StoryUpdated,
		Story: u.Story, First: u.First, Reports: u.New, Alert: u.Alert,
	})
	if err != nil {
		return false, fmt.Errorf("encode story update %s: %w", u.ID, err)
	}
	return w.post(ctx, u.ID, body)
}

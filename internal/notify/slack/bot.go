package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/notify/receiver"
	"github.com/vigie-news/vigie/internal/version"
)

// API is Slack's Web API, where a route with a bot token posts.
const API = "https://slack.com/api"

// storyEvent is the event type of the metadata a story's message carries,
// by which the message is found again.
const storyEvent = "vigie_story"

// Bot posts to a channel through Slack's Web API with a bot token
// (chat:write, and channels:history to find a story's message again): a
// story's message is posted once and updated in place (chat.update) as
// its reports come.
type Bot struct {
	*Slack
	api     string
	token   string
	channel string
	route   string
}

// NewBot returns a notifier that posts to channel with token. api is the
// Web API's address ("" for API); text is an optional template, as for
// New; route names the route in the metadata of its messages.
func NewBot(api, token, channel, route, text string, client *http.Client, pacer *Pacer, now func() time.Time) (*Bot, error) {
	if api == "" {
		api = API
	}
	s, err := New(api, text, client, pacer, now)
	if err != nil {
		return nil, err
	}
	return &Bot{Slack: s, api: strings.TrimSuffix(api, "/"), token: token, channel: channel, route: route}, nil
}

// botMessage is a chat.postMessage or chat.update body.
type botMessage struct {
	Channel string `json:"channel"`
	TS      string `json:"ts,omitempty"`
	Message
	Metadata *metadata `json:"metadata,omitempty"`
}

type metadata struct {
	EventType    string       `json:"event_type"`
	EventPayload storyPayload `json:"event_payload"`
}

type storyPayload struct {
	Story string `json:"story"`
	Route string `json:"route"`
	Alert string `json:"alert"`
}

// apiAnswer is what the Web API answers; Error is set when OK is not.
type apiAnswer struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error"`
	Channel  string `json:"channel"`
	TS       string `json:"ts"`
	Messages []struct {
		TS       string    `json:"ts"`
		Metadata *metadata `json:"metadata"`
	} `json:"messages"`
	HasMore          bool `json:"has_more"`
	ResponseMetadata struct {
		NextCursor string `json:"next_cursor"`
	} `json:"response_metadata"`
}

// Notify posts an alert as a message of its own.
func (b *Bot) Notify(ctx context.Context, a *vigie.Alert) (bool, error) {
	m, err := b.Message(a)
	if err != nil {
		return false, err
	}
	_, retry, err := b.call(ctx, "chat.postMessage", botMessage{Channel: b.channel, Message: *m})
	return retry, err
}

// NotifyDigest posts a digest as one message.
func (b *Bot) NotifyDigest(ctx context.Context, d *receiver.Digest) (bool, error) {
	_, retry, err := b.call(ctx, "chat.postMessage", botMessage{Channel: b.channel, Message: *DigestMessage(d)})
	return retry, err
}

// NotifyStory posts a story's first report, with metadata that names the
// story (see FindStory), and returns where the message is and what it
// holds, for its updates.
func (b *Bot) NotifyStory(ctx context.Context, a *vigie.Alert) (receiver.MessageRef, bool, error) {
	m, err := b.Message(a)
	if err != nil {
		return receiver.MessageRef{}, false, err
	}
	md := &metadata{EventType: storyEvent, EventPayload: storyPayload{Story: a.Story.ID, Route: b.route, Alert: a.AlertID()}}
	ans, retry, err := b.call(ctx, "chat.postMessage", botMessage{Channel: b.channel, Message: *m, Metadata: md})
	if err != nil {
		return receiver.MessageRef{}, retry, err
	}
	body, _ := json.Marshal(m)
	return receiver.MessageRef{Channel: ans.Channel, TS: ans.TS, Body: body}, false, nil
}

// UpdateStory rewrites a story's message with every report told of so
// far: the message that was posted, and a line of the reports since.
// Sent again, the same update leaves the same message.
func (b *Bot) UpdateStory(ctx context.Context, u *receiver.StoryUpdate) (bool, error) {
	var m Message
	if err := json.Unmarshal(u.Ref.Body, &m); err != nil || u.Ref.TS == "" {
		return false, fmt.Errorf("story %s: no message to update", u.Story.ID)
	}
	others := append(append([]receiver.Report(nil), u.Told...), u.New...)
	if len(others) > 0 && others[0].ID == u.First.ID {
		others = others[1:]
	}
	m.Blocks = append(m.Blocks, Block{Type: "context", Elements: []*Text{
		mrkdwn("*Also reported by* " + reportList(others, true)),
		mrkdwn(storyCounts(u.Story, len(u.Told)+len(u.New))),
	}})
	_, retry, err := b.call(ctx, "chat.update", botMessage{Channel: u.Ref.Channel, TS: u.Ref.TS, Message: m})
	return retry, err
}

// FindStory looks for the message this route posted in its channel since
// a moment for the story of an alert, its first report: the post that a
// crash kept from being noted. It finds nothing when the channel is given
// by name (the history wants its id).
func (b *Bot) FindStory(ctx context.Context, a *vigie.Alert, since time.Time) (receiver.MessageRef, bool, error) {
	story := a.Story.ID
	if strings.HasPrefix(b.channel, "#") {
		return receiver.MessageRef{}, false, nil
	}
	q := url.Values{}
	q.Set("channel", b.channel)
	q.Set("oldest", strconv.FormatFloat(float64(since.UnixMicro())/1e6, 'f', 6, 64))
	q.Set("include_all_metadata", "true")
	q.Set("limit", "200")
	for range 20 {
		ans, _, err := b.call(ctx, "conversations.history?"+q.Encode(), nil)
		if err != nil {
			return receiver.MessageRef{}, false, err
		}
		for _, m := range ans.Messages {
			if md := m.Metadata; md != nil && md.EventType == storyEvent && md.EventPayload.Story == story && md.EventPayload.Route == b.route {
				// The message as it was posted, for its updates.
				msg, err := b.Message(a)
				if err != nil {
					return receiver.MessageRef{}, false, err
				}
				body, _ := json.Marshal(msg)
				return receiver.MessageRef{Channel: b.channel, TS: m.TS, Body: body}, true, nil
			}
		}
		if !ans.HasMore || ans.ResponseMetadata.NextCursor == "" {
			break
		}
		q.Set("cursor", ans.ResponseMetadata.NextCursor)
	}
	return receiver.MessageRef{}, false, nil
}

// retryable are the Web API's errors worth trying again.
var retryable = map[string]bool{
	"ratelimited": true, "internal_error": true, "fatal_error": true, "service_unavailable": true,
	"request_timeout": true, "team_added_to_org": true,
}

// call posts body (JSON) to a Web API method, or gets it when body is
// nil, and reads the answer. The token is never in an error.
func (b *Bot) call(ctx context.Context, method string, body any) (*apiAnswer, bool, error) {
	verb, name := http.MethodGet, method
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, false, fmt.Errorf("encode slack %s: %w", method, err)
		}
		verb, rd = http.MethodPost, bytes.NewReader(data)
	} else {
		name, _, _ = strings.Cut(method, "?")
	}
	if b.pacer != nil && body != nil {
		if err := b.pacer.Wait(ctx); err != nil {
			return nil, true, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, verb, b.api+"/"+method, rd)
	if err != nil {
		return nil, false, fmt.Errorf("slack %s: bad API address", name)
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", version.UserAgent())
	status, data, err := receiver.Call(b.client, req, b.now, 4<<20, b.token)
	if err != nil {
		var re *receiver.Error
		retry := errors.As(err, &re) && re.Retry
		if re != nil && re.RetryAfter > 0 && b.pacer != nil {
			b.pacer.Delay(re.RetryAfter)
		}
		return nil, retry, fmt.Errorf("slack %s: %w", name, err)
	}
	var ans apiAnswer
	if err := json.Unmarshal(data, &ans); err != nil {
		return nil, true, fmt.Errorf("slack %s: unreadable answer: %w", name, err)
	}
	if !ans.OK {
		e := &receiver.Error{Status: status, Retry: retryable[ans.Error], Err: errors.New(ans.Error)}
		return nil, e.Retry, fmt.Errorf("slack %s: %w", name, e)
	}
	return &ans, false, nil
}

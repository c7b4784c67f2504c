// Package slacktest is a stand-in for Slack in tests: the Web API methods
// Vigie calls (chat.postMessage, chat.update, conversations.history) on an
// httptest server, keeping every message as Slack would.
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// Message is a message of the channel: as posted, then as last updated.
type Message struct {
	TS       string          `json:"ts"`
	Channel  string          `json:"channel"`
	Text     string          `json:"text"`
	Blocks   json.RawMessage `json:"blocks"`
	Metadata *struct {
		EventType    string            `json:"event_type"`
		EventPayload map[string]string `json:"event_payload"`
	} `json:"metadata,omitempty"`
	// Updates counts the chat.update calls that changed it.
	Updates int `json:"-"`
}

// Story is the story id a message's metadata names, "" if none.
func (m *Message) Story() string {
	if m.Metadata == nil {
		return ""
	}
	return m.Metadata.EventPayload["story"]
}

// API is the stand-in. Hold, when set, is called with each method before
// it is carried out and may block; the method is carried out whatever
// becomes of the client (Slack posts what it received).
type API struct {
	*httptest.Server
	Token string

	mu       sync.Mutex
	messages []*Message
	calls    map[string]int
	hold     func(method string, n int, r *http.Request)
	wake     chan struct{}
}

// NewAPI starts a stand-in that wants token.
func NewAPI(t testing.TB, token string) *API {
	a := &API{Token: token, calls: map[string]int{}, wake: make(chan struct{}, 1)}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

// Hold sets the function called before each method is carried out (see
// API), with the method's name, its count so far and the request.
func (a *API) Hold(f func(method string, n int, r *http.Request)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hold = f
}

// Wake is signalled after each call.
func (a *API) Wake() <-chan struct{} { return a.wake }

// Messages returns copies of the channel's messages, in order.
func (a *API) Messages() []Message {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Message, len(a.messages))
	for i, m := range a.messages {
		out[i] = *m
	}
	return out
}

// Calls counts the calls of a method.
func (a *API) Calls(method string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[method]
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	defer func() {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}()
	if r.Header.Get("Authorization") != "Bearer "+a.Token {
		answer(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	method := r.URL.Path[1:]
	a.mu.Lock()
	a.calls[method]++
	n, hold := a.calls[method], a.hold
	a.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	if hold != nil {
		hold(method, n, r)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch method {
	case "chat.postMessage":
		var m Message
		if err := json.Unmarshal(body, &m); err != nil || m.Channel == "" {
			answer(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		m.TS = fmt.Sprintf("1700000000.%06d", len(a.messages)+1)
		a.messages = append(a.messages, &m)
		answer(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS})
	case "chat.update":
		var m Message
		if err := json.Unmarshal(body, &m); err != nil {
			answer(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		i := slices.IndexFunc(a.messages, func(x *Message) bool { return x.TS == m.TS && x.Channel == m.Channel })
		if i < 0 {
			answer(w, map[string]any{"ok": false, "error": "message_not_found"})
			return
		}
		old := a.messages[i]
		old.Text, old.Blocks = m.Text, m.Blocks
		old.Updates++
		answer(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS})
	case "conversations.history":
		// Every message of the channel, newest first: the stand-in's
		// timestamps are not times, so oldest is not looked at.
		var out []map[string]any
		for _, m := range slices.Backward(a.messages) {
			if m.Channel == r.URL.Query().Get("channel") {
				out = append(out, map[string]any{"ts": m.TS, "text": m.Text, "metadata": m.Metadata})
			}
		}
		answer(w, map[string]any{"ok": true, "messages": out, "has_more": false})
	default:
		answer(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// Package receiver holds what every notification integration shares: posting
// to an HTTP receiver, sorting its answer into delivered, retry later or
// final, and keeping secret URLs out of errors.
package receiver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/redact"
	"github.com/vigie-news/vigie/internal/retryafter"
)

// Error is a failed delivery: the receiver's status (0 when it did not
// answer), whether trying again may help, and how long the receiver asked us
// to wait. Its text never holds the receiver's URL.
type Error struct {
	Status int
	// Retry reports whether the failure is worth retrying: no answer, 408,
	// 429 and 5xx are; other statuses are final.
	Retry bool
	// RetryAfter is the delay a 429 or 503 answer asked for, 0 if none.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("receiver answered %d: %v", e.Status, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether status is worth trying again: 408, 429 and 5xx.
func Retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// maxBody is how much of an error answer is kept for the message.
const maxBody = 256

// MaxRetryAfter caps the delay a receiver may ask for with Retry-After.
const MaxRetryAfter = time.Hour

// NoRedirects is an http.Client CheckRedirect that follows none: a client
// would turn a redirected POST into an empty GET, whose 2xx would then pass
// for a delivery.
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Post sends req with client and sorts the answer: nil for a 2xx, an *Error
// otherwise. secrets are strings (the URL, a token) to cut from any text taken
// from the transport or the receiver's answer.
func Post(client *http.Client, req *http.Request, now func() time.Time, secrets ...string) error {
	_, _, err := Call(client, req, now, 0, secrets...)
	return err
}

// Call is Post for an API whose answer is wanted: it also returns up to
// limit bytes of the body of a 2xx answer, and its status.
func Call(client *http.Client, req *http.Request, now func() time.Time, limit int64, secrets ...string) (status int, body []byte, err error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, &Error{Retry: true, Err: errors.New(redact.Secrets(redactError(err), secrets...))}
	}
	defer func() {
		// Drain a little so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if limit > 0 {
			body, _ = io.ReadAll(io.LimitReader(resp.Body, limit))
		}
		return resp.StatusCode, body, nil
	}
	e := &Error{Status: resp.StatusCode, Retry: Retryable(resp.StatusCode)}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		e.RetryAfter = retryafter.Parse(resp.Header.Get("Retry-After"), now(), MaxRetryAfter)
	}
	body, _ = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	text := strings.TrimSpace(strings.ToValidUTF8(string(body), ""))
	if text == "" {
		text = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		text = "redirected to " + redact.Host(resp.Header.Get("Location")) + ": not followed, update the route's url"
	}
	e.Err = errors.New(redact.Secrets(text, secrets...))
	return resp.StatusCode, nil, e
}

// redactError renders a transport error with the URL it carries redacted.
func redactError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return (&url.Error{Op: ue.Op, URL: redact.Host(ue.URL), Err: ue.Err}).Error()
	}
	return err.Error()
}

// Digest is the batch a digest route sends at the end of a period.
type Digest struct {
	Route string
	// ID stays the same for every attempt to send this batch.
	ID     string
	Since  time.Time
	Until  time.Time
	Alerts []*vigie.Alert
	// PerStory is set when the route notifies per story: the digest
	// counts and groups stories.
	PerStory bool
}

// Stories returns the number of stories the digest's alerts report (an
// alert without a story counts as one), 0 when it does not count them.
func (d *Digest) Stories() int {
	if !d.PerStory {
		return 0
	}
	return len(d.ByStory())
}

// ByStory groups the digest's alerts by story, in the order of each
// story's first alert.
func (d *Digest) ByStory() [][]*vigie.Alert {
	var out [][]*vigie.Alert
	index := map[string]int{}
	for _, a := range d.Alerts {
		key := "alert:" + a.AlertID()
		if a.Story != nil && a.Story.ID != "" {
			key = "story:" + a.Story.ID
		}
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], a)
	}
	return out
}

// Truncate shortens s to at most n runes, with an ellipsis when it cuts.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// Report is one report of a story, as the updates of a story's message
// name it.
type Report struct {
	// ID is the alert's Nats-Msg-Id (item id and classifier).
	ID        string    `json:"id"`
	Feed      string    `json:"feed"`
	FeedTitle string    `json:"feed_title,omitempty"`
	Lang      string    `json:"lang"`
	Title     string    `json:"title"`
	URL       string    `json:"url"`
	Published time.Time `json:"published,omitzero"`
}

// ReportOf is the report an alert makes.
func ReportOf(a *vigie.Alert) Report {
	return Report{ID: a.AlertID(), Feed: a.Feed.ID, FeedTitle: a.Feed.Title, Lang: a.Lang, Title: a.Title, URL: a.URL, Published: a.Published}
}

// Source names the report's feed: its title, or its id.
func (r Report) Source() string {
	if r.FeedTitle != "" {
		return r.FeedTitle
	}
	return r.Feed
}

// MessageRef is where a story's first message is, for a receiver that can
// change a message it was sent (Slack's chat.update): empty otherwise.
type MessageRef struct {
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
	// Body is the message as it was posted, to rewrite it with more.
	Body json.RawMessage `json:"body,omitempty"`
}

// StoryUpdate is what a route tells of a story after its first message:
// the reports that came since.
type StoryUpdate struct {
	// ID stays the same for every attempt to send this update.
	ID    string
	Story *vigie.Story
	// First is the report whose message stands for the story, Ref where
	// that message is.
	First Report
	Ref   MessageRef
	// Told are the reports told of before (First among them); New the
	// ones to tell of now.
	Told []Report
	New  []Report
	// Alert is the alert of the one new report when the update is sent
	// as it comes (nil for a batch).
	Alert *vigie.Alert
}
